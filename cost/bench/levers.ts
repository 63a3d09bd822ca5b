/**
 * Lever runs of `npm run cost` (phase E of `measure.ts`): the product's cost levers, each
 * measured on the same workload so the model can use its measured effect instead of an assumed
 * constant.
 *
 * The lever workload is the scenario's profile with fewer threads (default 24 instead of 48:
 * the same conversations, turns per thread and message sizes, so the same checkpoints per thread
 * and bytes per checkpoint). Each run writes it to Redis through `TieredCheckpointSaver` under
 * its own key prefix, then migrates it into one schema (`levers`, emptied between runs) with one
 * setting:
 *
 * | run | setting | what it gives the model |
 * |---|---|---|
 * | `baseline` | no lever, batch = the profile's, copy after half the window | the reference every ratio divides by; Redis bytes per checkpoint before the copy, copied-but-hot, after eviction |
 * | `gzip` | `coldCompression: 'gzip'` | cold bytes and WAL per checkpoint ÷ baseline; cold `getTuple` p50 and client CPU |
 * | `deflate` | `hotCompression: 'deflate'` | Redis bytes per hot checkpoint ÷ baseline |
 * | `keepLast:N`, `finalOnly` | `retention` during migration | kept share of checkpoints and of cold bytes (after `VACUUM FULL`), WAL/CPU/commits of copy + prune |
 * | `batch:N` | `migrationBatchSize: N` | commits, WAL and CPU per checkpoint against batch size |
 * | `threadTtl` | `threadTtlMs`, then a migration run past the TTL | rows and bytes freed per expired thread, tombstone bytes |
 *
 * PostgreSQL figures come from the same probes as the main phases (own database, pg_walinspect,
 * backend CPU); every phase closes its connections before its end snapshot.
 */
import type { Redis } from 'ioredis';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import type { ColdReadSample, LeverRun, LeverSetting, RawLeverMeasurement, RetentionLever, WorkloadProfile } from '../../src/cost/measurement.js';
import { retentionKey } from '../../src/cost/measurement.js';
import type { PgProbe } from './pg-probe.js';
import type { Progress } from './progress.js';
import type { RedisProbe } from './redis-probe.js';
import { runWorkload, threadId } from './workload.js';

/** Which lever runs to make. */
export interface LeverPlan {
  /** Threads of the lever workload (capped at the profile's). */
  threads: number;
  /** `keepLast` values to measure (scenarios name theirs; `finalOnly` is always measured). */
  keepLast: number[];
  /** Migration batch sizes to measure besides the profile's own. */
  batchSizes: number[];
  /** Passes over every thread for the cold-read timings. */
  readRepeats: number;
}

export const DEFAULT_LEVER_PLAN: LeverPlan = { threads: 24, keepLast: [1], batchSizes: [50], readRepeats: 5 };

export const LEVER_SCHEMA = 'levers';

const HOUR = 3600_000;
const HOT_WINDOW_MS = 24 * HOUR;
/** The thread-TTL run: long enough that the first migration run expires nothing. */
const TTL_MS = 2 * HOT_WINDOW_MS;

/** The runs a plan makes, in order. */
export function leverRuns(profile: WorkloadProfile, plan: LeverPlan): Array<{ label: string; setting: LeverSetting; reads: boolean }> {
  const base: LeverSetting = {
    coldCompression: 'none',
    hotCompression: 'none',
    retention: { mode: 'all' },
    migrationBatchSize: profile.migrationBatchSize,
    hotWindowMs: HOT_WINDOW_MS,
    copyAfterMs: HOT_WINDOW_MS,
    threadTtlMs: 0,
  };
  const retention: RetentionLever[] = [...new Set(plan.keepLast)].sort((a, b) => a - b).map((keepLast) => ({ mode: 'keepLast', keepLast }));
  retention.push({ mode: 'finalOnly' });
  return [
    { label: 'baseline', setting: { ...base, copyAfterMs: HOT_WINDOW_MS / 2 }, reads: true },
    { label: 'gzip', setting: { ...base, coldCompression: 'gzip' }, reads: true },
    { label: 'deflate', setting: { ...base, hotCompression: 'deflate' }, reads: false },
    ...retention.map((r) => ({ label: retentionKey(r), setting: { ...base, retention: r }, reads: false })),
    ...[...new Set(plan.batchSizes)]
      .filter((b) => b !== profile.migrationBatchSize)
      .sort((a, b) => a - b)
      .map((b) => ({ label: `batch:${b}`, setting: { ...base, migrationBatchSize: b }, reads: false })),
    { label: 'threadTtl', setting: { ...base, threadTtlMs: TTL_MS }, reads: false },
  ];
}

/** What the lever runs share with the main phases. */
export interface LeverContext {
  probe: PgProbe;
  databaseUrl: string;
  redis: Redis;
  redisProbe: RedisProbe;
  /** Base key prefix; run i uses `<prefix>lv<i>`. */
  keyPrefix: string;
  progress: Progress;
  /** Registers a clean-up that also runs when the measurement fails. */
  onCleanup: (fn: () => Promise<unknown>) => void;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

const cpuSec = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** Runs every lever run of the plan. The schema {@link LEVER_SCHEMA} must exist (set up by the caller). */
export async function measureLevers(profile: WorkloadProfile, plan: LeverPlan, ctx: LeverContext): Promise<RawLeverMeasurement> {
  const started = performance.now();
  const leverProfile: WorkloadProfile = { ...profile, threads: Math.max(1, Math.min(plan.threads, profile.threads)) };
  const runs: LeverRun[] = [];
  const planned = leverRuns(leverProfile, plan);
  ctx.progress.info(`E. lever runs: ${planned.map((r) => r.label).join(', ')} — each ${leverProfile.threads} threads × ${leverProfile.turnsPerThread} turns, migrated into schema "${LEVER_SCHEMA}"`);
  for (const [i, p] of planned.entries()) {
    const run = await leverRun(`${ctx.keyPrefix}lv${i}`, p.label, p.setting, leverProfile, ctx, { reads: p.reads ? plan.readRepeats : 0 });
    runs.push(run);
    ctx.progress.done(`E. ${p.label}: ${summary(run)}`);
  }
  return { profile: leverProfile, runs, durationSec: (performance.now() - started) / 1000 };
}

function summary(run: LeverRun): string {
  const bytes = Object.values(run.coldTablesVacuumed).reduce((a, t) => a + t.totalBytes, 0);
  const kept = run.coldTablesVacuumed.checkpoints?.rows ?? 0;
  const parts = [
    `${run.migration.report.checkpointsCopied} copied in ${run.migration.report.batches} batches`,
    `${kept} kept`,
    `${run.migration.pg.writeCommits ?? '?'} write commits`,
    `${((run.migration.pg.walBytes ?? run.migration.pg.walBytesRaw) / 1e6).toFixed(2)} MB WAL`,
    `${(bytes / 1e6).toFixed(2)} MB cold after VACUUM FULL`,
  ];
  if (run.coldReads) parts.push(`cold getTuple p50 ${run.coldReads.latencyMs.p50.toFixed(2)} ms`);
  if (run.threadTtl) parts.push(`${run.threadTtl.threadsExpired} threads expired, ${run.threadTtl.pg.rows.deleted} rows deleted`);
  return parts.join(', ');
}

async function emptyLeverSchema(databaseUrl: string): Promise<void> {
  const store = new ColdTierStore({ databaseUrl, schema: LEVER_SCHEMA });
  try {
    await store.truncateAll();
  } finally {
    await store.close();
  }
}

async function leverRun(prefix: string, label: string, setting: LeverSetting, profile: WorkloadProfile, ctx: LeverContext, { reads }: { reads: number }): Promise<LeverRun> {
  const { probe, redisProbe, databaseUrl } = ctx;
  ctx.onCleanup(() => redisProbe.deletePrefix(prefix));
  await emptyLeverSchema(databaseUrl);
  const hot = new HotTierStore({ redis: ctx.redis, keyPrefix: prefix, trackActivity: setting.threadTtlMs > 0, compression: setting.hotCompression ?? 'none' });
  await hot.connect();
  const options = {
    keyPrefix: prefix,
    schema: LEVER_SCHEMA,
    hotWindowMs: setting.hotWindowMs,
    copyAfterMs: setting.copyAfterMs,
    migrationBatchSize: setting.migrationBatchSize,
    migrationMaxBatchesPerRun: 1_000_000,
    retention: setting.retention,
    threadTtlMs: setting.threadTtlMs,
  };
  const open = () => {
    const cold = new ColdTierStore({ databaseUrl, schema: LEVER_SCHEMA, compression: setting.coldCompression });
    return { cold, saver: new TieredCheckpointSaver(hot, cold, options) };
  };
  // Opens the pool's connections before a phase starts: a new backend's start-up CPU (catalog
  // caches) is tens of ms, as much as the whole migration of a small run.
  const warm = (cold: ColdTierStore) => Promise.all([cold.stats(), cold.stats()]);
  const migrateUntilDone = async (saver: TieredCheckpointSaver, now: number) => {
    const totals = { batches: 0, checkpointsCopied: 0, checkpointsPruned: 0, writesCopied: 0, bytesCopied: 0, threadsExpired: 0 };
    for (;;) {
      const r = await saver.migrate({ now });
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
      if (!r.backlogRemaining) return totals;
    }
  };

  // The workload, into Redis only (the first read of each new thread asks PostgreSQL, outside any phase).
  let { cold, saver } = open();
  const counts = await runWorkload(saver, profile, () => undefined);
  await cold.close();
  const writtenBy = Date.now();
  const beforeCopy = await redisProbe.footprint(prefix);

  // Migration: everything is past copyAfter; with the copy/evict split nothing is past the window yet.
  ({ cold, saver } = open());
  await warm(cold);
  let before = await probe.snapshot(LEVER_SCHEMA, 'start');
  let cpu = probe.startCpu();
  await cpu.begin();
  const client0 = process.cpuUsage();
  const totals = await migrateUntilDone(saver, writtenBy + setting.copyAfterMs + 60_000);
  const clientCpuSec = cpuSec(process.cpuUsage(client0));
  await cpu.stop();
  await cold.close();
  let after = await probe.snapshot(LEVER_SCHEMA, 'end');
  const migrationPg = await probe.phase(before, after, cpu);
  if (totals.checkpointsCopied !== counts.puts) throw new Error(`Lever run ${label}: migrated ${totals.checkpointsCopied} of ${counts.puts} checkpoints.`);

  let copiedStillHot = null;
  if (setting.copyAfterMs < setting.hotWindowMs) {
    copiedStillHot = await redisProbe.footprint(prefix);
    ({ cold, saver } = open());
    await migrateUntilDone(saver, writtenBy + setting.hotWindowMs + 60_000); // evicts the copied entries (Redis only)
    await cold.close();
  }
  const afterEvict = await redisProbe.footprint(prefix);
  const coldTables = await probe.tableSizes(LEVER_SCHEMA);

  // Cold reads: the latest checkpoint of every thread, one warm-up pass, then `reads` timed passes.
  let coldReads: ColdReadSample | null = null;
  if (reads > 0) {
    ({ cold, saver } = open());
    const readAll = async (timings?: number[]) => {
      for (let i = 0; i < profile.threads; i += 1) {
        const t0 = performance.now();
        const tuple = await saver.getTuple({ configurable: { thread_id: threadId(i), checkpoint_ns: '' } });
        timings?.push(performance.now() - t0);
        const messages = (tuple?.checkpoint.channel_values as { messages?: unknown[] } | undefined)?.messages;
        if (messages?.length !== counts.messagesPerThread) throw new Error(`Lever run ${label}: cold read of ${threadId(i)} returned ${messages?.length ?? 'no'} messages, expected ${counts.messagesPerThread}.`);
      }
    };
    await readAll();
    before = await probe.snapshot(LEVER_SCHEMA, 'start');
    cpu = probe.startCpu();
    await cpu.begin();
    const timings: number[] = [];
    const c0 = process.cpuUsage();
    for (let r = 0; r < reads; r += 1) await readAll(timings);
    const readCpu = cpuSec(process.cpuUsage(c0));
    await cpu.stop();
    await cold.close();
    after = await probe.snapshot(LEVER_SCHEMA, 'end');
    const sorted = [...timings].sort((a, b) => a - b);
    coldReads = {
      reads: timings.length,
      latencyMs: { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), mean: timings.reduce((a, b) => a + b, 0) / Math.max(1, timings.length) },
      clientCpuSec: readCpu,
      pg: await probe.phase(before, after, cpu),
    };
  }

  await probe.vacuumFull(LEVER_SCHEMA);
  const coldTablesVacuumed = await probe.tableSizes(LEVER_SCHEMA);

  // Thread TTL: a migration run past the TTL expires every thread of the workload.
  let threadTtl: LeverRun['threadTtl'] = null;
  if (setting.threadTtlMs > 0) {
    const redisBefore = await redisProbe.footprint(prefix);
    ({ cold, saver } = open());
    await warm(cold);
    before = await probe.snapshot(LEVER_SCHEMA, 'start');
    cpu = probe.startCpu();
    await cpu.begin();
    const expiry = await migrateUntilDone(saver, writtenBy + setting.threadTtlMs + setting.hotWindowMs + 60_000);
    await cpu.stop();
    await cold.close();
    after = await probe.snapshot(LEVER_SCHEMA, 'end');
    const pgPhase = await probe.phase(before, after, cpu);
    await probe.vacuumFull(LEVER_SCHEMA);
    threadTtl = { threadsExpired: expiry.threadsExpired, pg: pgPhase, coldTablesAfter: await probe.tableSizes(LEVER_SCHEMA), redisBefore, redisAfter: await redisProbe.footprint(prefix) };
    if (expiry.threadsExpired !== profile.threads) throw new Error(`Lever run ${label}: expired ${expiry.threadsExpired} of ${profile.threads} threads.`);
  }

  await redisProbe.deletePrefix(prefix);
  return {
    label,
    setting,
    threads: profile.threads,
    checkpoints: counts.puts,
    migration: {
      report: { batches: totals.batches, checkpointsCopied: totals.checkpointsCopied, checkpointsPruned: totals.checkpointsPruned, writesCopied: totals.writesCopied, bytesCopied: totals.bytesCopied },
      pg: migrationPg,
      clientCpuSec,
    },
    redis: { beforeCopy, copiedStillHot, afterEvict },
    coldTables,
    coldTablesVacuumed,
    coldReads,
    threadTtl,
  };
}
