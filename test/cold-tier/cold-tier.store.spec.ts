import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { createPrismaClient } from '../../src/cold-tier/prisma-client.factory.js';
import type { ColdCheckpointRow, MigrationBatch } from '../../src/core/records.js';
import { InvalidOptionsError, StoreUnavailableError } from '../../src/errors/tiered-checkpoint.errors.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';

/** ColdTierStore against the real PostgreSQL: what goes in comes out, and deleted threads stay deleted. */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const schemaName = (tag: string) => `cold_${tag}_${randomBytes(4).toString('hex')}`;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

type Batch = MigrationBatch;
type BatchWrite = Batch['writes'][number];

function checkpoint(threadId: string, checkpointId: string, opts: Partial<ColdCheckpointRow> & { versions?: Record<string, string> } = {}): ColdCheckpointRow {
  return {
    threadId,
    checkpointNs: opts.checkpointNs ?? '',
    checkpointId,
    parentCheckpointId: opts.parentCheckpointId ?? null,
    checkpoint: opts.checkpoint ?? { v: 4, id: checkpointId, ts: '2026-01-01T00:00:00.000Z', channel_versions: opts.versions ?? {}, versions_seen: {} },
    metadata: opts.metadata ?? { source: 'loop', step: 1 },
  };
}

function write(threadId: string, checkpointId: string, taskId: string, idx: number, value: string, opts: Partial<BatchWrite> = {}): BatchWrite {
  return { threadId, checkpointNs: '', checkpointId, taskId, idx, channel: opts.channel ?? (idx < 0 ? '__error__' : 'messages'), type: 'json', bytes: bytes(value), taskPath: opts.taskPath ?? '', ...opts };
}

describe('ColdTierStore (PostgreSQL)', () => {
  const schema = schemaName('store');
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  let store: ColdTierStore;

  beforeAll(async () => {
    await admin.connect();
    store = new ColdTierStore({ databaseUrl: DATABASE_URL, schema });
    await store.setup();
  });

  beforeEach(async () => {
    await store.truncateAll();
  });

  afterAll(async () => {
    await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  const batch: Batch = {
    checkpoints: [
      checkpoint('t1', '0001', { versions: { messages: '1', empty: '1' }, metadata: { source: 'input', step: -1 } }),
      checkpoint('t1', '0002', { versions: { messages: '2', empty: '1' }, parentCheckpointId: '0001', metadata: { source: 'loop', step: 0, tags: ['x', 'y'] } }),
      checkpoint('t1', '0003', { checkpointNs: 'sub:1', versions: { messages: '1' } }),
      checkpoint('t2', '0001', { versions: {} }),
    ],
    blobs: [
      { threadId: 't1', checkpointNs: '', channel: 'messages', version: '1', type: 'json', bytes: bytes('m1') },
      { threadId: 't1', checkpointNs: '', channel: 'messages', version: '2', type: 'json', bytes: bytes('m2') },
      { threadId: 't1', checkpointNs: '', channel: 'empty', version: '1', type: 'empty', bytes: null },
      { threadId: 't1', checkpointNs: 'sub:1', channel: 'messages', version: '1', type: 'json', bytes: bytes('sub-m1') },
    ],
    writes: [
      write('t1', '0002', 'task-b', 1, 'b1', { taskPath: 'p1' }),
      write('t1', '0002', 'task-b', 0, 'b0', { taskPath: 'p1' }),
      write('t1', '0002', 'task-a', 0, 'a0', { taskPath: 'p2' }),
      write('t1', '0002', 'task-c', -1, 'err', { taskPath: 'p0' }),
    ],
  };

  it('returns exactly what a batch wrote, via getTuple, getBlobs and latestCheckpointId', async () => {
    expect(await store.writeMigrationBatch(batch, new Map())).toEqual({ writtenThreads: ['t1', 't2'], skippedThreads: [] });

    const latest = await store.getTuple('t1', '');
    expect(latest).toEqual({
      ...batch.checkpoints[1],
      blobs: [
        { channel: 'empty', version: '1', type: 'empty', bytes: null },
        { channel: 'messages', version: '2', type: 'json', bytes: bytes('m2') },
      ],
      writes: [
        { taskId: 'task-c', idx: -1, channel: '__error__', type: 'json', bytes: bytes('err'), taskPath: 'p0' },
        { taskId: 'task-b', idx: 0, channel: 'messages', type: 'json', bytes: bytes('b0'), taskPath: 'p1' },
        { taskId: 'task-b', idx: 1, channel: 'messages', type: 'json', bytes: bytes('b1'), taskPath: 'p1' },
        { taskId: 'task-a', idx: 0, channel: 'messages', type: 'json', bytes: bytes('a0'), taskPath: 'p2' },
      ],
    });
    expect(latest!.writes[0]!.bytes).toBeInstanceOf(Uint8Array);

    const first = await store.getTuple('t1', '', '0001');
    expect(first).toEqual({
      ...batch.checkpoints[0],
      blobs: [
        { channel: 'empty', version: '1', type: 'empty', bytes: null },
        { channel: 'messages', version: '1', type: 'json', bytes: bytes('m1') },
      ],
      writes: [],
    });
    expect(await store.getTuple('t1', 'sub:1')).toMatchObject({ checkpointId: '0003', blobs: [{ channel: 'messages', version: '1', bytes: bytes('sub-m1') }] });
    expect(await store.getTuple('t1', '', 'nope')).toBeUndefined();
    expect(await store.getTuple('nobody', '')).toBeUndefined();

    expect(await store.getBlobs('t1', '', [{ channel: 'messages', version: '2' }, { channel: 'messages', version: '1' }, { channel: 'messages', version: '9' }])).toEqual([
      { channel: 'messages', version: '1', type: 'json', bytes: bytes('m1') },
      { channel: 'messages', version: '2', type: 'json', bytes: bytes('m2') },
    ]);
    expect(await store.getBlobs('t1', 'sub:1', [{ channel: 'messages', version: '2' }])).toEqual([]);
    expect(await store.getBlobs('t1', '', [])).toEqual([]);

    expect(await store.latestCheckpointId('t1', '')).toBe('0002');
    expect(await store.latestCheckpointId('t1', 'sub:1')).toBe('0003');
    expect(await store.latestCheckpointId('t3', '')).toBeUndefined();
  });

  it('is idempotent, keeps the first regular write and the latest special write', async () => {
    await store.writeMigrationBatch(batch, new Map());
    await store.writeMigrationBatch(batch, new Map());
    const again: Batch = {
      checkpoints: [checkpoint('t1', '0002', { versions: { messages: '2', empty: '1' }, parentCheckpointId: '0001', metadata: { source: 'update', step: 5 } })],
      blobs: [{ threadId: 't1', checkpointNs: '', channel: 'messages', version: '2', type: 'json', bytes: bytes('m2-other') }],
      writes: [write('t1', '0002', 'task-b', 0, 'b0-late', { taskPath: 'p1' }), write('t1', '0002', 'task-c', -1, 'err-late', { taskPath: 'p0' })],
    };
    await store.writeMigrationBatch(again, new Map());

    const tuple = await store.getTuple('t1', '');
    expect(tuple!.metadata).toEqual({ source: 'update', step: 5 });
    expect(tuple!.blobs.find((b) => b.channel === 'messages')!.bytes).toEqual(bytes('m2'));
    expect(tuple!.writes.map((w) => `${w.taskId}/${w.idx}=${text(w.bytes)}`)).toEqual(['task-c/-1=err-late', 'task-b/0=b0', 'task-b/1=b1', 'task-a/0=a0']);
    const stats = await store.stats();
    expect([stats.checkpoints, stats.blobs, stats.writes]).toEqual([4, 4, 4]);
  });

  it('lists newest first with thread, namespace, before, limit and metadata filters', async () => {
    await store.writeMigrationBatch(batch, new Map());
    const ids = (rows: Array<{ threadId: string; checkpointNs: string; checkpointId: string }>) => rows.map((r) => `${r.threadId}|${r.checkpointNs}|${r.checkpointId}`);

    expect(ids(await store.list({ threadId: 't1' }))).toEqual(['t1|sub:1|0003', 't1||0002', 't1||0001']);
    expect(ids(await store.list({ threadId: 't1', checkpointNs: '' }))).toEqual(['t1||0002', 't1||0001']);
    expect(ids(await store.list({ threadId: 't1', checkpointNs: '', before: '0002' }))).toEqual(['t1||0001']);
    expect(ids(await store.list({ threadId: 't1', limit: 2 }))).toEqual(['t1|sub:1|0003', 't1||0002']);
    expect(await store.list({ threadId: 't1', limit: 0 })).toEqual([]);
    expect(ids(await store.list({ filter: { source: 'input' } }))).toEqual(['t1||0001']);
    expect(ids(await store.list({ filter: { tags: ['y'] } }))).toEqual(['t1||0002']);
    expect(ids(await store.list({ threadId: 't1', filter: { source: 'loop', step: 0 } }))).toEqual(['t1||0002']);
    expect(ids(await store.list({ filter: {} }))).toHaveLength(4);
    // Without a thread: every thread, newest first (ties on the id broken arbitrarily).
    const all = ids(await store.list({}));
    expect(all.slice(0, 2)).toEqual(['t1|sub:1|0003', 't1||0002']);
    expect(all.slice(2).sort()).toEqual(['t1||0001', 't2||0001']);
    expect(ids(await store.list({ before: '0002' })).sort()).toEqual(['t1||0001', 't2||0001']);

    // Rows come with their blobs and writes, as getTuple returns them.
    const [row] = await store.list({ threadId: 't1', checkpointNs: '', limit: 1 });
    expect(row).toEqual(await store.getTuple('t1', ''));
  });

  it('orders ids by bytes: "B" < "_" < "a" < "é"', async () => {
    const odd = ['a', 'B', '_', 'é', 'Z9'];
    await store.writeMigrationBatch({ checkpoints: odd.map((id) => checkpoint('o', id)), blobs: [], writes: [] }, new Map());
    expect((await store.list({ threadId: 'o' })).map((r) => r.checkpointId)).toEqual(['é', 'a', '_', 'Z9', 'B']);
    expect((await store.list({ threadId: 'o', before: 'a' })).map((r) => r.checkpointId)).toEqual(['_', 'Z9', 'B']);
    expect(await store.latestCheckpointId('o', '')).toBe('é');
  });

  it('handles a batch too big for one statement', async () => {
    const n = 4500;
    const big: Batch = {
      checkpoints: Array.from({ length: n }, (_, i) => checkpoint(`big-${i % 7}`, String(i).padStart(6, '0'), { versions: { c: String(i) } })),
      blobs: Array.from({ length: n }, (_, i) => ({ threadId: `big-${i % 7}`, checkpointNs: '', channel: 'c', version: String(i), type: 'json', bytes: bytes(`v${i}`) })),
      writes: Array.from({ length: n }, (_, i) => write(`big-${i % 7}`, String(i).padStart(6, '0'), 't', 0, `w${i}`)),
    };
    const result = await store.writeMigrationBatch(big, new Map());
    expect(result.writtenThreads).toHaveLength(7);
    const stats = await store.stats();
    expect([stats.checkpoints, stats.blobs, stats.writes]).toEqual([n, n, n]);
    expect(text((await store.getTuple(`big-${4498 % 7}`, '', '004498'))!.blobs[0]!.bytes)).toBe('v4498');
  });

  it('skips a thread deleted between readThreadEpochs and writeMigrationBatch', async () => {
    await store.writeMigrationBatch(batch, new Map());
    const epochs = await store.readThreadEpochs(['t1', 't2', 'never']);
    expect([...epochs]).toEqual([['t1', 0], ['t2', 0], ['never', 0]]);

    await store.deleteThread('t1');
    expect(await store.getTuple('t1', '')).toBeUndefined();
    expect(await store.list({ threadId: 't1' })).toEqual([]);

    // The migrator read t1 before the delete; its copy must not bring t1 back.
    const result = await store.writeMigrationBatch(batch, epochs);
    expect(result).toEqual({ writtenThreads: ['t2'], skippedThreads: ['t1'] });
    expect(await store.list({ threadId: 't1' })).toEqual([]);
    for (const table of ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes']) {
      const { rows } = await admin.query(`SELECT count(*)::int n FROM "${schema}".${table} WHERE thread_id = 't1'`);
      expect(rows[0].n).toBe(0);
    }
    expect(await store.getTuple('t2', '')).toBeDefined();

    // A migrator that read the new epoch may write the thread again (it is new data).
    const fresh = await store.readThreadEpochs(['t1']);
    expect(fresh.get('t1')).toBe(1);
    await store.deleteThread('t1');
    expect((await store.readThreadEpochs(['t1'])).get('t1')).toBe(2);
    expect(await store.writeMigrationBatch(batch, await store.readThreadEpochs(['t1', 't2']))).toEqual({ writtenThreads: ['t1', 't2'], skippedThreads: [] });
    expect(await store.latestCheckpointId('t1', '')).toBe('0002');
  });

  it('makes deleteThread wait for a batch in flight, which then cannot resurrect anything', async () => {
    await store.writeMigrationBatch(batch, new Map());
    const epochs = await store.readThreadEpochs(['t1', 't2']);
    // Hold t1's shared lock from another session, as a batch transaction would.
    const holder = new pg.Client({ connectionString: DATABASE_URL });
    await holder.connect();
    try {
      const ns = (await import('../../src/cold-tier/cold-tier.sql.js')).threadLockNamespace(schema);
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock_shared($1::int4, hashtext($2))', [ns, 't1']);
      let deleted = false;
      const deleting = store.deleteThread('t1').then(() => {
        deleted = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(deleted).toBe(false);
      await holder.query('COMMIT');
      await deleting;
      expect(deleted).toBe(true);
    } finally {
      await holder.end();
    }
    expect(await store.writeMigrationBatch(batch, epochs)).toEqual({ writtenThreads: ['t2'], skippedThreads: ['t1'] });
    expect(await store.getTuple('t1', '')).toBeUndefined();
  });

  it('reports counts and on-disk bytes per table', async () => {
    await store.writeMigrationBatch(
      { checkpoints: [checkpoint('s', '1', { versions: { big: '1' } })], blobs: [{ threadId: 's', checkpointNs: '', channel: 'big', version: '1', type: 'bytes', bytes: randomBytes(200_000) }], writes: [] },
      new Map(),
    );
    const stats = await store.stats();
    expect([stats.checkpoints, stats.blobs, stats.writes]).toEqual([1, 1, 0]);
    expect(Object.keys(stats.tables).sort()).toEqual(['checkpoint_blobs', 'checkpoint_writes', 'checkpoints']);
    for (const size of Object.values(stats.tables)) {
      expect(size.tableBytes + size.indexBytes + size.toastBytes).toBe(size.totalBytes);
      expect(size.indexBytes).toBeGreaterThan(0);
    }
    // A 200 kB random blob lives in TOAST.
    expect(stats.tables.checkpoint_blobs!.toastBytes).toBeGreaterThan(200_000);
    await store.truncateAll();
    expect((await store.stats()).blobs).toBe(0);
  });

  it('writes the same bytes through its own pool (packed binary) and through a client it was given (base64)', async () => {
    const raw = Uint8Array.from([0, 1, 0x5c, 0x22, 0x7b, 0x2c, 0x7d, 0xff, 0x80, 0]);
    const rows: Batch = {
      checkpoints: [checkpoint('bin', '0001', { versions: { empty: '1', raw: '1' } })],
      // A NULL first in the array column: the case Prisma would mistype without base64.
      blobs: [
        { threadId: 'bin', checkpointNs: '', channel: 'empty', version: '1', type: 'empty', bytes: null },
        { threadId: 'bin', checkpointNs: '', channel: 'raw', version: '1', type: 'bytes', bytes: raw },
        { threadId: 'bin', checkpointNs: '', channel: 'big', version: '1', type: 'bytes', bytes: randomBytes(70_000) },
        { threadId: 'bin', checkpointNs: '', channel: 'zero', version: '1', type: 'bytes', bytes: new Uint8Array(0) },
      ],
      writes: [write('bin', '0001', 'task', 0, '', { bytes: raw }), write('bin', '0001', 'task', -1, '', { bytes: Buffer.from(raw).subarray(1, 4) })],
    };
    const dump = async () => {
      const blobs = await admin.query(`SELECT channel, type, encode(blob, 'hex') AS hex FROM "${schema}".checkpoint_blobs ORDER BY channel`);
      const writes = await admin.query(`SELECT task_id, idx, encode(blob, 'hex') AS hex FROM "${schema}".checkpoint_writes ORDER BY idx`);
      return { blobs: blobs.rows, writes: writes.rows };
    };
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

    await store.writeMigrationBatch(rows, new Map());
    const viaPool = await dump();
    expect(viaPool.blobs).toEqual([
      { channel: 'big', type: 'bytes', hex: hex(rows.blobs[2]!.bytes!) },
      { channel: 'empty', type: 'empty', hex: null },
      { channel: 'raw', type: 'bytes', hex: hex(raw) },
      { channel: 'zero', type: 'bytes', hex: '' },
    ]);
    expect(viaPool.writes).toEqual([
      { task_id: 'task', idx: -1, hex: hex(raw.subarray(1, 4)) },
      { task_id: 'task', idx: 0, hex: hex(raw) },
    ]);

    await store.truncateAll();
    const prisma = createPrismaClient({ databaseUrl: DATABASE_URL, schema });
    const borrowed = new ColdTierStore({ prisma, schema });
    try {
      expect(await borrowed.writeMigrationBatch(rows, new Map())).toEqual({ writtenThreads: ['bin'], skippedThreads: [] });
      expect(await dump()).toEqual(viaPool);
    } finally {
      await borrowed.close();
      await prisma.$disconnect();
    }
  });

  it('rolls a migration batch back when its transaction outlives transactionTimeoutMs, and stays usable', async () => {
    const slow = new ColdTierStore({ databaseUrl: DATABASE_URL, schema, transactionTimeoutMs: 300 });
    try {
      await expect(slow.writeMigrationBatch(batch, new Map(), { beforeCommit: () => new Promise((resolve) => setTimeout(resolve, 1500)) })).rejects.toThrow(
        /transactionTimeoutMs \(300 ms\)/,
      );
      expect((await slow.stats()).checkpoints).toBe(0);
      expect(await slow.writeMigrationBatch(batch, new Map())).toEqual({ writtenThreads: ['t1', 't2'], skippedThreads: [] });
      expect((await slow.stats()).checkpoints).toBe(4);
    } finally {
      await slow.close();
    }
  });

  it('works with a client it was given, and leaves that client open', async () => {
    const prisma = createPrismaClient({ databaseUrl: DATABASE_URL, schema });
    const borrowed = new ColdTierStore({ prisma, schema });
    await borrowed.ping();
    await borrowed.close();
    await expect(prisma.$queryRawUnsafe('SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    await prisma.$disconnect();
  });

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() => new ColdTierStore({ databaseUrl: DATABASE_URL, schema: 'x"; drop schema public; --' })).toThrow(InvalidOptionsError);
  });
});

describe('ColdTierStore with an unreachable PostgreSQL', () => {
  const url = 'postgresql://tc_user:Sup3rSecret@127.0.0.1:1/test';

  it('fails ping() and setup() with StoreUnavailableError that names the target and hides the password', async () => {
    const store = new ColdTierStore({ databaseUrl: url, schema: 'cold_unreachable' });
    try {
      for (const attempt of [() => store.ping(), () => store.setup(), () => store.getTuple('t', ''), () => store.deleteThread('t')]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        const e = error as StoreUnavailableError;
        expect(e.code).toBe('STORE_UNAVAILABLE');
        expect(e.store).toBe('postgres');
        expect(e.message).toContain('127.0.0.1:1');
        expect(e.message).toMatch(/check/);
        expect(e.message).not.toContain('Sup3rSecret');
        expect(JSON.stringify(e)).not.toContain('Sup3rSecret');
      }
    } finally {
      await store.close();
    }
  });

  it('fails the same way through a client it was given', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    const store = new ColdTierStore({ prisma, schema: 'cold_unreachable' });
    await expect(store.ping()).rejects.toThrow(StoreUnavailableError);
    await expect(store.setup()).rejects.toThrow(/127\.0\.0\.1:1/);
    await prisma.$disconnect();
  });

  it('reports a wrong database name as unavailable with what to check', async () => {
    const store = new ColdTierStore({ databaseUrl: 'postgresql://postgres:pw@127.0.0.1:5432/no_such_db_here', schema: 'cold_x' });
    await expect(store.ping()).rejects.toThrow(/database does not exist.*no_such_db_here/);
    await store.close();
  });
});

describe('ColdTierStore on a database with unusual defaults (ICU collation, REPEATABLE READ)', () => {
  const database = `cold_icu_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const icuUrl = () => {
    const url = new URL(DATABASE_URL);
    url.pathname = `/${database}`;
    return url.toString();
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
    await admin.query(`ALTER DATABASE "${database}" SET default_transaction_isolation TO 'repeatable read'`);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it('orders ids by bytes, served by the primary key, even over tables made in the database collation', async () => {
    const db = new pg.Client({ connectionString: icuUrl() });
    await db.connect();
    const store = new ColdTierStore({ databaseUrl: icuUrl(), schema: 'public' });
    try {
      // The locale really orders differently: en-US puts "_" < "a" < "B".
      const locale = await db.query(`SELECT array_agg(x ORDER BY x) AS o FROM unnest(ARRAY['a', 'B', '_']) x`);
      expect(locale.rows[0].o).toEqual(['_', 'a', 'B']);
      // A table PostgresSaver would have made, in the database's collation, with rows in it.
      await db.query(`CREATE TABLE checkpoints (thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL DEFAULT '', checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT, type TEXT, checkpoint JSONB NOT NULL, metadata JSONB NOT NULL DEFAULT '{}',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))`);
      for (const id of ['a', 'B', '_']) {
        await db.query(`INSERT INTO checkpoints (thread_id, checkpoint_id, checkpoint) VALUES ('t', $1, '{"v":4}')`, [id]);
      }
      await store.setup();
      expect((await store.list({ threadId: 't' })).map((r) => r.checkpointId)).toEqual(['a', '_', 'B']);
      expect((await store.list({ threadId: 't', before: 'a' })).map((r) => r.checkpointId)).toEqual(['_', 'B']);
      expect(await store.latestCheckpointId('t', '')).toBe('a');
      await db.query('SET enable_seqscan = off');
      const plan = await db.query(`EXPLAIN SELECT checkpoint_id FROM public.checkpoints WHERE thread_id = 't' AND checkpoint_ns = '' ORDER BY checkpoint_id COLLATE "C" DESC LIMIT 1`);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).not.toMatch(/Sort/);
    } finally {
      await store.close();
      await db.end();
    }
  });
  it('keeps setup() and the epoch guard correct when transactions default to REPEATABLE READ', async () => {
    const db = new pg.Client({ connectionString: icuUrl() });
    await db.connect();
    const schema = 'cold_rr';
    const stores = [0, 1, 2].map(() => new ColdTierStore({ databaseUrl: icuUrl(), schema }));
    try {
      expect((await db.query('SHOW default_transaction_isolation')).rows[0].default_transaction_isolation).toBe('repeatable read');
      const reports = await Promise.all(stores.map((s) => s.setup()));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual(reports[0]!.applied.concat(reports[0]!.alreadyApplied).sort());
      const ledger = await db.query(`SELECT migration_name, count(*)::int AS n FROM cold_rr._prisma_migrations GROUP BY 1`);
      expect(ledger.rows.every((r) => r.n === 1)).toBe(true);

      const [store] = stores;
      const rows: MigrationBatch = { checkpoints: [checkpoint('rr', '1')], blobs: [], writes: [] };
      const epochs = await store!.readThreadEpochs(['rr']);
      // A deleteThread in flight (another session): holds the thread's exclusive lock, bumps the epoch.
      const { threadLockNamespace } = await import('../../src/cold-tier/cold-tier.sql.js');
      await db.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      await db.query('SELECT 1 FROM pg_advisory_xact_lock($1::int4, hashtext($2))', [threadLockNamespace(schema), 'rr']);
      await db.query(`INSERT INTO cold_rr.checkpoint_thread_tombstones (thread_id, epoch) VALUES ('rr', 1)`);
      const writing = store!.writeMigrationBatch(rows, epochs);
      // Commit the delete only once the batch is queued behind its lock.
      const watcher = new pg.Client({ connectionString: icuUrl() });
      await watcher.connect();
      for (let i = 0; i < 200; i += 1) {
        const waiting = await watcher.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
        if (waiting.rows[0].n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await watcher.end();
      await db.query('COMMIT');
      expect(await writing).toEqual({ writtenThreads: [], skippedThreads: ['rr'] });
      expect(await store!.getTuple('rr', '')).toBeUndefined();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.end();
    }
  });
});
