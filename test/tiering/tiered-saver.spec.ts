import { jest } from '@jest/globals';
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { ManualClock } from '../../src/core/clock.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { TestStores, countColdCalls } from '../support/test-stores.js';

const HOUR = 3600_000;
const WINDOW = 24 * HOUR;

let stores: TestStores;
let clock: ManualClock;
let saver: TieredCheckpointSaver;

beforeAll(async () => {
  stores = await TestStores.create('saver');
});
afterAll(async () => {
  await stores.cleanup();
});
beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
});

/** Puts one step of a thread: values for the given channels, versions from the saver. */
async function step(config: RunnableConfig, parent: Checkpoint | undefined, values: Record<string, unknown>, step: number): Promise<{ config: RunnableConfig; checkpoint: Checkpoint }> {
  const base = parent ?? emptyCheckpoint();
  const channel_versions = { ...base.channel_versions };
  const newVersions: Record<string, string | number> = {};
  const max = Object.values(channel_versions).sort().pop() as number | undefined;
  for (const ch of Object.keys(values)) {
    newVersions[ch] = saver.getNextVersion(max);
    channel_versions[ch] = newVersions[ch];
  }
  const checkpoint: Checkpoint = {
    ...base,
    id: uuid6(-3),
    ts: new Date(clock.now()).toISOString(),
    channel_values: { ...base.channel_values, ...values },
    channel_versions,
  };
  const next = await saver.put(config, checkpoint, { source: 'loop', step, parents: {} }, newVersions);
  return { config: next, checkpoint };
}

async function all(config: RunnableConfig, options?: Parameters<TieredCheckpointSaver['list']>[1]): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list(config, options)) out.push(t);
  return out;
}

const thread = (id: string, ns = ''): RunnableConfig => ({ configurable: { thread_id: id, checkpoint_ns: ns } });
const idOf = (t: CheckpointTuple | undefined) => t?.config.configurable?.checkpoint_id as string;

describe('TieredCheckpointSaver on real Redis and PostgreSQL', () => {
  it('serves writes and reads from Redis alone, sending nothing to PostgreSQL', async () => {
    const calls = countColdCalls(stores.cold);
    try {
      const s1 = await step(thread('t1'), undefined, { messages: ['hi'] }, 0);
      await saver.putWrites(s1.config, [['messages', 'pending']], 'task-1', '~0');
      const s2 = await step(s1.config, s1.checkpoint, { messages: ['hi', 'there'] }, 1);
      const latest = await saver.getTuple(thread('t1'));
      const byId = await saver.getTuple(s1.config);
      const page = await all(thread('t1'), { limit: 2 });
      expect(idOf(latest)).toBe(s2.checkpoint.id);
      expect(latest?.checkpoint.channel_values).toEqual({ messages: ['hi', 'there'] });
      expect(byId?.pendingWrites).toEqual([['task-1', 'messages', 'pending']]);
      expect(page.map(idOf)).toEqual([s2.checkpoint.id, s1.checkpoint.id]);
      expect(calls.total()).toBe(0);
    } finally {
      calls.restore();
    }
    expect((await stores.cold.stats()).checkpoints).toBe(0);
  });

  it('migrates what aged past the window and reads it back unchanged', async () => {
    const s1 = await step(thread('t2'), undefined, { a: 1, b: 'x' }, 0);
    await saver.putWrites(s1.config, [['a', 2], ['b', 'y']], 'task-1', '~0');
    const s2 = await step(s1.config, s1.checkpoint, { a: 2 }, 1);
    const before = await all(thread('t2'));

    clock.advance(WINDOW + HOUR);
    const report = await saver.migrate();
    expect(report).toMatchObject({ leaseAcquired: true, checkpointsCopied: 2, writesCopied: 2, blobsCopied: 3, entriesEvicted: 2, backlogRemaining: false });
    expect(report.bytesCopied).toBeGreaterThan(0);

    const prefix = saver.options.keyPrefix;
    // Only the per-thread cold high-water mark stays in Redis.
    expect(await stores.countKeys(prefix)).toBe(1);
    expect(await stores.cold.stats()).toMatchObject({ checkpoints: 2, blobs: 3, writes: 2 });
    expect(await all(thread('t2'))).toEqual(before);
    expect(idOf(await saver.getTuple(thread('t2')))).toBe(s2.checkpoint.id);

    // Idempotent: nothing more to do, nothing duplicated.
    const again = await saver.migrate();
    expect(again).toMatchObject({ checkpointsCopied: 0, writesCopied: 0, batches: 0 });
    expect(await stores.cold.stats()).toMatchObject({ checkpoints: 2, blobs: 3, writes: 2 });
  });

  it('resumes a thread days later: history in PostgreSQL, new steps in Redis, one ordered list', async () => {
    const s1 = await step(thread('t3'), undefined, { n: 1 }, 0);
    const s2 = await step(s1.config, s1.checkpoint, { n: 2 }, 1);
    const s3 = await step(s2.config, s2.checkpoint, { n: 3 }, 2);
    clock.advance(3 * WINDOW);
    await saver.migrate();
    const s4 = await step(s3.config, s3.checkpoint, { n: 4 }, 3);
    const s5 = await step(s4.config, s4.checkpoint, { n: 5 }, 4);

    const calls = countColdCalls(stores.cold);
    try {
      const latest = await saver.getTuple(thread('t3'));
      expect(latest?.checkpoint.channel_values).toEqual({ n: 5 });
      expect(latest?.parentConfig?.configurable?.checkpoint_id).toBe(s4.checkpoint.id);
      expect(calls.total()).toBe(0);
    } finally {
      calls.restore();
    }
    const s4tuple = await saver.getTuple(s4.config);
    expect(s4tuple?.parentConfig?.configurable?.checkpoint_id).toBe(s3.checkpoint.id);
    expect((await saver.getTuple(s4tuple!.parentConfig!))?.checkpoint.channel_values).toEqual({ n: 3 });

    const ids = [s5, s4, s3, s2, s1].map((s) => s.checkpoint.id);
    expect((await all(thread('t3'))).map(idOf)).toEqual(ids);
    // Pages that span the tier boundary, walked with before + limit.
    const page1 = await all(thread('t3'), { limit: 3 });
    const page2 = await all(thread('t3'), { limit: 3, before: page1[2].config });
    expect(page1.map(idOf)).toEqual(ids.slice(0, 3));
    expect(page2.map(idOf)).toEqual(ids.slice(3));
    expect((await all(thread('t3'), { before: s4.config, limit: 1 })).map(idOf)).toEqual([s3.checkpoint.id]);
    expect((await all(thread('t3'), { filter: { step: 1 } })).map(idOf)).toEqual([s2.checkpoint.id]);
  });

  it('keeps a channel value in Redis while a hot checkpoint needs it, after its writer migrated', async () => {
    const s1 = await step(thread('t4'), undefined, { big: 'written-once', n: 1 }, 0);
    clock.advance(2 * HOUR);
    const s2 = await step(s1.config, s1.checkpoint, { n: 2 }, 1);
    clock.advance(WINDOW - HOUR); // s1 is past the window, s2 is not
    const report = await saver.migrate();
    expect(report.checkpointsCopied).toBe(1);

    const calls = countColdCalls(stores.cold);
    try {
      const t = await saver.getTuple(s2.config);
      expect(t?.checkpoint.channel_values).toEqual({ big: 'written-once', n: 2 });
      expect(calls.total()).toBe(0);
    } finally {
      calls.restore();
    }
    expect((await saver.getTuple(s1.config))?.checkpoint.channel_values).toEqual({ big: 'written-once', n: 1 });
  });

  it('brings values a resumed thread still references back into Redis on first read, so later reads stay hot', async () => {
    const s1 = await step(thread('t11'), undefined, { topic: 'kept-from-before', n: 1 }, 0);
    clock.advance(3 * WINDOW);
    await saver.migrate();
    // Only `n` changes after the resume; `topic` was written before the history migrated.
    const s2 = await step(s1.config, s1.checkpoint, { n: 2 }, 1);
    const calls = countColdCalls(stores.cold);
    try {
      // The first read fetches `topic` from PostgreSQL once and keeps it in Redis.
      expect((await saver.getTuple(thread('t11')))?.checkpoint.channel_values).toEqual({ topic: 'kept-from-before', n: 2 });
      expect(calls.total()).toBe(1);
      calls.reset();
      const s3 = await step(s2.config, s2.checkpoint, { n: 3 }, 2);
      expect((await saver.getTuple(thread('t11')))?.checkpoint.channel_values).toEqual({ topic: 'kept-from-before', n: 3 });
      expect((await saver.getTuple(s2.config))?.checkpoint.channel_values).toEqual({ topic: 'kept-from-before', n: 2 });
      expect((await all(thread('t11'), { limit: 2 })).map(idOf)).toEqual([s3.checkpoint.id, s2.checkpoint.id]);
      expect(calls.total()).toBe(0);
    } finally {
      calls.restore();
    }
    // Migrating the resumed steps releases the adopted values again: nothing left but the mark.
    clock.advance(3 * WINDOW);
    await saver.migrate();
    expect(await stores.countKeys(saver.options.keyPrefix)).toBe(1);
    expect((await saver.getTuple(s2.config))?.checkpoint.channel_values).toEqual({ topic: 'kept-from-before', n: 2 });
  });

  it('reads late writes to a cold checkpoint from both tiers and migrates them later', async () => {
    const s1 = await step(thread('t5'), undefined, { n: 1 }, 0);
    await saver.putWrites(s1.config, [['n', 'first']], 'task-a', '~0');
    clock.advance(WINDOW + HOUR);
    await saver.migrate();
    await saver.putWrites(s1.config, [['n', 'late']], 'task-b', '~1');
    await saver.putWrites(s1.config, [['n', 'not-first']], 'task-a', '~0'); // (task-a, 0) exists: first write wins
    const expected = [
      ['task-a', 'n', 'first'],
      ['task-b', 'n', 'late'],
    ];
    expect((await saver.getTuple(s1.config))?.pendingWrites).toEqual(expected);
    expect((await saver.getTuple(thread('t5')))?.pendingWrites).toEqual(expected);
    expect((await all(thread('t5')))[0].pendingWrites).toEqual(expected);

    clock.advance(WINDOW + HOUR);
    const report = await saver.migrate();
    expect(report.writesCopied).toBe(2);
    expect(await stores.cold.stats()).toMatchObject({ writes: 2 });
    expect((await saver.getTuple(s1.config))?.pendingWrites).toEqual(expected);
  });

  it('answers "latest" of a migrated thread, late writes included, with one Redis lookup', async () => {
    const s1 = await step(thread('t5b'), undefined, { n: 1 }, 0);
    const s2 = await step(s1.config, s1.checkpoint, { n: 2 }, 1);
    clock.advance(WINDOW + HOUR);
    await saver.migrate();
    await saver.putWrites(s2.config, [['n', 'late']], 'task-b', '~1');
    const writesLookups = jest.spyOn(saver.hot, 'getWrites');
    try {
      const latest = await saver.getTuple(thread('t5b'));
      expect(idOf(latest)).toBe(s2.checkpoint.id);
      expect(latest?.pendingWrites).toEqual([['task-b', 'n', 'late']]);
      // The lookup script returned the writes of the cold high-water mark: no second trip.
      expect(writesLookups).not.toHaveBeenCalled();
    } finally {
      writesLookups.mockRestore();
    }
  });

  it('lists more hot checkpoints than one list script returns, in order, with limit and before', async () => {
    let last = await step(thread('t-long'), undefined, { n: 0 }, 0);
    const ids = [last.checkpoint.id];
    for (let i = 1; i < 230; i += 1) {
      last = await step(last.config, last.checkpoint, { n: i }, i);
      ids.push(last.checkpoint.id);
    }
    const newestFirst = [...ids].reverse();
    expect((await all(thread('t-long'))).map(idOf)).toEqual(newestFirst);
    expect((await all(thread('t-long'), { limit: 150 })).map(idOf)).toEqual(newestFirst.slice(0, 150));
    const before = { configurable: { thread_id: 't-long', checkpoint_ns: '', checkpoint_id: ids[200] } };
    expect((await all(thread('t-long'), { before })).map(idOf)).toEqual(newestFirst.slice(30));
    expect((await all(thread('t-long'), { before, limit: 120 })).map(idOf)).toEqual(newestFirst.slice(30, 150));
    const page = await all(thread('t-long'), { limit: 3 });
    expect(page.map((t) => t.checkpoint.channel_values)).toEqual([{ n: 229 }, { n: 228 }, { n: 227 }]);
  });

  it('gives sibling forks of one checkpoint their own values', async () => {
    const s1 = await step(thread('t6'), undefined, { topic: 'root' }, 0);
    const forkA = await step(s1.config, s1.checkpoint, { topic: 'branch-a' }, 1);
    const forkB = await step(s1.config, s1.checkpoint, { topic: 'branch-b' }, 1);
    expect(forkA.checkpoint.channel_versions.topic).not.toEqual(forkB.checkpoint.channel_versions.topic);
    for (const placement of ['hot', 'cold']) {
      expect((await saver.getTuple(forkA.config))?.checkpoint.channel_values).toEqual({ topic: 'branch-a' });
      expect((await saver.getTuple(forkB.config))?.checkpoint.channel_values).toEqual({ topic: 'branch-b' });
      if (placement === 'hot') {
        clock.advance(WINDOW + HOUR);
        await saver.migrate();
      }
    }
    expect((await stores.cold.stats()).checkpoints).toBe(3);
  });

  it('deletes a thread from both tiers, leaving no key or row behind', async () => {
    const s1 = await step(thread('t7'), undefined, { n: 1 }, 0);
    await step(thread('t7', 'child:1'), undefined, { n: 1 }, 0);
    clock.advance(WINDOW + HOUR);
    await saver.migrate();
    await saver.putWrites(s1.config, [['n', 'late']], 'task', '');
    await step(s1.config, s1.checkpoint, { n: 2 }, 1);
    const other = await step(thread('keep'), undefined, { n: 9 }, 0);

    await saver.deleteThread('t7');
    expect(await saver.getTuple(thread('t7'))).toBeUndefined();
    expect(await all(thread('t7'))).toEqual([]);
    expect(await all({ configurable: {} })).toHaveLength(1);
    expect((await saver.getTuple(other.config))?.checkpoint.channel_values).toEqual({ n: 9 });
    expect((await stores.cold.stats()).checkpoints).toBe(0);
    // The other thread's keys remain: ns, idx, cp, blobs, brefs, age, ver + the global age index.
    const prefix = saver.options.keyPrefix;
    const leftover = [] as string[];
    for await (const batch of stores.redis.scanStream({ match: `${prefix}:*t7*` })) leftover.push(...(batch as string[]));
    expect(leftover).toEqual([]);
  });

  it('copies early and evicts late when copyAfterMs < hotWindowMs', async () => {
    const split = await stores.freshSaver({ clock, hotWindowMs: WINDOW, copyAfterMs: HOUR });
    saver = split;
    const s1 = await step(thread('t8'), undefined, { n: 1 }, 0);
    clock.advance(2 * HOUR);
    const copied = await split.migrate();
    expect(copied).toMatchObject({ checkpointsCopied: 1, entriesEvicted: 0 });
    expect((await stores.cold.stats()).checkpoints).toBe(1);

    const calls = countColdCalls(stores.cold);
    try {
      expect((await split.getTuple(thread('t8')))?.checkpoint.channel_values).toEqual({ n: 1 });
      expect(await all(thread('t8'), { limit: 1 })).toHaveLength(1);
      expect(calls.total()).toBe(0);
    } finally {
      calls.restore();
    }
    // A write after the copy re-queues the entry; it is copied again, then evicted.
    await split.putWrites(s1.config, [['n', 'after-copy']], 'task', '');
    clock.advance(WINDOW);
    const evicted = await split.migrate();
    expect(evicted).toMatchObject({ writesCopied: 1, entriesEvicted: 1 });
    expect(await stores.countKeys(split.options.keyPrefix)).toBe(1);
    expect((await split.getTuple(s1.config))?.pendingWrites).toEqual([['task', 'n', 'after-copy']]);
  });

  it('does not lose a write that arrives while its checkpoint is being migrated', async () => {
    const s1 = await step(thread('t9'), undefined, { n: 1 }, 0);
    clock.advance(WINDOW + HOUR);
    const cold = stores.cold;
    const original = cold.writeMigrationBatch.bind(cold);
    let fired = false;
    cold.writeMigrationBatch = async (batch, epochs) => {
      // Redis was read already; this write is not in the batch.
      if (!fired) await saver.putWrites(s1.config, [['n', 'during']], 'task-late', '');
      fired = true;
      return original(batch, epochs);
    };
    let report;
    try {
      report = await saver.migrate();
    } finally {
      cold.writeMigrationBatch = original;
    }
    // The first batch left the changed entry queued; the second batch of the run copied it.
    expect(report).toMatchObject({ entriesChanged: 1, batches: 2, checkpointsCopied: 2, writesCopied: 1, entriesEvicted: 1 });
    expect((await stores.cold.stats()).writes).toBe(1);
    expect(await stores.countKeys(saver.options.keyPrefix)).toBe(1);
    expect((await saver.getTuple(s1.config))?.pendingWrites).toEqual([['task-late', 'n', 'during']]);
  });

  it('does not resurrect a thread deleted while its batch is in flight', async () => {
    const s1 = await step(thread('t10'), undefined, { n: 1 }, 0);
    clock.advance(WINDOW + HOUR);
    const cold = stores.cold;
    const original = cold.writeMigrationBatch.bind(cold);
    cold.writeMigrationBatch = async (batch, epochs) => {
      await saver.deleteThread('t10');
      return original(batch, epochs);
    };
    let report;
    try {
      report = await saver.migrate();
    } finally {
      cold.writeMigrationBatch = original;
    }
    expect(report.threadsSkippedDeleted).toBe(1);
    expect(await saver.getTuple(s1.config)).toBeUndefined();
    expect((await stores.cold.stats()).checkpoints).toBe(0);
  });

  it('drains a backlog larger than one run in bounded batches across runs', async () => {
    const small = await stores.freshSaver({ clock, hotWindowMs: WINDOW, migrationBatchSize: 3, migrationMaxBatchesPerRun: 2 });
    saver = small;
    for (let i = 0; i < 10; i += 1) await step(thread(`b${i}`), undefined, { i }, 0);
    clock.advance(WINDOW + HOUR);
    const first = await small.migrate();
    expect(first).toMatchObject({ batches: 2, checkpointsCopied: 6, backlogRemaining: true });
    const second = await small.migrate();
    expect(second).toMatchObject({ checkpointsCopied: 4, backlogRemaining: false });
    expect((await stores.cold.stats()).checkpoints).toBe(10);
    expect(await all({ configurable: {} })).toHaveLength(10);
  });
});
