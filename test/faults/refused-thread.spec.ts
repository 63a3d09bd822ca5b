import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { createPrismaClient } from '../../src/cold-tier/prisma-client.factory.js';
import { ManualClock } from '../../src/core/clock.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, TestStores, uniqueName } from '../support/test-stores.js';

/**
 * A thread whose rows PostgreSQL refuses (here: metadata with `\u0000`, which `put` now refuses
 * but an older writer or a custom path could have stored) must not stop the threads queued with
 * it: the batch is retried thread by thread, the refused thread stays in Redis, readable, and is
 * named in the report; the others migrate.
 */

const HOUR = 3600_000;
let stores: TestStores;

beforeAll(async () => {
  stores = await TestStores.create('refused');
});
afterAll(async () => {
  await stores.cleanup();
});

/** Three good threads and one PostgreSQL refuses, migrated twice, then the bad one deleted. */
async function refusedThreadScenario(saver: TieredCheckpointSaver, clock: ManualClock, coldThreads: () => Promise<string[]>): Promise<void> {
  const meta = { source: 'input' as const, step: -1, parents: {} };
  const ids: Record<string, string> = {};
  for (const t of ['a', 'c', 'd']) {
    const v = saver.getNextVersion(undefined);
    const cp = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { t }, channel_versions: { t: v } };
    await saver.put({ configurable: { thread_id: t, checkpoint_ns: '' } }, cp, meta, { t: v });
    ids[t] = cp.id;
  }
  // Straight into the hot store, past put's checks: what PostgreSQL's jsonb refuses (22P05).
  const bad = { ...emptyCheckpoint(), id: uuid6(-3) };
  const json = (value: string) => ['json', new TextEncoder().encode(value)] as [string, Uint8Array];
  await saver.hot.putCheckpoint(
    { threadId: 'b', checkpointNs: '', checkpointId: bad.id, skeleton: json(JSON.stringify(bad)), metadata: json('{"source":"input","step":-1,"parents":{},"note":"a\\u0000b"}'), blobs: [], refs: [] },
    clock.now(),
  );
  clock.advance(2 * HOUR);

  const first = await saver.migrate();
  expect(first).toMatchObject({ checkpointsCopied: 3, entriesEvicted: 3, threadsFailed: 1 });
  expect(first.failedThreads.map((f) => f.threadId)).toEqual(['b']);
  expect(first.failedThreads[0]!.reason).toMatch(/unicode|escape|22P05/i);
  expect((await coldThreads()).sort()).toEqual(['a', 'c', 'd']);
  // Still readable from Redis, exactly as written.
  const hot = await saver.getTuple({ configurable: { thread_id: 'b' } });
  expect(hot?.config.configurable?.checkpoint_id).toBe(bad.id);
  expect(hot?.metadata).toMatchObject({ note: 'a\u0000b' });
  for (const t of ['a', 'c', 'd']) expect((await saver.getTuple({ configurable: { thread_id: t } }))?.checkpoint.id).toBe(ids[t]);

  // The next run tries again (and only that thread is left to try).
  const second = await saver.migrate();
  expect(second).toMatchObject({ checkpointsCopied: 0, threadsFailed: 1, backlogRemaining: false });
  // Deleting it clears the way: nothing left to refuse.
  await saver.deleteThread('b');
  expect(await saver.migrate()).toMatchObject({ threadsFailed: 0, failedThreads: [] });
}

describe('a thread PostgreSQL refuses', () => {
  it('is left in Redis and named, while the rest of its batch migrates, run after run', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const saver = await stores.freshSaver({ clock, hotWindowMs: HOUR });
    await refusedThreadScenario(saver, clock, async () => (await stores.cold.list({})).map((r) => r.threadId));
  });

  it('is recognised the same through a Prisma client the application passed in', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await stores.cold.truncateAll();
    const prisma = createPrismaClient({ databaseUrl: DATABASE_URL, schema: stores.schema });
    const cold = new ColdTierStore({ prisma, schema: stores.schema });
    const keyPrefix = uniqueName('tcrefp');
    stores.prefixes.push(keyPrefix);
    const hot = new HotTierStore({ redis: stores.redis, keyPrefix });
    await hot.connect();
    const saver = new TieredCheckpointSaver(hot, cold, { clock, hotWindowMs: HOUR, keyPrefix, schema: stores.schema });
    try {
      await refusedThreadScenario(saver, clock, async () => (await cold.list({})).map((r) => r.threadId));
    } finally {
      await cold.close();
      await prisma.$disconnect();
    }
  });
});
