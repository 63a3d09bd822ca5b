import { coldTierSql, migrationLockKey, prismaMigrationsSql, quoteSchema, threadLockNamespace } from './cold-tier.sql.js';

describe('cold tier SQL', () => {
  it('quotes a plain schema name and rejects anything else', () => {
    expect(quoteSchema('cold_1')).toBe('"cold_1"');
    for (const bad of ['', '1abc', 'a"b', 'a;drop', 'a b', 'x'.repeat(64)]) {
      expect(() => quoteSchema(bad)).toThrow(/plain PostgreSQL identifier/);
    }
    expect(() => coldTierSql('a"; drop table x; --')).toThrow();
  });

  it('names every table with the quoted schema and interpolates no value', () => {
    const sql = coldTierSql('my_schema');
    for (const text of [sql.latestCheckpointId, sql.selectBlobs, sql.upsertCheckpoints, sql.insertWrites, sql.truncateAll]) {
      expect(text).toContain('"my_schema".');
    }
    const q = sql.selectCheckpoints({ threadId: "t'1", checkpointNs: '', before: 'b', filterJson: '{"a":1}', limit: 3 });
    expect(q.text).not.toContain("t'1");
    expect(q.values).toEqual(["t'1", '', 'b', '{"a":1}', 3]);
    expect(q.text).toMatch(/thread_id = \$1::text AND checkpoint_ns = \$2::text AND checkpoint_id COLLATE "C" < \$3::text AND metadata @> \$4::jsonb/);
    expect(q.text).toMatch(/LIMIT \$5::int8/);
  });

  it('omits absent filters and orders newest first in byte order', () => {
    const q = coldTierSql('s').selectCheckpoints({});
    expect(q.values).toEqual([]);
    expect(q.text).not.toMatch(/WHERE thread_id/);
    // No page limit (the only LIMIT left is the one-row key lookup of each channel value).
    expect(q.text).not.toMatch(/LIMIT \$/);
    expect(q.text).toMatch(/ORDER BY checkpoint_id COLLATE "C" DESC/);
    expect(q.text).toMatch(/ORDER BY cw\.task_path COLLATE "C", cw\.task_id COLLATE "C", cw\.idx/);
  });

  it('derives stable, schema-specific lock keys in the right integer ranges', () => {
    const a = migrationLockKey('public');
    expect(a).toBe(migrationLockKey('public'));
    expect(a).not.toBe(migrationLockKey('other'));
    expect(BigInt(a) >= -(2n ** 63n) && BigInt(a) < 2n ** 63n).toBe(true);
    const n = threadLockNamespace('public');
    expect(Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31).toBe(true);
    expect(n).not.toBe(threadLockNamespace('other'));
  });

  it('creates _prisma_migrations with the columns Prisma Migrate uses', () => {
    const { createTable } = prismaMigrationsSql('s');
    for (const column of ['id', 'checksum', 'finished_at', 'migration_name', 'logs', 'rolled_back_at', 'started_at', 'applied_steps_count']) {
      expect(createTable).toContain(`"${column}"`);
    }
    expect(createTable).toContain('"s"."_prisma_migrations"');
  });
});
