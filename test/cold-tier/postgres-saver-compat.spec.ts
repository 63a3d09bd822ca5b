import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { JsonPlusSerializer, uuid6, type Checkpoint, type CheckpointMetadata, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import type { ColdCheckpoint, ColdCheckpointRow, MigrationBatch } from '../../src/core/records.js';

/**
 * Our tables are PostgresSaver's tables: either saver reads what the other wrote, and each one's
 * setup() accepts a schema the other set up.
 */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const schemaName = (tag: string) => `cold_${tag}_${randomBytes(4).toString('hex')}`;
const serde = new JsonPlusSerializer();

/** Channel values of a cold checkpoint, decoded the way a saver would (empty channels left out). */
async function channelValues(cold: ColdCheckpoint): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const blob of cold.blobs) {
    if (blob.type !== 'empty') values[blob.channel] = await serde.loadsTyped(blob.type, blob.bytes!);
  }
  return values;
}

async function pendingWrites(cold: ColdCheckpoint): Promise<Array<[string, string, unknown]>> {
  return Promise.all(cold.writes.map(async (w) => [w.taskId, w.channel, await serde.loadsTyped(w.type, w.bytes)] as [string, string, unknown]));
}

function skeleton(checkpoint: Checkpoint): Record<string, unknown> {
  const { channel_values: _omitted, ...rest } = checkpoint;
  return rest;
}

describe('PostgresSaver compatibility', () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schemas: string[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  function saverOn(schema: string): PostgresSaver {
    const saver = PostgresSaver.fromConnString(DATABASE_URL, { schema });
    closers.push(() => saver.end());
    return saver;
  }

  function storeOn(schema: string): ColdTierStore {
    const store = new ColdTierStore({ databaseUrl: DATABASE_URL, schema });
    closers.push(() => store.close());
    return store;
  }

  it('(a) reads what PostgresSaver wrote, after setting up over its tables', async () => {
    const schema = schemaName('pgs_first');
    schemas.push(schema);
    const saver = saverOn(schema);
    await saver.setup();

    // Exact values through put / putWrites.
    const id1 = uuid6(-1);
    const id2 = uuid6(-1);
    const cp1: Checkpoint = {
      v: 4,
      id: id1,
      ts: '2026-01-01T00:00:00.000Z',
      channel_values: { messages: ['hello'], counter: 1 },
      channel_versions: { messages: '1', counter: '1' },
      versions_seen: { agent: { messages: '1' } },
    };
    const cp2: Checkpoint = {
      v: 4,
      id: id2,
      ts: '2026-01-01T00:00:01.000Z',
      channel_values: { messages: ['hello', 'world'] },
      channel_versions: { messages: '2', counter: '1', nothing: '1' },
      versions_seen: { agent: { messages: '2' } },
    };
    const base = { configurable: { thread_id: 'thread-a', checkpoint_ns: '' } };
    const c1 = await saver.put(base, cp1, { source: 'input', step: -1, parents: {} }, { messages: '1', counter: '1' });
    const c2 = await saver.put(c1, cp2, { source: 'loop', step: 0, parents: {}, user: 'u1' } as CheckpointMetadata, { messages: '2', nothing: '1' });
    await saver.putWrites(c2, [['messages', ['pending']], ['counter', 5]], 'task-1');
    await saver.putWrites(c2, [['__error__', { message: 'boom' }]], 'task-0');

    // A real graph run on another thread, for realistic rows.
    const State = Annotation.Root({ items: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const graph = new StateGraph(State)
      .addNode('one', () => ({ items: ['one'] }))
      .addNode('two', () => ({ items: ['two'] }))
      .addEdge(START, 'one')
      .addEdge('one', 'two')
      .addEdge('two', END)
      .compile({ checkpointer: saver });
    await graph.invoke({ items: ['start'] }, { configurable: { thread_id: 'thread-graph' } });

    // Our setup over PostgresSaver's tables.
    const store = storeOn(schema);
    const report = await store.setup();
    expect(report.applied.length).toBeGreaterThan(0);
    await expect(store.setup()).resolves.toMatchObject({ applied: [] });

    const latest = await store.getTuple('thread-a', '');
    expect(latest).toMatchObject({ threadId: 'thread-a', checkpointNs: '', checkpointId: id2, parentCheckpointId: id1 });
    expect(latest!.checkpoint).toEqual(skeleton(cp2));
    expect(latest!.metadata).toEqual({ source: 'loop', step: 0, parents: {}, user: 'u1' });
    // Blobs named by channel_versions: messages@2, counter@1 (from cp1), nothing@1 ('empty').
    expect(latest!.blobs.map((b) => [b.channel, b.version, b.type])).toEqual([
      ['counter', '1', expect.any(String)],
      ['messages', '2', expect.any(String)],
      ['nothing', '1', 'empty'],
    ]);
    expect(latest!.blobs.find((b) => b.channel === 'nothing')!.bytes).toBeNull();
    expect(await channelValues(latest!)).toEqual({ messages: ['hello', 'world'], counter: 1 });
    expect(latest!.writes.map((w) => [w.taskId, w.idx, w.channel, w.taskPath])).toEqual([
      ['task-0', -1, '__error__', ''],
      ['task-1', 0, 'messages', ''],
      ['task-1', 1, 'counter', ''],
    ]);
    expect(await pendingWrites(latest!)).toEqual([
      ['task-0', '__error__', { message: 'boom' }],
      ['task-1', 'messages', ['pending']],
      ['task-1', 'counter', 5],
    ]);
    const first = await store.getTuple('thread-a', '', id1);
    expect(first!.checkpoint).toEqual(skeleton(cp1));
    expect(await channelValues(first!)).toEqual({ messages: ['hello'], counter: 1 });
    expect(await store.latestCheckpointId('thread-a', '')).toBe(id2);

    // Every checkpoint of the graph run reads the same through both.
    const theirs: CheckpointTuple[] = [];
    for await (const t of saver.list({ configurable: { thread_id: 'thread-graph' } })) theirs.push(t);
    const ours = await store.list({ threadId: 'thread-graph' });
    expect(ours.map((r) => r.checkpointId)).toEqual(theirs.map((t) => t.config.configurable!.checkpoint_id));
    expect(theirs.length).toBeGreaterThanOrEqual(3);
    for (const [i, row] of ours.entries()) {
      const t = theirs[i]!;
      expect(row.checkpoint).toEqual(skeleton(t.checkpoint));
      expect(row.metadata).toEqual(t.metadata);
      expect(row.parentCheckpointId ?? undefined).toEqual(t.parentConfig?.configurable?.checkpoint_id);
      expect(await channelValues(row)).toEqual(t.checkpoint.channel_values);
      expect(await pendingWrites(row)).toEqual(t.pendingWrites);
    }
    expect((await store.list({ filter: { user: 'u1' } })).map((r) => r.checkpointId)).toEqual([id2]);

    // PostgresSaver keeps working on the migrated tables (task_path default, "C" collation).
    const c3 = await saver.put(c2, { ...cp2, id: uuid6(-1), channel_versions: { ...cp2.channel_versions } }, { source: 'loop', step: 1, parents: {} }, {});
    await saver.putWrites(c3, [['messages', ['later']]], 'task-2');
    expect((await saver.getTuple(base))!.config.configurable!.checkpoint_id).toBe(c3.configurable!.checkpoint_id);
    expect((await store.getTuple('thread-a', ''))!.writes).toMatchObject([{ taskId: 'task-2', taskPath: '' }]);
    await saver.deleteThread('thread-graph');
    expect(await store.list({ threadId: 'thread-graph' })).toEqual([]);
  });

  it('(b) writes rows PostgresSaver reads, and its setup() is a no-op on our schema', async () => {
    const schema = schemaName('ours_first');
    schemas.push(schema);
    const store = storeOn(schema);
    await store.setup();

    const id1 = uuid6(-1);
    const id2 = uuid6(-1);
    const dump = async (value: unknown) => serde.dumpsTyped(value);
    const [mType1, mBytes1] = await dump(['hi']);
    const [mType2, mBytes2] = await dump(['hi', 'there']);
    const [cType, cBytes] = await dump({ nested: { n: 1 }, when: 'now' });
    const [wType, wBytes] = await dump(['pending']);
    const [eType, eBytes] = await dump({ message: 'boom' });
    const batch: MigrationBatch = {
      checkpoints: [
        {
          threadId: 'thread-b',
          checkpointNs: '',
          checkpointId: id1,
          parentCheckpointId: null,
          checkpoint: { v: 4, id: id1, ts: '2026-02-01T00:00:00.000Z', channel_versions: { messages: '1', config: '1' }, versions_seen: {} },
          metadata: { source: 'input', step: -1, parents: {} },
        },
        {
          threadId: 'thread-b',
          checkpointNs: '',
          checkpointId: id2,
          parentCheckpointId: id1,
          checkpoint: { v: 4, id: id2, ts: '2026-02-01T00:00:01.000Z', channel_versions: { messages: '2', config: '1', gone: '1' }, versions_seen: { agent: { messages: '1' } } },
          metadata: { source: 'loop', step: 0, parents: {}, user: 'u2' },
        },
      ],
      blobs: [
        { threadId: 'thread-b', checkpointNs: '', channel: 'messages', version: '1', type: mType1, bytes: mBytes1 },
        { threadId: 'thread-b', checkpointNs: '', channel: 'messages', version: '2', type: mType2, bytes: mBytes2 },
        { threadId: 'thread-b', checkpointNs: '', channel: 'config', version: '1', type: cType, bytes: cBytes },
        { threadId: 'thread-b', checkpointNs: '', channel: 'gone', version: '1', type: 'empty', bytes: null },
      ],
      writes: [
        { threadId: 'thread-b', checkpointNs: '', checkpointId: id2, taskId: 'task-1', idx: 0, channel: 'messages', type: wType, bytes: wBytes, taskPath: '~__pregel_pull, agent' },
        { threadId: 'thread-b', checkpointNs: '', checkpointId: id2, taskId: 'task-0', idx: -1, channel: '__error__', type: eType, bytes: eBytes, taskPath: '~__pregel_pull, agent' },
      ],
    };
    await store.writeMigrationBatch(batch, new Map());

    const saver = saverOn(schema);
    await saver.setup();
    await saver.setup();
    const { rows } = await admin.query(`SELECT v FROM "${schema}".checkpoint_migrations ORDER BY v`);
    expect(rows.map((r) => r.v)).toEqual([0, 1, 2, 3, 4]);

    const tuple = await saver.getTuple({ configurable: { thread_id: 'thread-b', checkpoint_ns: '' } });
    expect(tuple!.config.configurable).toEqual({ thread_id: 'thread-b', checkpoint_ns: '', checkpoint_id: id2 });
    expect(tuple!.parentConfig!.configurable).toEqual({ thread_id: 'thread-b', checkpoint_ns: '', checkpoint_id: id1 });
    expect(tuple!.checkpoint).toEqual({
      ...(batch.checkpoints[1] as ColdCheckpointRow).checkpoint,
      channel_values: { messages: ['hi', 'there'], config: { nested: { n: 1 }, when: 'now' } },
    });
    expect(tuple!.metadata).toEqual({ source: 'loop', step: 0, parents: {}, user: 'u2' });
    // PostgresSaver orders writes by (task_id, idx).
    expect(tuple!.pendingWrites).toEqual([
      ['task-0', '__error__', { message: 'boom' }],
      ['task-1', 'messages', ['pending']],
    ]);

    const listed: CheckpointTuple[] = [];
    for await (const t of saver.list({ configurable: { thread_id: 'thread-b' } })) listed.push(t);
    expect(listed.map((t) => t.config.configurable!.checkpoint_id)).toEqual([id2, id1]);
    expect(listed[1]!.checkpoint.channel_values).toEqual({ messages: ['hi'], config: { nested: { n: 1 }, when: 'now' } });
    const filtered: CheckpointTuple[] = [];
    for await (const t of saver.list({ configurable: { thread_id: 'thread-b' } }, { filter: { source: 'input' } })) filtered.push(t);
    expect(filtered.map((t) => t.config.configurable!.checkpoint_id)).toEqual([id1]);

    // And PostgresSaver's deleteThread clears what we wrote.
    await saver.deleteThread('thread-b');
    expect(await store.getTuple('thread-b', '')).toBeUndefined();
  });

  it('(c) completes a schema where PostgresSaver stopped half-way (v0..v2 only)', async () => {
    const schema = schemaName('pgs_partial');
    schemas.push(schema);
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".checkpoint_migrations (v INTEGER PRIMARY KEY)`);
    await admin.query(`CREATE TABLE "${schema}".checkpoints (
      thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL DEFAULT '', checkpoint_id TEXT NOT NULL, parent_checkpoint_id TEXT,
      type TEXT, checkpoint JSONB NOT NULL, metadata JSONB NOT NULL DEFAULT '{}', PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))`);
    await admin.query(`CREATE TABLE "${schema}".checkpoint_blobs (
      thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL, version TEXT NOT NULL,
      type TEXT NOT NULL, blob BYTEA NOT NULL, PRIMARY KEY (thread_id, checkpoint_ns, channel, version))`);
    await admin.query(`INSERT INTO "${schema}".checkpoint_migrations (v) VALUES (0), (1), (2)`);

    await storeOn(schema).setup();
    const nullable = await admin.query(
      `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'checkpoint_blobs' AND column_name = 'blob'`,
      [schema],
    );
    expect(nullable.rows[0].is_nullable).toBe('YES');
    const { rows } = await admin.query(`SELECT v FROM "${schema}".checkpoint_migrations ORDER BY v`);
    expect(rows.map((r) => r.v)).toEqual([0, 1, 2, 3, 4]);
    const saver = saverOn(schema);
    await saver.setup();
    await saver.put({ configurable: { thread_id: 'x', checkpoint_ns: '' } }, { v: 4, id: uuid6(-1), ts: '2026-01-01T00:00:00.000Z', channel_values: {}, channel_versions: {}, versions_seen: {} }, { source: 'input', step: -1, parents: {} }, {});
    expect(await storeOn(schema).latestCheckpointId('x', '')).toBeDefined();
  });
});
