/**
 * Scenario files (`cost/scenarios/<name>.json`): the workload, retention, HA choices and product
 * levers one cost comparison assumes. {@link resolveScenario} applies the defaults (in one place,
 * {@link SCENARIO_DEFAULTS}) and validates the result, listing every problem. Pure.
 */
import { DEFAULT_PROFILE, type RetentionLever, type WorkloadProfile } from './measurement.js';
import type { CacheEngine } from './price-sheet.js';
import { DEFAULT_SIZING, type SizingParameters } from './sizing-model.js';

/** A fully resolved scenario: every field present. */
export interface Scenario {
  name: string;
  title: string;
  description: string;
  /** Price file id (`cost/prices/<id>.json`). */
  prices: string;
  /** Workload shape that is measured (bytes, commits and CPU per checkpoint depend on it). */
  profile: WorkloadProfile;
  load: {
    /** Checkpoints (LangGraph `put`s) per second, averaged over a day. */
    averageCheckpointsPerSec: number;
    /** Highest rate sustained for minutes: PostgreSQL-only must commit it synchronously. */
    peakCheckpointsPerSec: number;
    /** Average rate of the busiest hour: what one migration run must copy. Default = peak. */
    peakHourCheckpointsPerSec: number;
    /** Share of reads that miss the hot tier (threads resumed after the hot window). Default 0.01. */
    coldReadFraction: number;
  };
  retention: {
    /** Days a checkpoint is kept before it is deleted. */
    days: number;
    /** Threads deleted this many days after their last write (lever `threadTtlMs`, null = off). */
    threadTtlDays: number | null;
    /** Days an expired thread's tombstone stays in Redis (`threadTombstoneMs`, product default 7). */
    threadTombstoneDays: number;
  };
  /**
   * Product levers whose effect is measured by the lever runs of `npm run cost` (the other levers
   * are plain settings: `retention.threadTtlDays`, `tiered.hotWindowHours` / `copyAfterHours`,
   * `tiered.batchSize`; their measured figures feed the model whenever the measurement has them).
   */
  levers: {
    /**
     * The tiered saver's `retention` option (applied during migration). Other than `all`, the
     * measured kept share of checkpoints and of cold bytes replaces `tiered.keptColdFraction`, and
     * the migration copies every checkpoint and then prunes (measured WAL, CPU and commits).
     */
    retention: RetentionLever;
    /** PostgreSQL-only prunes to the same policy with a job: the measured kept shares replace `pgOnly.keptFraction`. Default false. */
    pgOnlyRetention: boolean;
    /** The tiered saver's `coldCompression`. `gzip`: the measured cold bytes and WAL ratios replace `tiered.coldCompressionRatio`. */
    coldCompression: 'none' | 'gzip';
    /** The tiered saver's `hotCompression`. `deflate`: the measured Redis bytes ratio replaces `tiered.hotCompressionRatio`. */
    hotCompression: 'none' | 'deflate';
  };
  pgOnly: {
    multiAz: boolean;
    readReplicas: number;
    /** Share of checkpoints kept (a keep-last-N pruning job would lower it). Default 1. */
    keptFraction: number;
    /** Stored bytes ÷ uncompressed bytes (payload compression lever). Default 1. */
    compressionRatio: number;
    /** Hours of recent checkpoints that must fit in RAM (reads of the latest state). Default 1. */
    cacheHours: number;
    instanceClasses: string[] | null;
  };
  tiered: {
    hotWindowHours: number;
    /** Age at which checkpoints are copied (≤ hot window). Default = hot window. */
    copyAfterHours: number;
    migrationIntervalHours: number;
    batchSize: number;
    maxBatchesPerRun: number;
    /** Share of hot checkpoints that are ever copied to PostgreSQL (retention lever; f in price-sheet.md). Default 1. */
    keptColdFraction: number;
    hotCompressionRatio: number;
    coldCompressionRatio: number;
    redis: { engine: CacheEngine; deployment: 'nodes' | 'serverless' | 'cheapest'; replicas: number; nodeTypes: string[] | null };
    postgres: { multiAz: boolean; readReplicas: number; cacheHours: number; instanceClasses: string[] | null };
  };
  sizing: SizingParameters;
  /** Assumptions the scenario's author states; printed in the report. */
  assumptions: string[];
  /**
   * "What if this assumption is dropped": each variant is this scenario with `set` merged in,
   * costed alongside it (see `computeVariants`). Default none.
   */
  sensitivity: Array<{ label: string; set: Record<string, unknown> }>;
  chart: { minAverageRate: number; maxAverageRate: number };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<unknown> | null ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A scenario file as written: everything but the name and load is optional. */
export type ScenarioInput = DeepPartial<Omit<Scenario, 'load'>> & { name: string; load: DeepPartial<Scenario['load']> & { averageCheckpointsPerSec: number; peakCheckpointsPerSec: number } };

/** Defaults of every optional scenario field. */
export const SCENARIO_DEFAULTS = {
  prices: 'aws-us-east-1',
  coldReadFraction: 0.01,
  retention: { days: 30, threadTtlDays: null, threadTombstoneDays: 7 },
  levers: { retention: { mode: 'all' } as RetentionLever, pgOnlyRetention: false, coldCompression: 'none' as const, hotCompression: 'none' as const },
  pgOnly: { multiAz: false, readReplicas: 0, keptFraction: 1, compressionRatio: 1, cacheHours: 1, instanceClasses: null },
  tiered: {
    hotWindowHours: 24,
    migrationIntervalHours: 1,
    batchSize: 500,
    maxBatchesPerRun: 200,
    keptColdFraction: 1,
    hotCompressionRatio: 1,
    coldCompressionRatio: 1,
    redis: { engine: 'redis-oss' as CacheEngine, deployment: 'nodes' as const, replicas: 0, nodeTypes: null },
    postgres: { multiAz: false, readReplicas: 0, cacheHours: 0, instanceClasses: null },
  },
} as const;

/** A scenario file failed validation; `problems` lists every problem. */
export class InvalidScenarioError extends Error {
  constructor(
    readonly scenario: string,
    readonly problems: string[],
  ) {
    super(`Invalid scenario "${scenario}" (fix these in its JSON file):\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidScenarioError';
  }
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (base === null || typeof base !== 'object' || Array.isArray(base) || over === null || typeof over !== 'object' || Array.isArray(over)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = merge((base as Record<string, unknown>)[k], v);
  return out as T;
}

/** Applies defaults and validates. @throws InvalidScenarioError listing every problem. */
export function resolveScenario(input: ScenarioInput): Scenario {
  const problems: string[] = [];
  const name = typeof input?.name === 'string' && input.name !== '' ? input.name : '(unnamed)';
  if (name === '(unnamed)') problems.push('name: required');
  const load = input?.load ?? ({} as ScenarioInput['load']);
  const hot = input?.tiered?.hotWindowHours ?? SCENARIO_DEFAULTS.tiered.hotWindowHours;
  const avg = load.averageCheckpointsPerSec;
  const s: Scenario = {
    name,
    title: input?.title ?? name,
    description: input?.description ?? '',
    prices: input?.prices ?? SCENARIO_DEFAULTS.prices,
    profile: merge(DEFAULT_PROFILE, input?.profile),
    load: {
      averageCheckpointsPerSec: avg,
      peakCheckpointsPerSec: load.peakCheckpointsPerSec,
      peakHourCheckpointsPerSec: load.peakHourCheckpointsPerSec ?? load.peakCheckpointsPerSec,
      coldReadFraction: load.coldReadFraction ?? SCENARIO_DEFAULTS.coldReadFraction,
    },
    retention: merge({ ...SCENARIO_DEFAULTS.retention } as Scenario['retention'], input?.retention),
    levers: normaliseLevers(merge({ ...SCENARIO_DEFAULTS.levers } as Scenario['levers'], input?.levers)),
    pgOnly: merge({ ...SCENARIO_DEFAULTS.pgOnly } as Scenario['pgOnly'], input?.pgOnly),
    tiered: merge({ ...(SCENARIO_DEFAULTS.tiered as unknown as Scenario['tiered']), copyAfterHours: hot }, input?.tiered),
    sizing: merge(DEFAULT_SIZING, input?.sizing),
    assumptions: input?.assumptions ?? [],
    sensitivity: (input?.sensitivity as Scenario['sensitivity'] | undefined) ?? [],
    chart: merge({ minAverageRate: avg / 100, maxAverageRate: avg * 100 }, input?.chart),
  };
  if (input?.tiered?.copyAfterHours === undefined) s.tiered.copyAfterHours = s.tiered.hotWindowHours;

  const pos = (path: string, v: unknown, { zero = false } = {}) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!zero && v === 0)) problems.push(`${path} must be a ${zero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(v)}`);
  };
  const fraction = (path: string, v: unknown) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) problems.push(`${path} must be between 0 and 1, got ${JSON.stringify(v)}`);
  };
  const int = (path: string, v: unknown, min: number) => {
    if (!Number.isSafeInteger(v) || (v as number) < min) problems.push(`${path} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  pos('load.averageCheckpointsPerSec', s.load.averageCheckpointsPerSec);
  pos('load.peakCheckpointsPerSec', s.load.peakCheckpointsPerSec);
  pos('load.peakHourCheckpointsPerSec', s.load.peakHourCheckpointsPerSec);
  if (s.load.peakCheckpointsPerSec < s.load.averageCheckpointsPerSec) problems.push('load.peakCheckpointsPerSec must be >= load.averageCheckpointsPerSec');
  if (s.load.peakHourCheckpointsPerSec < s.load.averageCheckpointsPerSec) problems.push('load.peakHourCheckpointsPerSec must be >= load.averageCheckpointsPerSec');
  if (s.load.peakHourCheckpointsPerSec > s.load.peakCheckpointsPerSec) problems.push('load.peakHourCheckpointsPerSec must be <= load.peakCheckpointsPerSec');
  if (s.load.peakHourCheckpointsPerSec > 24 * s.load.averageCheckpointsPerSec) problems.push('load.peakHourCheckpointsPerSec cannot exceed 24 × the average (the busiest hour would hold more than the whole day)');
  fraction('load.coldReadFraction', s.load.coldReadFraction);
  pos('retention.days', s.retention.days);
  if (s.retention.threadTtlDays !== null) pos('retention.threadTtlDays', s.retention.threadTtlDays);
  pos('retention.threadTombstoneDays', s.retention.threadTombstoneDays, { zero: true });
  const lr = s.levers.retention as { mode?: unknown; keepLast?: unknown };
  if (!['all', 'keepLast', 'finalOnly'].includes(lr?.mode as string)) problems.push(`levers.retention.mode must be "all", "keepLast" or "finalOnly", got ${JSON.stringify(lr?.mode)}`);
  if (lr?.mode === 'keepLast') int('levers.retention.keepLast', lr.keepLast, 1);
  if (typeof s.levers.pgOnlyRetention !== 'boolean') problems.push(`levers.pgOnlyRetention must be true or false, got ${JSON.stringify(s.levers.pgOnlyRetention)}`);
  if (!['none', 'gzip'].includes(s.levers.coldCompression)) problems.push(`levers.coldCompression must be "none" or "gzip", got ${JSON.stringify(s.levers.coldCompression)}`);
  if (!['none', 'deflate'].includes(s.levers.hotCompression)) problems.push(`levers.hotCompression must be "none" or "deflate", got ${JSON.stringify(s.levers.hotCompression)}`);
  int('pgOnly.readReplicas', s.pgOnly.readReplicas, 0);
  fraction('pgOnly.keptFraction', s.pgOnly.keptFraction);
  pos('pgOnly.compressionRatio', s.pgOnly.compressionRatio);
  pos('pgOnly.cacheHours', s.pgOnly.cacheHours, { zero: true });
  const t = s.tiered;
  pos('tiered.hotWindowHours', t.hotWindowHours, { zero: true });
  pos('tiered.copyAfterHours', t.copyAfterHours, { zero: true });
  if (t.copyAfterHours > t.hotWindowHours) problems.push('tiered.copyAfterHours must not exceed tiered.hotWindowHours (data is copied before it is evicted)');
  pos('tiered.migrationIntervalHours', t.migrationIntervalHours);
  int('tiered.batchSize', t.batchSize, 1);
  int('tiered.maxBatchesPerRun', t.maxBatchesPerRun, 1);
  fraction('tiered.keptColdFraction', t.keptColdFraction);
  pos('tiered.hotCompressionRatio', t.hotCompressionRatio);
  pos('tiered.coldCompressionRatio', t.coldCompressionRatio);
  if (!['redis-oss', 'valkey'].includes(t.redis.engine)) problems.push(`tiered.redis.engine must be "redis-oss" or "valkey", got ${JSON.stringify(t.redis.engine)}`);
  if (!['nodes', 'serverless', 'cheapest'].includes(t.redis.deployment)) problems.push(`tiered.redis.deployment must be "nodes", "serverless" or "cheapest", got ${JSON.stringify(t.redis.deployment)}`);
  int('tiered.redis.replicas', t.redis.replicas, 0);
  int('tiered.postgres.readReplicas', t.postgres.readReplicas, 0);
  pos('tiered.postgres.cacheHours', t.postgres.cacheHours, { zero: true });
  pos('chart.minAverageRate', s.chart.minAverageRate);
  pos('chart.maxAverageRate', s.chart.maxAverageRate);
  if (s.chart.maxAverageRate <= s.chart.minAverageRate) problems.push('chart.maxAverageRate must exceed chart.minAverageRate');
  fraction('sizing.migration.dutyFraction', s.sizing.migration.dutyFraction);
  fraction('sizing.redis.reservedMemoryFraction', s.sizing.redis.reservedMemoryFraction);
  fraction('sizing.postgres.storageFreeSpaceFraction', s.sizing.postgres.storageFreeSpaceFraction);
  int('profile.threads', s.profile.threads, 1);
  int('profile.turnsPerThread', s.profile.turnsPerThread, 1);
  int('profile.toolCallsPerTurn', s.profile.toolCallsPerTurn, 0);
  int('profile.concurrency', s.profile.concurrency, 1);
  int('profile.migrationBatchSize', s.profile.migrationBatchSize, 1);
  s.sensitivity.forEach((v, i) => {
    if (typeof v?.label !== 'string' || typeof v?.set !== 'object' || v.set === null) problems.push(`sensitivity[${i}] must be { "label": string, "set": { ...scenario fields } }`);
  });
  if (problems.length > 0) throw new InvalidScenarioError(name, problems);
  return s;
}

/** Drops fields a merge left behind (`keepLast` of a variant that switched to `all`). */
function normaliseLevers(l: Scenario['levers']): Scenario['levers'] {
  const r = l.retention as { mode: string; keepLast?: number };
  const retention = (r?.mode === 'keepLast' ? { mode: 'keepLast', keepLast: r.keepLast } : { mode: r?.mode }) as RetentionLever;
  return { ...l, retention };
}

/** Every `keepLast` N and batch size a scenario or one of its sensitivity variants uses (what the lever runs must measure). */
export function leversUsed(s: Scenario): { keepLast: number[]; batchSizes: number[] } {
  const keepLast = new Set<number>();
  const batchSizes = new Set<number>([s.tiered.batchSize]);
  const visit = (x: Scenario) => {
    if (x.levers.retention.mode === 'keepLast') keepLast.add(x.levers.retention.keepLast);
    batchSizes.add(x.tiered.batchSize);
  };
  visit(s);
  const { sensitivity, ...base } = s;
  for (const v of sensitivity) visit(resolveScenario(merge(base as unknown as ScenarioInput, v.set)));
  return { keepLast: [...keepLast].sort((a, b) => a - b), batchSizes: [...batchSizes].sort((a, b) => a - b) };
}

/**
 * The same scenario at another write rate: average, peak and peak-hour rates scaled by
 * `factor` (their ratios kept). Used for the chart and for break-even search.
 */
export function scaleLoad(s: Scenario, factor: number): Scenario {
  return {
    ...s,
    load: {
      ...s.load,
      averageCheckpointsPerSec: s.load.averageCheckpointsPerSec * factor,
      peakCheckpointsPerSec: s.load.peakCheckpointsPerSec * factor,
      peakHourCheckpointsPerSec: s.load.peakHourCheckpointsPerSec * factor,
    },
  };
}
