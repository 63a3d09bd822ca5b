import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { findMigrationsDir, loadMigrations } from '../../src/cold-tier/cold-tier.migrator.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';

/** setup(): idempotent, safe when several processes run it at once, recorded as Prisma Migrate records. */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const schemaName = (tag: string) => `cold_${tag}_${randomBytes(4).toString('hex')}`;

describe('ColdTierMigrator via ColdTierStore.setup()', () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schemas: string[] = [];
  const stores: ColdTierStore[] = [];
  const newStore = (schema: string) => {
    const store = new ColdTierStore({ databaseUrl: DATABASE_URL, schema });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('creates the schema, applies every migration once and records it like Prisma Migrate', async () => {
    const schema = schemaName('mig');
    schemas.push(schema);
    const store = newStore(schema);

    const first = await store.setup();
    const migrations = await loadMigrations(findMigrationsDir());
    expect(first.applied).toEqual(migrations.map((m) => m.name));
    expect(first.alreadyApplied).toEqual([]);

    const second = await store.setup();
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(migrations.map((m) => m.name));
    expect(second.checksumMismatches).toEqual([]);

    const { rows } = await admin.query(
      `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM "${schema}"._prisma_migrations ORDER BY migration_name`,
    );
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(migrations.map((m) => [m.name, m.checksum]));
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.started_at.getTime()).toBeLessThanOrEqual(row.finished_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }

    // Same column types as Prisma's own _prisma_migrations.
    const columns = await admin.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
      [schema],
    );
    expect(columns.rows.map((c) => [c.column_name, c.data_type, c.character_maximum_length, c.is_nullable])).toEqual([
      ['id', 'character varying', 36, 'NO'],
      ['checksum', 'character varying', 64, 'NO'],
      ['finished_at', 'timestamp with time zone', null, 'YES'],
      ['migration_name', 'character varying', 255, 'NO'],
      ['logs', 'text', null, 'YES'],
      ['rolled_back_at', 'timestamp with time zone', null, 'YES'],
      ['started_at', 'timestamp with time zone', null, 'NO'],
      ['applied_steps_count', 'integer', null, 'NO'],
    ]);
  });

  it('lays out the tables PostgresSaver expects, plus ours, and nothing lands in public', async () => {
    const schema = schemaName('layout');
    schemas.push(schema);
    // The shared database's public schema may hold a deployment's own tables (a service run
    // with the default schema): compare before and after instead of assuming it is empty.
    const publicTables = async () =>
      (await admin.query(`SELECT count(*)::int n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'checkpoint_thread_tombstones'`)).rows[0].n as number;
    const publicBefore = await publicTables();
    await newStore(schema).setup();

    const tables = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]);
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      '_prisma_migrations',
      'checkpoint_blobs',
      'checkpoint_migrations',
      'checkpoint_thread_tombstones',
      'checkpoint_writes',
      'checkpoints',
    ]);
    const versions = await admin.query(`SELECT v FROM "${schema}".checkpoint_migrations ORDER BY v`);
    expect(versions.rows.map((r) => r.v)).toEqual([0, 1, 2, 3, 4]);

    const cols = await admin.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name IN ('checkpoint_writes', 'checkpoints', 'checkpoint_blobs', 'checkpoint_thread_tombstones')
       ORDER BY table_name, ordinal_position`,
      [schema],
    );
    const col = (t: string, c: string) => cols.rows.find((r) => r.table_name === t && r.column_name === c);
    expect(col('checkpoint_writes', 'task_path')).toMatchObject({ data_type: 'text', is_nullable: 'NO', column_default: "''::text" });
    expect(col('checkpoint_blobs', 'blob')).toMatchObject({ data_type: 'bytea', is_nullable: 'YES' });
    expect(col('checkpoints', 'metadata')).toMatchObject({ data_type: 'jsonb', is_nullable: 'NO' });
    expect(col('checkpoints', 'checkpoint_id')).toMatchObject({ collation_name: 'C' });
    expect(col('checkpoint_writes', 'checkpoint_id')).toMatchObject({ collation_name: 'C' });
    expect(col('checkpoint_thread_tombstones', 'epoch')).toMatchObject({ data_type: 'bigint', is_nullable: 'NO' });
    expect(col('checkpoint_thread_tombstones', 'deleted_at')).toMatchObject({ data_type: 'timestamp with time zone', is_nullable: 'NO' });

    const indexes = await admin.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'checkpoints' ORDER BY 1`, [schema]);
    // The search indexes are opt-in (coldSearchIndexes, test/levers/search-indexes.spec.ts).
    expect(indexes.rows.map((r) => r.indexname)).toEqual(['checkpoints_pkey']);

    // The primary key serves "latest of (thread, ns)" in byte order: no sort step.
    const plan = await admin.query(
      `EXPLAIN SELECT checkpoint_id FROM "${schema}".checkpoints WHERE thread_id = 't' AND checkpoint_ns = '' ORDER BY checkpoint_id COLLATE "C" DESC LIMIT 1`,
    );
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan Backward using checkpoints_pkey/);
    expect(text).not.toMatch(/Sort/);

    expect(await publicTables()).toBe(publicBefore);
  });

  it('is safe when three stores set up the same new schema at once', async () => {
    const schema = schemaName('race');
    schemas.push(schema);
    const racers = [newStore(schema), newStore(schema), newStore(schema)];
    const reports = await Promise.all(racers.map((s) => s.setup()));
    const applied = reports.flatMap((r) => r.applied);
    const migrations = await loadMigrations(findMigrationsDir());
    // Each migration applied by exactly one of them; the others found it done.
    expect(applied.sort()).toEqual(migrations.map((m) => m.name).sort());
    for (const report of reports) {
      expect([...report.applied, ...report.alreadyApplied].sort()).toEqual(migrations.map((m) => m.name).sort());
    }
    const { rows } = await admin.query(`SELECT migration_name, count(*)::int n FROM "${schema}"._prisma_migrations GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual(migrations.map((m) => ({ migration_name: m.name, n: 1 })));
  });

  it('refuses a migration Prisma left half-applied, naming the fix', async () => {
    const schema = schemaName('failed');
    schemas.push(schema);
    const store = newStore(schema);
    await store.setup();
    const [last] = (await loadMigrations(findMigrationsDir())).slice(-1);
    await admin.query(`DELETE FROM "${schema}"._prisma_migrations WHERE migration_name = $1`, [last!.name]);
    await admin.query(
      `INSERT INTO "${schema}"._prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
      ['00000000-0000-4000-8000-000000000000', last!.checksum, last!.name],
    );
    await expect(store.setup()).rejects.toThrow(/prisma migrate resolve --rolled-back/);
    // A rolled-back record counts as not applied: setup() applies the migration again.
    await admin.query(`UPDATE "${schema}"._prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1`, [last!.name]);
    await expect(store.setup()).resolves.toMatchObject({ applied: [last!.name] });
  });

  it('gives a schema the generated Prisma client can read (models, @@map, column types)', async () => {
    const schema = schemaName('model');
    schemas.push(schema);
    const store = newStore(schema);
    await store.setup();
    await store.writeMigrationBatch(
      {
        checkpoints: [{ threadId: 't', checkpointNs: '', checkpointId: 'c1', parentCheckpointId: null, checkpoint: { v: 4 }, metadata: { a: 1 } }],
        blobs: [{ threadId: 't', checkpointNs: '', channel: 'x', version: '1', type: 'json', bytes: new Uint8Array([1]) }],
        writes: [{ threadId: 't', checkpointNs: '', checkpointId: 'c1', taskId: 'k', idx: 0, channel: 'x', type: 'json', bytes: new Uint8Array([2]), taskPath: 'p' }],
      },
      new Map(),
    );
    await store.deleteThread('gone');
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: DATABASE_URL }, { schema }) });
    try {
      expect(await prisma.checkpoint.findMany()).toEqual([
        { threadId: 't', checkpointNs: '', checkpointId: 'c1', parentCheckpointId: null, type: null, checkpoint: { v: 4 }, metadata: { a: 1 } },
      ]);
      expect(await prisma.checkpointBlob.findMany()).toEqual([
        { threadId: 't', checkpointNs: '', channel: 'x', version: '1', type: 'json', blob: new Uint8Array([1]) },
      ]);
      expect(await prisma.checkpointWrite.findMany()).toMatchObject([{ taskId: 'k', idx: 0, taskPath: 'p', blob: new Uint8Array([2]) }]);
      expect(await prisma.checkpointThreadTombstone.findMany()).toMatchObject([{ threadId: 'gone', epoch: 1n }]);
      expect(await prisma.checkpointMigration.count()).toBe(5);
    } finally {
      await prisma.$disconnect();
    }
  });
});
