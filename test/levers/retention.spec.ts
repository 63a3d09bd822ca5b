import { BaseCheckpointSaver, DeltaSnapshot, emptyCheckpoint, uuid6, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { ManualClock } from '../../src/core/clock.js';
import { InvalidCheckpointConfigError, InvalidOptionsError } from '../../src/errors/tiered-checkpoint.errors.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { TestStores } from '../support/test-stores.js';

const HOUR = 3600_000;
const WINDOW = 24 * HOUR;

let stores: TestStores;
let clock: ManualClock;

beforeAll(async () => {
  stores = await TestStores.create('levers');
});
afterAll(async () => {
  await stores.cleanup();
});

async function all(saver: TieredCheckpointSaver, config: RunnableConfig): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list(config)) out.push(t);
  return out;
}

/** A thread of `steps` checkpoints (each step writes `n` and a growing `log`), one write per step. */
async function thread(saver: TieredCheckpointSaver, threadId: string, steps: number, ns = '', source: (i: number) => 'input' | 'loop' = () => 'loop'): Promise<RunnableConfig[]> {
  let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  let parent: Checkpoint | undefined;
  const configs: RunnableConfig[] = [];
  for (let i = 0; i < steps; i += 1) {
    const v = saver.getNextVersion(undefined);
    const cp: Checkpoint = {
      ...(parent ?? emptyCheckpoint()),
      id: uuid6(-3),
      channel_values: { ...(parent?.channel_values ?? {}), n: i, [`only${i % 2}`]: `v${i}` },
      channel_versions: { ...(parent?.channel_versions ?? {}), n: v, [`only${i % 2}`]: v },
    };
    config = await saver.put(config, cp, { source: source(i), step: i, parents: {} }, { n: v, [`only${i % 2}`]: v });
    await saver.putWrites(config, [['n', `w${i}`]], `task-${i}`, '~0');
    configs.push(config);
    parent = cp;
    clock.advance(HOUR);
  }
  return configs;
}

describe('cost levers: retention, prune, copyThread', () => {
  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
  });

  it('prune keeps the newest N per namespace across both tiers, fully readable, and frees the rest', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
    await thread(saver, 'p', 8);
    await thread(saver, 'p', 3, 'child:1');
    clock.advance(WINDOW - 4 * HOUR); // the oldest checkpoints pass the window, the newest not
    await saver.migrate();
    const before = await all(saver, { configurable: { thread_id: 'p' } });
    const coldBefore = await stores.cold.stats();
    expect(coldBefore.checkpoints).toBeGreaterThan(0);

    const report = await saver.prune(['p'], { keepLast: 2 });
    expect(report).toMatchObject({ threads: 1, checkpointsKept: 4, checkpointsDeleted: 7 });
    const after = await all(saver, { configurable: { thread_id: 'p' } });
    const expected = [...before.filter((t) => t.config.configurable?.checkpoint_ns === '').slice(0, 2), ...before.filter((t) => t.config.configurable?.checkpoint_ns === 'child:1').slice(0, 2)];
    const byId = (a: CheckpointTuple, b: CheckpointTuple) => String(a.config.configurable?.checkpoint_id).localeCompare(String(b.config.configurable?.checkpoint_id));
    expect([...after].sort(byId)).toEqual([...expected].sort(byId));

    const coldAfter = await stores.cold.stats();
    expect(coldAfter.checkpoints).toBeLessThan(coldBefore.checkpoints);
    expect(coldAfter.blobs).toBeLessThan(coldBefore.blobs);
    // Everything kept survives migration too.
    clock.advance(3 * WINDOW);
    await saver.migrate();
    expect([...(await all(saver, { configurable: { thread_id: 'p' } }))].sort(byId)).toEqual([...expected].sort(byId));
    await expect(saver.prune(['p'], { keepLast: 0 })).rejects.toThrow(InvalidOptionsError);
  });

  it('keeps the ancestors a delta channel of a kept checkpoint replays from', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
    const meta = { source: 'loop' as const, step: 0, parents: {} };
    const put = async (parentConfig: RunnableConfig, values: Record<string, unknown>) => {
      const versions = Object.fromEntries(Object.keys(values).map((k) => [k, saver.getNextVersion(undefined)]));
      return saver.put(parentConfig, { ...emptyCheckpoint(), id: uuid6(-3), channel_values: values, channel_versions: versions }, meta, versions);
    };
    let c = await put({ configurable: { thread_id: 'd', checkpoint_ns: '' } }, { other: 'root' });
    c = await put(c, { messages: new DeltaSnapshot(['seed']) });
    const snapshotId = c.configurable?.checkpoint_id;
    for (let i = 0; i < 5; i += 1) {
      await saver.putWrites(c, [['messages', [`m${i}`]]], `task${i}`);
      c = await put(c, {});
    }
    clock.advance(2 * WINDOW);
    await saver.migrate();
    const ask = { config: c, channels: ['messages'] };
    const history = await saver.getDeltaChannelHistory(ask);
    expect(history.messages.writes.map((w) => w[2])).toEqual([['m0'], ['m1'], ['m2'], ['m3'], ['m4']]);

    const report = await saver.prune(['d'], { keepLast: 1 });
    // The root (before the snapshot) goes; the snapshot and everything after it stays.
    expect(report.checkpointsDeleted).toBe(1);
    expect(await saver.getDeltaChannelHistory(ask)).toEqual(history);
    expect(await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(saver, ask)).toEqual(history);
    expect((await saver.getTuple({ configurable: { thread_id: 'd', checkpoint_ns: '', checkpoint_id: snapshotId } }))?.checkpoint.channel_values.messages).toBeInstanceOf(DeltaSnapshot);
  });

  it('applies retention during migration: keep only the final checkpoint of each run', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, retention: { mode: 'finalOnly' } });
    // Three runs of three steps: input, loop, loop.
    const configs = await thread(saver, 'runs', 9, '', (i) => (i % 3 === 0 ? 'input' : 'loop'));
    clock.advance(2 * WINDOW);
    const report = await saver.migrate();
    expect(report.checkpointsCopied).toBe(9);
    expect(report.checkpointsPruned).toBe(6);
    const kept = (await all(saver, { configurable: { thread_id: 'runs' } })).map((t) => t.config.configurable?.checkpoint_id);
    expect(kept).toEqual([configs[8], configs[5], configs[2]].map((c) => c.configurable?.checkpoint_id));
    expect((await saver.getTuple(configs[5]))?.pendingWrites).toEqual([['task-5', 'n', 'w5']]);
    expect((await stores.cold.stats()).checkpoints).toBe(3);
  });

  it('copies a thread with its history, values and writes, from both tiers', async () => {
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
    await thread(saver, 'src', 4);
    clock.advance(WINDOW - 2 * HOUR);
    await saver.migrate(); // split: older steps cold, newer hot
    await thread(saver, 'src', 2, 'child:1');
    const strip = (tuples: CheckpointTuple[]) =>
      tuples.map((t) => ({ ...t, config: { configurable: { ...t.config.configurable, thread_id: 'X' } }, parentConfig: t.parentConfig ? { configurable: { ...t.parentConfig.configurable, thread_id: 'X' } } : undefined }));
    const source = await all(saver, { configurable: { thread_id: 'src' } });
    expect(await saver.copyThread('src', 'dst')).toBe(6);
    expect(strip(await all(saver, { configurable: { thread_id: 'dst' } }))).toEqual(strip(source));
    await expect(saver.copyThread('src', 'dst')).rejects.toThrow(InvalidCheckpointConfigError);
    // The copy is independent: deleting the source leaves it whole, also after migration.
    await saver.deleteThread('src');
    clock.advance(3 * WINDOW);
    await saver.migrate();
    expect(strip(await all(saver, { configurable: { thread_id: 'dst' } }))).toEqual(strip(source));
  });
});

describe('cost lever: thread TTL', () => {
  it('deletes threads idle longer than the TTL from both tiers and refuses late writes to them', async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, threadTtlMs: 10 * 24 * HOUR });
    const idle = await thread(saver, 'idle', 3);
    clock.advance(2 * WINDOW);
    await saver.migrate(); // idle's history is cold now
    clock.advance(9 * 24 * HOUR);
    await thread(saver, 'busy', 2); // written recently
    const { ThreadExpiredError } = await import('../../src/errors/tiered-checkpoint.errors.js');
    const report = await saver.migrate();
    expect(report.threadsExpired).toBe(1);
    expect(await saver.getTuple({ configurable: { thread_id: 'idle' } })).toBeUndefined();
    expect(await all(saver, { configurable: { thread_id: 'idle' } })).toEqual([]);
    expect((await all(saver, { configurable: { thread_id: 'busy' } })).length).toBe(2);
    // A late write to the expired thread is refused, and nothing of it comes back.
    await expect(saver.putWrites(idle[2], [['n', 'late']], 'late-task')).rejects.toBeInstanceOf(ThreadExpiredError);
    await expect(thread(saver, 'idle', 1)).rejects.toThrow(/idle longer than its TTL/);
    expect(await saver.getTuple({ configurable: { thread_id: 'idle' } })).toBeUndefined();
    // idle's history was cold: gone from PostgreSQL too (busy is still only hot).
    expect((await stores.cold.list({})).map((r) => r.threadId)).toEqual([]);
    // Only the tombstone is left of the expired thread in Redis.
    const left: string[] = [];
    for await (const batch of stores.redis.scanStream({ match: `${saver.options.keyPrefix}:{${saver.options.keyPrefix}:idle}:*` })) left.push(...(batch as string[]));
    expect(left).toEqual([`${saver.options.keyPrefix}:{${saver.options.keyPrefix}:idle}:expired`]);
    // A thread that was written again after the sweep chose it is not deleted.
    expect((await saver.migrate()).threadsExpired).toBe(0);
    // An explicit deleteThread lifts the tombstone: the caller may start the thread again.
    await saver.deleteThread('idle');
    await thread(saver, 'idle', 1);
    expect((await all(saver, { configurable: { thread_id: 'idle' } })).length).toBe(1);
  });
});

describe('cost lever: cold compression', () => {
  it('stores compressible values gzip-compressed in PostgreSQL and reads them back unchanged', async () => {
    const { ColdTierStore } = await import('../../src/cold-tier/cold-tier.store.js');
    const { HotTierStore } = await import('../../src/hot-tier/hot-tier.store.js');
    const { TieredCheckpointSaver } = await import('../../src/tiering/tiered-checkpoint.saver.js');
    const { DATABASE_URL, uniqueName } = await import('../support/test-stores.js');
    const sizes: Record<string, number> = {};
    const results: Record<string, CheckpointTuple[]> = {};
    for (const mode of ['none', 'gzip'] as const) {
      clock = new ManualClock(Date.UTC(2026, 0, 1));
      const schema = uniqueName(`t_gz_${mode}`).toLowerCase();
      const cold = new ColdTierStore({ databaseUrl: DATABASE_URL, schema, compression: mode });
      await cold.setup();
      const keyPrefix = uniqueName('tcgz');
      stores.prefixes.push(keyPrefix);
      const saver = new TieredCheckpointSaver(new HotTierStore({ redis: stores.redis, keyPrefix }), cold, { clock, keyPrefix, schema });
      let config: RunnableConfig = { configurable: { thread_id: 'gz', checkpoint_ns: '' } };
      const messages: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        messages.push(`message ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(20)}`);
        const v = saver.getNextVersion(undefined);
        config = await saver.put(config, { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { messages: [...messages] }, channel_versions: { messages: v } }, { source: 'loop', step: i, parents: {} }, { messages: v });
        await saver.putWrites(config, [['messages', messages[i]]], `t${i}`);
      }
      const hot = await all(saver, { configurable: { thread_id: 'gz' } });
      clock.advance(2 * WINDOW);
      await saver.migrate();
      results[mode] = await all(saver, { configurable: { thread_id: 'gz' } });
      expect(results[mode]).toEqual(hot);
      const stats = await cold.stats();
      sizes[mode] = stats.tables.checkpoint_blobs.totalBytes + stats.tables.checkpoint_writes.totalBytes;
      const pg = (await import('pg')).default;
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      const types = await admin.query(`SELECT DISTINCT type FROM "${schema}".checkpoint_blobs`);
      expect(types.rows.map((r) => r.type)).toEqual([mode === 'gzip' ? 'gzip:json' : 'json']);
      await cold.close();
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.end();
    }
    // Same workload both times (ids differ): compressed, the values and writes take less room.
    expect(results.gzip.length).toBe(results.none.length);
    expect(sizes.gzip).toBeLessThan(sizes.none);
  });
});

describe('retention on a real LangGraph graph', () => {
  it('keeps the last checkpoint of each turn (finalOnly) and the newest N (keepLast); the graph goes on from them', async () => {
    const { Annotation, END, START, StateGraph } = await import('@langchain/langgraph');
    const Chat = Annotation.Root({ turns: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }) });
    const build = (saver: TieredCheckpointSaver) =>
      new StateGraph(Chat)
        .addNode('listen', () => ({}))
        .addNode('reply', (s) => ({ turns: [`reply to ${s.turns[s.turns.length - 1]}`] }))
        .addEdge(START, 'listen')
        .addEdge('listen', 'reply')
        .addEdge('reply', END)
        .compile({ checkpointer: saver });
    for (const [options, expectedKept] of [[{ finalOnly: true } as const, 3], [{ keepLast: 2 }, 2]] as const) {
      clock = new ManualClock(Date.UTC(2026, 0, 1));
      const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
      const graph = build(saver);
      const config = { configurable: { thread_id: 'chat' } };
      for (const text of ['one', 'two', 'three']) await graph.invoke({ turns: [text] }, config);
      const before = (await graph.getState(config)).values;
      const total = (await all(saver, { configurable: { thread_id: 'chat' } })).length;
      clock.advance(2 * WINDOW);
      await saver.migrate();
      const report = await saver.prune(['chat'], options);
      expect(report).toMatchObject({ checkpointsKept: expectedKept, checkpointsDeleted: total - expectedKept });
      expect((await graph.getState(config)).values).toEqual(before);
      const after = await graph.invoke({ turns: ['four'] }, config);
      expect(after.turns).toEqual(['one', 'reply to one', 'two', 'reply to two', 'three', 'reply to three', 'four', 'reply to four']);
    }
  });
});
