import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { ManualClock } from '../../src/core/clock.js';
import type { MigrationStep } from '../../src/tiering/migration.hooks.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import pg from 'pg';
import { DATABASE_URL, TestStores } from '../support/test-stores.js';

/** How migration batches use Redis: round trips per batch, read-ahead, threads a batch has no room for. */

const HOUR = 3600_000;
const WINDOW = 24 * HOUR;

let stores: TestStores;
let clock: ManualClock;
beforeAll(async () => {
  stores = await TestStores.create('batching');
});
afterAll(async () => {
  await stores.cleanup();
});
beforeEach(() => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
});

const thread = (id: string): RunnableConfig => ({ configurable: { thread_id: id, checkpoint_ns: '' } });

/** `steps` checkpoints (each with one pending write) on each of `threads` threads. */
async function fill(saver: TieredCheckpointSaver, threads: string[], steps: number): Promise<void> {
  for (const t of threads) {
    let config = thread(t);
    let parent: Checkpoint = emptyCheckpoint();
    for (let i = 0; i < steps; i += 1) {
      const version = saver.getNextVersion(parent.channel_versions.n as number | undefined);
      const checkpoint: Checkpoint = { ...parent, id: uuid6(-3), ts: new Date(clock.now()).toISOString(), channel_values: { n: i }, channel_versions: { n: version } };
      config = await saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, { n: version });
      await saver.putWrites(config, [['n', i + 1]], `task-${i}`, '');
      parent = checkpoint;
    }
  }
}

/**
 * Counts sequential Redis round trips: commands issued in one synchronous run go out back to
 * back; a command issued after awaiting a reply starts a new round trip (as bench/profile.mjs).
 */
function countRoundTrips(saver: TieredCheckpointSaver): { roundTrips: () => number; restore: () => void } {
  const client = saver.hot.client as unknown as { sendCommand: (...a: unknown[]) => unknown };
  const original = client.sendCommand;
  let roundTrips = 0;
  let inBatch = false;
  client.sendCommand = function (this: unknown, ...args: unknown[]) {
    if (!inBatch) {
      roundTrips += 1;
      inBatch = true;
      queueMicrotask(() => (inBatch = false));
    }
    return original.apply(this, args);
  };
  return { roundTrips: () => roundTrips, restore: () => void (client.sendCommand = original) };
}

describe('migration batches', () => {
  it('take a bounded number of Redis round trips per batch, however many threads a batch covers', async () => {
    const perBatch: number[] = [];
    for (const [threads, steps] of [
      [4, 20],
      [40, 2],
    ] as const) {
      const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, migrationBatchSize: 40 });
      await fill(saver, Array.from({ length: threads }, (_, i) => `rt-${threads}-${i}`), steps);
      clock.advance(WINDOW + HOUR);
      const counter = countRoundTrips(saver);
      const report = await saver.migrate();
      counter.restore();
      expect(report).toMatchObject({ batches: 2, checkpointsCopied: 80, writesCopied: 80, entriesEvicted: 80, backlogRemaining: false });
      perBatch.push(counter.roundTrips() / report.batches);
      expect(await stores.countKeys(saver.options.keyPrefix)).toBe(threads); // the coldmax of each thread
    }
    // 4 threads or 40 per batch: the same handful of round trips (it was 3-5 per thread).
    expect(perBatch[0]).toBe(perBatch[1]);
    expect(Math.max(...perBatch)).toBeLessThanOrEqual(16);
  });

  it('read the next batch while the previous one is written, and copy threads a batch had no room for in a later one', async () => {
    const steps: string[] = [];
    const saver = await stores.freshSaver({
      clock,
      hotWindowMs: WINDOW,
      migrationBatchSize: 5,
      migrationStepHook: (step: MigrationStep, batch: number) => void steps.push(`${step}#${batch}`),
    });
    // 3 threads of 4 entries, batches of 5: every batch ends inside a thread.
    await fill(saver, ['ra-a', 'ra-b', 'ra-c'], 4);
    clock.advance(WINDOW + HOUR);
    const report = await saver.migrate();
    expect(report).toMatchObject({ batches: 3, checkpointsCopied: 12, writesCopied: 12, entriesEvicted: 12, entriesChanged: 0, backlogRemaining: false });
    // Batch 2 was read before batch 1 committed; each batch committed before it was cleaned up.
    expect(steps.indexOf('after-read#2')).toBeLessThan(steps.indexOf('after-commit#1'));
    for (const b of [1, 2, 3]) expect(steps.indexOf(`after-read#${b}`)).toBeLessThan(steps.indexOf(`after-commit#${b}`));
    for (const b of [1, 2, 3]) expect(steps.indexOf(`after-commit#${b}`)).toBeLessThan(steps.indexOf(`mid-cleanup#${b}`));
    expect((await stores.cold.stats()).checkpoints).toBe(12);
    expect(await stores.countKeys(saver.options.keyPrefix)).toBe(3); // the coldmax of each thread
    for (const t of ['ra-a', 'ra-b', 'ra-c']) expect((await saver.getTuple(thread(t)))?.pendingWrites).toEqual([['task-3', 'n', 4]]);
  });

  it('keep batches full when they end in the middle of a thread (the next one continues it while the first is in flight)', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, migrationBatchSize: 4 });
    const threads = ['fu-a', 'fu-b', 'fu-c', 'fu-d', 'fu-e'];
    await fill(saver, threads, 3);
    clock.advance(WINDOW + HOUR);
    // 15 entries in batches of 4: 4 commits, as without read-ahead.
    expect(await saver.migrate()).toMatchObject({ batches: 4, checkpointsCopied: 15, writesCopied: 15, entriesEvicted: 15, entriesChanged: 0, backlogRemaining: false });
    expect((await stores.cold.stats()).checkpoints).toBe(15);
    expect(await stores.countKeys(saver.options.keyPrefix)).toBe(threads.length);
  });

  it('stop at the batch budget with the backlog reported, and finish it in the next run', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, migrationBatchSize: 3, migrationMaxBatchesPerRun: 2 });
    await fill(saver, ['bb-a', 'bb-b'], 4);
    clock.advance(WINDOW + HOUR);
    expect(await saver.migrate()).toMatchObject({ batches: 2, checkpointsCopied: 6, backlogRemaining: true });
    expect(await saver.migrate()).toMatchObject({ batches: 1, checkpointsCopied: 2, backlogRemaining: false });
    expect((await stores.cold.stats()).checkpoints).toBe(8);
  });

  it('copy the due threads in thread-id order (primary-key order in PostgreSQL), not in age order', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, migrationBatchSize: 2 });
    for (const t of ['ord-c', 'ord-a', 'ord-b']) {
      await fill(saver, [t], 2);
      clock.advance(60_000); // c is the oldest, b the newest
    }
    clock.advance(WINDOW + HOUR);
    expect(await saver.migrate()).toMatchObject({ batches: 3, checkpointsCopied: 6 });
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    try {
      // A fresh heap keeps rows in insertion order.
      const { rows } = await db.query(`SELECT thread_id FROM "${stores.schema}".checkpoints ORDER BY ctid`);
      expect(rows.map((r) => r.thread_id)).toEqual(['ord-a', 'ord-a', 'ord-b', 'ord-b', 'ord-c', 'ord-c']);
    } finally {
      await db.end();
    }
  });

  it('drop a thread whose global index entry is stale (nothing due) instead of spinning on it', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
    await fill(saver, ['st-real'], 2);
    clock.advance(WINDOW + HOUR);
    // An index entry left by a crash between indexing and storing: no data behind it.
    await stores.redis.zadd(saver.hot.keys.threadsByAge, 0, 'st-ghost');
    expect(await saver.migrate()).toMatchObject({ checkpointsCopied: 2, backlogRemaining: false });
    expect(await stores.redis.zscore(saver.hot.keys.threadsByAge, 'st-ghost')).toBeNull();
    expect(await stores.redis.zcard(saver.hot.keys.threadsByAge)).toBe(0);
  });
});
