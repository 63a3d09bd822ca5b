import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import pg from 'pg';
import { ManualClock } from '../../src/core/clock.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, TestStores } from '../support/test-stores.js';

const HOUR = 3600_000;

let stores: TestStores;
let clock: ManualClock;

beforeAll(async () => {
  stores = await TestStores.create('hotz');
});
afterAll(async () => {
  await stores.cleanup();
});
beforeEach(() => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
});

/** A chat-like thread: a `log` channel that grows by a few hundred bytes a step, and one write per step. */
async function chat(saver: TieredCheckpointSaver, threadId: string, steps: number): Promise<RunnableConfig[]> {
  let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: '' } };
  let parent: Checkpoint | undefined;
  const configs: RunnableConfig[] = [];
  for (let i = 0; i < steps; i += 1) {
    const v = saver.getNextVersion(parent?.channel_versions.log as number | undefined);
    const log = [...((parent?.channel_values.log as string[]) ?? []), `turn ${i}: the customer asks about order ${1000 + i}; the agent answers that it ships on day ${i % 7}.`.repeat(3)];
    const cp: Checkpoint = { ...(parent ?? emptyCheckpoint()), id: uuid6(-3), channel_values: { log }, channel_versions: { log: v } };
    config = await saver.put(config, cp, { source: 'loop', step: i, parents: {} }, { log: v });
    await saver.putWrites(config, [['log', log.slice(-2)]], `task-${i}`, '~0');
    configs.push(config);
    parent = cp;
  }
  return configs;
}

async function all(saver: TieredCheckpointSaver, threadId: string): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list({ configurable: { thread_id: threadId } })) out.push(t);
  return out;
}

/** Redis bytes of a thread's channel values (the hash that holds them). */
async function valueBytes(saver: TieredCheckpointSaver, threadId: string): Promise<number> {
  return Number(await stores.redis.memory('USAGE', saver.hot.keys.blobs(threadId, ''), 'SAMPLES', '0'));
}

describe('hot compression lever (HOT_COMPRESSION=deflate)', () => {
  it('stores large values and writes compressed in Redis and reads back exactly what was written', async () => {
    const plain = stores.saver({ clock });
    const deflate = stores.saver({ clock, hotCompression: 'deflate' });
    await chat(plain, 'z', 12);
    await chat(deflate, 'z', 12);
    const [a, b] = [await all(plain, 'z'), await all(deflate, 'z')];
    expect(b).toHaveLength(12);
    expect(b.map((t) => [t.checkpoint.channel_values, t.pendingWrites])).toEqual(a.map((t) => [t.checkpoint.channel_values, t.pendingWrites]));
    const [plainBytes, deflateBytes] = [await valueBytes(plain, 'z'), await valueBytes(deflate, 'z')];
    expect(deflateBytes).toBeLessThan(plainBytes * 0.6);
  });

  it('reads values written under either setting with the other (switching it on or off is safe)', async () => {
    const writer = stores.saver({ clock, hotCompression: 'deflate' });
    const configs = await chat(writer, 'mixed', 6);
    const reader = stores.saver({ clock, keyPrefix: writer.options.keyPrefix });
    await chat(reader, 'mixed-2', 3);
    const byId = await reader.getTuple(configs[4]);
    expect((byId?.checkpoint.channel_values.log as string[]).length).toBe(5);
    expect(byId?.pendingWrites?.[0]?.[2]).toEqual((byId?.checkpoint.channel_values.log as string[]).slice(-2));
    const again = stores.saver({ clock, keyPrefix: writer.options.keyPrefix, hotCompression: 'deflate' });
    expect((await all(again, 'mixed-2')).map((t) => (t.checkpoint.channel_values.log as string[]).length)).toEqual([3, 2, 1]);
  });

  it('hands PostgreSQL the plain serde bytes on migration', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: HOUR, hotCompression: 'deflate' });
    await chat(saver, 'm', 5);
    const before = await all(saver, 'm');
    clock.advance(2 * HOUR);
    const report = await saver.migrate();
    expect(report).toMatchObject({ checkpointsCopied: 5, entriesEvicted: 5 });
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const types = await client.query(`SELECT DISTINCT type FROM "${stores.schema}".checkpoint_blobs UNION SELECT DISTINCT type FROM "${stores.schema}".checkpoint_writes`);
      expect(types.rows.map((r) => r.type)).toEqual(['json']);
    } finally {
      await client.end();
    }
    expect(await all(saver, 'm')).toEqual(before);
  });

  it('rejects an unknown setting with the other option problems', () => {
    expect(() => stores.saver({ hotCompression: 'lz4' as 'deflate' })).toThrow(/hotCompression must be "none" or "deflate", got "lz4"/);
  });
});
