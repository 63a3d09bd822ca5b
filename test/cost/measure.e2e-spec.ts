/**
 * The measurement harness of `npm run cost` on the local servers, with a tiny workload: it must
 * produce consistent figures and leave nothing behind (its database dropped, its Redis keys or
 * private redis-server gone).
 */
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { leverRuns, type LeverPlan } from '../../cost/bench/levers.js';
import { measureProfile } from '../../cost/bench/measure.js';
import { PrivateRedis } from '../../cost/bench/redis-probe.js';
import type { Progress } from '../../cost/bench/progress.js';
import { DEFAULT_PROFILE, deriveMeasuredInputs, type RawMeasurement } from '../../src/cost/measurement.js';
import { DATABASE_URL, REDIS_URL } from '../support/test-stores.js';

jest.setTimeout(180_000);

describe('measureProfile (local Redis and PostgreSQL)', () => {
  const lines: string[] = [];
  const progress: Progress = { info: (m) => lines.push(m), done: (m) => lines.push(m), step: () => undefined };
  const profile = { ...DEFAULT_PROFILE, name: 'e2e-tiny', threads: 4, turnsPerThread: 2, concurrency: 2, migrationBatchSize: 7 };
  const plan: LeverPlan = { threads: 3, keepLast: [1], batchSizes: [3], readRepeats: 1 };
  let raw: RawMeasurement;

  beforeAll(async () => {
    raw = await measureProfile(profile, { databaseUrl: DATABASE_URL, redis: PrivateRedis.available() ? 'private' : 'shared', redisUrl: REDIS_URL, progress, levers: plan });
  });

  it('counts what the workload did, the same for both savers', () => {
    const w = raw.workload;
    expect(w.turns).toBe(8);
    // Per turn: input checkpoint, then agent → tools → agent (one checkpoint per super-step), plus the loop start.
    expect(w.checkpoints).toBeGreaterThanOrEqual(4 * w.turns);
    expect(w.getTupleCalls).toBe(w.turns);
    expect(raw.migration.report.checkpointsCopied).toBe(w.checkpoints);
    expect(raw.migration.report.writesCopied).toBe(w.writes);
  });

  it('PostgresSaver commits every put and putWrites; the migration commits once per batch', () => {
    expect(raw.pgOnly.pg.writeCommits).toBe(raw.workload.checkpoints + raw.workload.putWritesCalls);
    expect(raw.migration.pg.writeCommits).toBe(raw.migration.report.batches);
    expect(raw.migration.report.batches).toBe(Math.ceil(raw.workload.checkpoints / 7));
    expect(raw.pgOnly.pg.rows.inserted).toBe(raw.migration.pg.rows.inserted);
  });

  it('the tiered write path sends no write to PostgreSQL; only a new thread\'s first read asks it', () => {
    expect(raw.tieredPuts.pg.writeCommits).toBe(0);
    expect(raw.tieredPuts.pg.rows).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(raw.tieredPuts.coldCalls).toEqual({ getTuple: profile.threads });
  });

  it('measures bytes in both tiers and derives per-checkpoint figures', () => {
    const m = deriveMeasuredInputs(raw);
    expect(m.pgOnly.diskBytesPerCheckpoint).toBeGreaterThan(1000);
    expect(m.migration.diskBytesPerCheckpoint).toBeGreaterThan(1000);
    expect(m.hot.redisBytesPerCheckpoint).toBeGreaterThan(1000);
    expect(m.pgOnly.walBytesPerCheckpoint).toBeGreaterThan(0);
    expect(raw.tieredPuts.footprint.byKind.cp!.keys).toBe(raw.workload.checkpoints);
    expect(raw.migration.footprintAfter.byKind.cp).toBeUndefined();
    expect(raw.migration.footprintAfter.byKind.coldmax!.keys).toBe(profile.threads);
  });

  it('makes every planned lever run on the smaller workload, each migrating all of it', () => {
    const runs = raw.levers!.runs;
    expect(runs.map((r) => r.label)).toEqual(leverRuns({ ...profile, threads: 3 }, plan).map((r) => r.label));
    expect(runs.map((r) => r.label)).toEqual(['baseline', 'gzip', 'deflate', 'keepLast:1', 'finalOnly', 'batch:3', 'threadTtl']);
    const perThread = raw.workload.checkpoints / raw.workload.threads;
    for (const r of runs) {
      expect(r.threads).toBe(3);
      expect(r.checkpoints).toBe(3 * perThread);
      expect(r.migration.report.checkpointsCopied).toBe(r.checkpoints);
    }
  });

  it('measures each lever against the baseline: gzip shrinks cold bytes, deflate shrinks Redis bytes, keepLast prunes, small batches commit more, the TTL frees every row', () => {
    const m = deriveMeasuredInputs(raw);
    const L = m.levers!;
    const run = (label: string) => raw.levers!.runs.find((r) => r.label === label)!;
    expect(L.compression!.bytesRatio).toBeLessThan(1);
    expect(L.compression!.coldRead.gzip!.p50Ms).toBeGreaterThan(0);
    // The hot tier's own lever: the same checkpoints take fewer Redis bytes deflated.
    expect(L.hotCompression!.bytesRatio).toBeLessThan(0.9);
    expect(L.hotCompression!.bytesPerCheckpoint.deflate).toBeGreaterThan(0);
    const kl = L.retention.find((r) => r.key === 'keepLast:1')!;
    expect(kl.keptFraction).toBeLessThan(1);
    expect(kl.keptFraction * run('keepLast:1').checkpoints).toBeGreaterThanOrEqual(3); // at least one per thread
    expect(run('keepLast:1').migration.report.checkpointsPruned).toBe(run('keepLast:1').checkpoints - run('keepLast:1').coldTablesVacuumed.checkpoints!.rows);
    expect(kl.keptBytesFraction).toBeLessThan(1);
    expect(run('batch:3').migration.pg.writeCommits).toBe(Math.ceil(run('batch:3').checkpoints / 3));
    expect(L.batch.map((b) => b.batchSize)).toEqual([3, 7]);
    expect(L.threadTtl).toMatchObject({ threadsExpired: 3, rowsRemovedFraction: 1, coldRowsAfter: 0 });
    expect(L.threadTtl!.tombstoneBytesPerThread).toBeGreaterThan(0);
    expect(L.hot!.bytesPerCheckpointCopied).toBeGreaterThan(0);
    expect(run('baseline').redis.afterEvict.byKind.cp).toBeUndefined();
  });

  it('leaves no database behind', async () => {
    const created = lines.find((l) => l.startsWith('database tc_cost_'))!.split(' ')[1]!;
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    const mine = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [created]);
    await client.end();
    expect(mine.rowCount).toBe(0);
    expect(lines.some((l) => l.includes(`database ${created} dropped`))).toBe(true);
  });
});
