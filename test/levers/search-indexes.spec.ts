import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCheckpoint, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Redis } from 'ioredis';
import pg from 'pg';
import { findMigrationsDir } from '../../src/cold-tier/cold-tier.migrator.js';
import { coldTierSql } from '../../src/cold-tier/cold-tier.sql.js';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { resolveOptions } from '../../src/config/tiered-checkpoint.options.js';
import type { ColdCheckpoint, ColdCheckpointRow, ListQuery, MigrationBatch } from '../../src/core/records.js';
import { InvalidOptionsError } from '../../src/errors/tiered-checkpoint.errors.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, REDIS_URL, uniqueName } from '../support/test-stores.js';

/**
 * Lever `coldSearchIndexes`: the two indexes for `list` across threads exist only when it is on,
 * and `list` answers the same either way (the indexes change plans, never results).
 */

const SEARCH_INDEXES = ['checkpoints_checkpoint_id_idx', 'checkpoints_metadata_idx'];
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function checkpoint(threadId: string, checkpointId: string, metadata: Record<string, unknown>, checkpointNs = ''): ColdCheckpointRow {
  return {
    threadId,
    checkpointNs,
    checkpointId,
    parentCheckpointId: null,
    checkpoint: { v: 4, id: checkpointId, ts: '2026-01-01T00:00:00.000Z', channel_versions: { messages: checkpointId }, versions_seen: {} },
    metadata,
  };
}

// Three threads whose ids interleave, so "newest first across threads" mixes them.
const batch: MigrationBatch = {
  checkpoints: [
    checkpoint('a', '0001', { source: 'input', step: -1 }),
    checkpoint('a', '0004', { source: 'loop', step: 0, tags: ['x'] }),
    checkpoint('b', '0002', { source: 'input', step: -1 }),
    checkpoint('b', '0005', { source: 'loop', step: 0, tags: ['x', 'y'] }),
    checkpoint('c', '0003', { source: 'loop', step: 1 }, 'sub:1'),
    checkpoint('c', '0006', { source: 'update', step: 2, tags: ['y'] }),
  ],
  blobs: ['0001', '0002', '0003', '0004', '0005', '0006'].map((id) => ({
    threadId: { '0001': 'a', '0004': 'a', '0002': 'b', '0005': 'b', '0003': 'c', '0006': 'c' }[id]!,
    checkpointNs: id === '0003' ? 'sub:1' : '',
    channel: 'messages',
    version: id,
    type: 'json',
    bytes: bytes(`m${id}`),
  })),
  writes: [{ threadId: 'b', checkpointNs: '', checkpointId: '0005', taskId: 'task', idx: 0, channel: 'messages', type: 'json', bytes: bytes('w'), taskPath: '' }],
};

const id = (step: number, thread: number) => `1f000000-0000-6000-8000-0000000000${step}${thread}`;
const ids = (rows: ColdCheckpoint[]) => rows.map((r) => `${r.threadId}/${r.checkpointId}`);

describe('coldSearchIndexes (real PostgreSQL)', () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schemas: string[] = [];
  const stores: ColdTierStore[] = [];
  const newSchema = (tag: string) => {
    const schema = uniqueName(`t_idx_${tag}`).toLowerCase();
    schemas.push(schema);
    return schema;
  };
  const newStore = (schema: string, options: Partial<ConstructorParameters<typeof ColdTierStore>[0]> = {}) => {
    const store = new ColdTierStore({ databaseUrl: DATABASE_URL, schema, ...options });
    stores.push(store);
    return store;
  };
  const indexesOf = async (schema: string) =>
    (await admin.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'checkpoints' ORDER BY 1`, [schema])).rows;

  let plain: ColdTierStore;
  let indexed: ColdTierStore;
  let plainSchema: string;
  let indexedSchema: string;

  beforeAll(async () => {
    await admin.connect();
    plainSchema = newSchema('off');
    indexedSchema = newSchema('on');
    plain = newStore(plainSchema);
    indexed = newStore(indexedSchema, { searchIndexes: true });
    await plain.setup();
    await indexed.setup();
    for (const store of [plain, indexed]) await store.writeMigrationBatch(batch, new Map());
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('creates no search index by default: checkpoints has its primary key only', async () => {
    expect((await indexesOf(plainSchema)).map((r) => r.indexname)).toEqual(['checkpoints_pkey']);
  });

  it('creates both indexes when enabled (the definitions the first migrations had), idempotently', async () => {
    const rows = await indexesOf(indexedSchema);
    expect(rows.map((r) => r.indexname)).toEqual([...SEARCH_INDEXES, 'checkpoints_pkey']);
    expect(rows.find((r) => r.indexname === 'checkpoints_checkpoint_id_idx')!.indexdef).toMatch(/USING btree \(checkpoint_id\)$/);
    expect(rows.find((r) => r.indexname === 'checkpoints_metadata_idx')!.indexdef).toMatch(/USING gin \(metadata jsonb_path_ops\)$/);

    const again = await newStore(indexedSchema, { searchIndexes: true }).setup();
    expect(again.applied).toEqual([]);
    expect(await indexesOf(indexedSchema)).toEqual(rows);
    // Turning the option off later leaves what exists (it never drops).
    await newStore(indexedSchema).setup();
    expect((await indexesOf(indexedSchema)).map((r) => r.indexname)).toEqual([...SEARCH_INDEXES, 'checkpoints_pkey']);
  });

  it('drops the indexes of a database set up before the lever existed, and re-creates them on opt-in', async () => {
    const schema = newSchema('upgrade');
    // The migrations as they were before the opt-in migration.
    const old = mkdtempSync(join(tmpdir(), 'mig-old-'));
    for (const name of readdirSync(findMigrationsDir()).filter((n) => n < '20261204000000')) {
      cpSync(join(findMigrationsDir(), name), join(old, name), { recursive: true });
    }
    await newStore(schema, { migrationsDir: old }).setup();
    expect((await indexesOf(schema)).map((r) => r.indexname)).toEqual([...SEARCH_INDEXES, 'checkpoints_pkey']);

    const upgrade = await newStore(schema).setup();
    expect(upgrade.applied).toEqual(['20261204000000_search_indexes_opt_in']);
    expect((await indexesOf(schema)).map((r) => r.indexname)).toEqual(['checkpoints_pkey']);

    const optIn = await newStore(schema, { searchIndexes: true }).setup();
    expect(optIn.applied).toEqual([]);
    expect((await indexesOf(schema)).map((r) => r.indexname)).toEqual([...SEARCH_INDEXES, 'checkpoints_pkey']);
  });

  const cases: Array<[string, ListQuery, string[]]> = [
    ['newest first across threads', {}, ['c/0006', 'b/0005', 'a/0004', 'c/0003', 'b/0002', 'a/0001']],
    ['a page across threads', { limit: 2 }, ['c/0006', 'b/0005']],
    ['a page across threads before an id', { before: '0005', limit: 2 }, ['a/0004', 'c/0003']],
    ['a metadata filter across threads', { filter: { source: 'input' } }, ['b/0002', 'a/0001']],
    ['a nested metadata filter across threads, limited', { filter: { tags: ['x'] }, limit: 1 }, ['b/0005']],
    ['a metadata filter on one thread', { threadId: 'c', filter: { source: 'loop' } }, ['c/0003']],
    ['one thread and namespace', { threadId: 'c', checkpointNs: '' }, ['c/0006']],
  ];

  it.each(cases)('list gives the same answer with and without the indexes: %s', async (_what, query, expected) => {
    const [without, withIndexes] = await Promise.all([plain.list(query), indexed.list(query)]);
    expect(ids(without)).toEqual(expected);
    expect(withIndexes).toEqual(without);
    // The values and writes come along whichever index found the row.
    const b5 = without.find((r) => r.checkpointId === '0005');
    if (b5) {
      expect(b5.blobs.map((b) => [b.channel, b.version, b.type, text(b.bytes)])).toEqual([['messages', '0005', 'json', 'm0005']]);
      expect(b5.writes.map((w) => [w.taskId, w.idx, text(w.bytes)])).toEqual([['task', 0, 'w']]);
    }
  });

  it('serves list across threads from the indexes when they exist, and scans without them', async () => {
    const plan = async (schema: string, query: { text: string; values: unknown[] }) => {
      await admin.query('BEGIN');
      try {
        // Tables this small are always scanned; forbid it to see what the indexes can serve.
        await admin.query('SET LOCAL enable_seqscan = off');
        const rows = (await admin.query(`EXPLAIN ${query.text}`, query.values)).rows as Array<Record<string, string>>;
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await admin.query('ROLLBACK');
      }
    };
    const page = (schema: string) => coldTierSql(schema).selectCheckpoints({ limit: 2 });
    const filtered = (schema: string) => coldTierSql(schema).selectCheckpoints({ filterJson: JSON.stringify({ source: 'input' }) });
    expect(await plan(indexedSchema, page(indexedSchema))).toMatch(/Index Only Scan Backward using checkpoints_checkpoint_id_idx|Index Scan Backward using checkpoints_checkpoint_id_idx/);
    expect(await plan(indexedSchema, filtered(indexedSchema))).toMatch(/Bitmap Index Scan on checkpoints_metadata_idx/);
    for (const query of [page(plainSchema), filtered(plainSchema)]) expect(await plan(plainSchema, query)).not.toMatch(/checkpoints_(checkpoint_id|metadata)_idx/);
  });
});

describe('coldSearchIndexes option', () => {
  it('defaults to off and accepts only a boolean', () => {
    expect(resolveOptions({ redisUrl: REDIS_URL, databaseUrl: DATABASE_URL }).coldSearchIndexes).toBe(false);
    expect(resolveOptions({ redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, coldSearchIndexes: true }).coldSearchIndexes).toBe(true);
    expect(() => resolveOptions({ redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, coldSearchIndexes: 'yes' as never })).toThrow(InvalidOptionsError);
    expect(() => new ColdTierStore({ databaseUrl: DATABASE_URL, schema: 's', searchIndexes: 1 as never })).toThrow(/searchIndexes must be true or false/);
  });

  it('reaches setup() through the saver, and saver.list across threads answers the same with it on or off', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const made = [false, true].map((on) => ({ on, schema: uniqueName(`t_idx_saver_${on ? 'on' : 'off'}`).toLowerCase(), keyPrefix: uniqueName('tcidx') }));
    const savers = made.map(({ on, schema, keyPrefix }) =>
      TieredCheckpointSaver.fromConfig({ redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, schema, keyPrefix, coldSearchIndexes: on, hotWindowMs: 3600_000 }),
    );
    try {
      const pages: CheckpointTuple[][][] = [];
      for (const [i, saver] of savers.entries()) {
        await saver.setup();
        const names = (await admin.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'checkpoints' ORDER BY 1`, [made[i]!.schema])).rows.map((r) => r.indexname);
        expect(names).toEqual(made[i]!.on ? [...SEARCH_INDEXES, 'checkpoints_pkey'] : ['checkpoints_pkey']);

        // Ids in byte order: step, then thread; newest first across threads interleaves them.
        for (const [t, thread] of ['x', 'y'].entries()) {
          let config: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: '' } };
          for (let step = 0; step < 3; step += 1) {
            const cp: Checkpoint = { ...emptyCheckpoint(), id: id(step, t), channel_values: { n: step }, channel_versions: { n: saver.getNextVersion(undefined) } };
            config = await saver.put(config, cp, { source: step === 0 ? 'input' : 'loop', step, parents: {} }, cp.channel_versions);
          }
        }
        await saver.migrate({ now: Date.now() + 2 * 3600_000 });
        const collect = async (options: Parameters<typeof saver.list>[1]) => {
          const out: CheckpointTuple[] = [];
          for await (const t of saver.list({ configurable: {} }, options)) out.push(t);
          return out;
        };
        pages.push([await collect({ limit: 3 }), await collect({ filter: { source: 'input' } })]);
      }
      const shape = (page: CheckpointTuple[]) => page.map((t) => [t.config.configurable?.thread_id, t.checkpoint.id, t.checkpoint.channel_values.n, t.metadata?.step]);
      expect(shape(pages[0]![0]!)).toEqual([
        ['y', id(2, 1), 2, 2],
        ['x', id(2, 0), 2, 2],
        ['y', id(1, 1), 1, 1],
      ]);
      expect(shape(pages[0]![1]!)).toEqual([
        ['y', id(0, 1), 0, 0],
        ['x', id(0, 0), 0, 0],
      ]);
      expect(pages[1]!.map((p) => shape(p))).toEqual(pages[0]!.map((p) => shape(p)));
    } finally {
      for (const saver of savers) await saver.close();
      for (const { schema, keyPrefix } of made) {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        for await (const keys of redis.scanStream({ match: `${keyPrefix}:*`, count: 1000 })) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
      await admin.end();
      await redis.quit();
    }
  });
});
