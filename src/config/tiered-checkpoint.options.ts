import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { CronTime } from 'cron';
import type { Cluster, Redis } from 'ioredis';
import { InvalidOptionsError } from '../errors/tiered-checkpoint.errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { noopMetrics, type CheckpointMetrics } from '../core/metrics.js';
import type { MigrationStepHook } from '../tiering/migration.hooks.js';
import type { RetentionPolicy } from '../tiering/retention.js';

/**
 * The part of a Prisma client the cold tier uses, typed structurally so callers can pass
 * their own generated client without this library importing it.
 */
export interface PrismaLikeClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $transaction: (...args: any[]) => Promise<any>;
  $disconnect(): Promise<void>;
}

/** Options of the tiered checkpointer. Every field is optional except how to reach the two stores. */
export interface TieredCheckpointOptions {
  /** Redis URL (`redis://` or `rediss://`, with user/password if needed). Ignored when `redis` is given. */
  redisUrl?: string;
  /** An existing ioredis client (single node or Cluster). The saver never closes a client it was given. */
  redis?: Redis | Cluster;
  /** PostgreSQL URL (`postgresql://`, `sslmode` honoured). Ignored when `prisma` is given. */
  databaseUrl?: string;
  /** An existing Prisma client (built with `@prisma/adapter-pg`). Never closed by the saver. */
  prisma?: PrismaLikeClient;
  /** PostgreSQL schema holding the cold tier tables. Default `public`. */
  schema?: string;
  /** Prefix of every Redis key. Default `tc`. */
  keyPrefix?: string;
  /** How long a checkpoint is served from Redis before migration evicts it. Default 24 h. */
  hotWindowMs?: number;
  /**
   * Age after which a checkpoint is copied to PostgreSQL. Default: equal to `hotWindowMs`
   * (copy and evict together, as the task card describes). Set it lower to make data durable
   * in PostgreSQL early while still serving reads from Redis for the whole window.
   */
  copyAfterMs?: number;
  /** Cron expression of the migration job. Default `0 * * * *` (hourly). */
  migrationCron?: string;
  /** Whether the Nest migration job runs at all. Default `true`. */
  migrationEnabled?: boolean;
  /** Checkpoints per migration batch (one PostgreSQL transaction). Default 500. */
  migrationBatchSize?: number;
  /** Upper bound of batches one run processes before yielding to the next run. Default 200. */
  migrationMaxBatchesPerRun?: number;
  /** Lease that keeps replicas from migrating at once; renewed every batch. Default 60 000 ms. */
  migrationLeaseMs?: number;
  /** Largest serialized checkpoint or write accepted, in bytes. Default 16 MiB. */
  maxPayloadBytes?: number;
  /** Readiness reports migration lag above this bound. Default 2 h. */
  maxMigrationLagMs?: number;
  /** Time source. Default the wall clock. */
  clock?: Clock;
  /** Serializer for checkpoint parts. Default LangGraph's JsonPlusSerializer. */
  serde?: SerializerProtocol;
  /** Where the saver reports reads, writes and migrations. Default: nowhere. */
  metrics?: CheckpointMetrics;
  /**
   * What migration keeps in PostgreSQL. Default `{ mode: 'all' }`. `{ mode: 'keepLast', keepLast: N }`
   * keeps the newest N checkpoints per thread and namespace; `{ mode: 'finalOnly' }` the last
   * checkpoint of each run. Applied to the threads each run copied.
   */
  retention?: RetentionPolicy;
  /**
   * Thread TTL: threads idle (no write) longer than this are deleted from both tiers by the
   * migration job. Default 0 (off).
   */
  threadTtlMs?: number;
  /**
   * Compress channel values and writes as migration moves them to PostgreSQL (`gzip`), or not
   * (`none`, default). Compressed rows cannot be read by `PostgresSaver`.
   */
  coldCompression?: 'none' | 'gzip';
  /**
   * Compress channel values and writes of 512 bytes or more in Redis (`deflate`), or not
   * (`none`, default): less Redis memory for some CPU on every write and read.
   */
  hotCompression?: 'none' | 'deflate';
  /**
   * Create the PostgreSQL indexes for `list` across threads in setup(): `checkpoint_id` (newest
   * first without a thread) and GIN `jsonb_path_ops` on `metadata` (metadata filter without a
   * thread). Default false: thread-scoped reads and writes never use them, and they cost
   * PostgreSQL bytes and write work on every migrated checkpoint. Turning it off later does not
   * drop indexes already created.
   */
  coldSearchIndexes?: boolean;
  /** How long a thread deleted by its TTL refuses late writes (`ThreadExpiredError`). Default 7 days. */
  threadTombstoneMs?: number;
  /** Fault-injection hook called at each step of a migration batch (tests only). */
  migrationStepHook?: MigrationStepHook;
}

/** Options after defaults have been applied and validated. */
type OptionalAfterResolve = 'redis' | 'prisma' | 'redisUrl' | 'databaseUrl' | 'serde' | 'migrationStepHook';
export type ResolvedTieredCheckpointOptions = Required<Omit<TieredCheckpointOptions, OptionalAfterResolve>> &
  Pick<TieredCheckpointOptions, OptionalAfterResolve>;

const HOUR = 60 * 60 * 1000;

/** Defaults, in one place. */
export const DEFAULT_OPTIONS = {
  schema: 'public',
  keyPrefix: 'tc',
  hotWindowMs: 24 * HOUR,
  migrationCron: '0 * * * *',
  migrationEnabled: true,
  migrationBatchSize: 500,
  migrationMaxBatchesPerRun: 200,
  migrationLeaseMs: 60_000,
  maxPayloadBytes: 16 * 1024 * 1024,
  maxMigrationLagMs: 2 * HOUR,
} as const;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const KEY_PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** Every option name, so a misspelt one (say `hotWindowHours`) is reported instead of ignored. */
const KNOWN_OPTIONS = new Set<string>([
  'redisUrl', 'redis', 'databaseUrl', 'prisma', 'schema', 'keyPrefix', 'hotWindowMs', 'copyAfterMs', 'migrationCron',
  'migrationEnabled', 'migrationBatchSize', 'migrationMaxBatchesPerRun', 'migrationLeaseMs', 'maxPayloadBytes',
  'maxMigrationLagMs', 'clock', 'serde', 'metrics', 'migrationStepHook', 'retention', 'threadTtlMs', 'threadTombstoneMs', 'coldCompression',
  'hotCompression',
  'coldSearchIndexes',
] satisfies Array<keyof TieredCheckpointOptions>);

function cronProblem(expression: unknown): string | undefined {
  if (typeof expression !== 'string' || !/^(\S+\s+){4,5}\S+$/.test(expression.trim())) {
    return `migrationCron "${String(expression)}" is not a cron expression (5 or 6 fields)`;
  }
  try {
    new CronTime(expression);
    return undefined;
  } catch (error) {
    return `migrationCron "${expression}" is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function checkUrl(problems: string[], name: string, value: string | undefined, protocols: string[]): void {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} is not a valid URL (expected ${protocols.map((p) => `${p}//...`).join(' or ')})`);
    return;
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(`${name} must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
}

function checkInt(problems: string[], name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    problems.push(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * Applies defaults and validates (`storesGiven`: the caller built the stores itself, so no
 * connection settings are needed). Throws {@link InvalidOptionsError} listing every problem at
 * once, so a misconfigured deployment is fixed in one round.
 */
export function resolveOptions(
  given: TieredCheckpointOptions,
  { storesGiven = false }: { storesGiven?: boolean } = {},
): ResolvedTieredCheckpointOptions {
  const problems: string[] = [];
  if (given !== undefined && (given === null || typeof given !== 'object')) throw new InvalidOptionsError(['options must be an object']);
  const options: TieredCheckpointOptions = given ?? {};
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) problems.push(`unknown option "${key}" (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  if (options.redis !== undefined && typeof (options.redis as { defineCommand?: unknown }).defineCommand !== 'function') {
    problems.push('redis must be an ioredis client (Redis or Cluster instance)');
  }
  if (options.prisma !== undefined && typeof (options.prisma as { $queryRawUnsafe?: unknown }).$queryRawUnsafe !== 'function') {
    problems.push('prisma must be a Prisma client (created with @prisma/adapter-pg)');
  }
  if (options.migrationEnabled !== undefined && typeof options.migrationEnabled !== 'boolean') {
    problems.push(`migrationEnabled must be true or false, got ${JSON.stringify(options.migrationEnabled)}`);
  }
  if (!storesGiven && !options.redis && !options.redisUrl) problems.push('either redisUrl or an ioredis client (redis) is required');
  if (!storesGiven && !options.prisma && !options.databaseUrl) problems.push('either databaseUrl or a Prisma client (prisma) is required');
  if (!options.redis) checkUrl(problems, 'redisUrl', options.redisUrl, ['redis:', 'rediss:']);
  if (!options.prisma) checkUrl(problems, 'databaseUrl', options.databaseUrl, ['postgresql:', 'postgres:']);

  const hotWindowMs = options.hotWindowMs ?? DEFAULT_OPTIONS.hotWindowMs;
  const resolved: ResolvedTieredCheckpointOptions = {
    ...options,
    schema: options.schema ?? DEFAULT_OPTIONS.schema,
    keyPrefix: options.keyPrefix ?? DEFAULT_OPTIONS.keyPrefix,
    hotWindowMs,
    copyAfterMs: options.copyAfterMs ?? hotWindowMs,
    migrationCron: options.migrationCron ?? DEFAULT_OPTIONS.migrationCron,
    migrationEnabled: options.migrationEnabled ?? DEFAULT_OPTIONS.migrationEnabled,
    migrationBatchSize: options.migrationBatchSize ?? DEFAULT_OPTIONS.migrationBatchSize,
    migrationMaxBatchesPerRun: options.migrationMaxBatchesPerRun ?? DEFAULT_OPTIONS.migrationMaxBatchesPerRun,
    migrationLeaseMs: options.migrationLeaseMs ?? DEFAULT_OPTIONS.migrationLeaseMs,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_OPTIONS.maxPayloadBytes,
    maxMigrationLagMs: options.maxMigrationLagMs ?? DEFAULT_OPTIONS.maxMigrationLagMs,
    clock: options.clock ?? systemClock,
    metrics: options.metrics ?? noopMetrics,
    retention: options.retention ?? { mode: 'all' },
    threadTtlMs: options.threadTtlMs ?? 0,
    coldCompression: options.coldCompression ?? 'none',
    hotCompression: options.hotCompression ?? 'none',
    coldSearchIndexes: options.coldSearchIndexes ?? false,
    threadTombstoneMs: options.threadTombstoneMs ?? 7 * 24 * HOUR,
  };

  if (!SCHEMA_NAME.test(resolved.schema)) {
    problems.push(`schema "${resolved.schema}" must be a plain PostgreSQL identifier (letters, digits, _ and $, at most 63 characters)`);
  }
  if (!KEY_PREFIX.test(resolved.keyPrefix)) {
    problems.push(`keyPrefix "${resolved.keyPrefix}" must be 1-64 characters of A-Z a-z 0-9 _ . -`);
  }
  checkInt(problems, 'hotWindowMs', resolved.hotWindowMs, 0);
  // copyAfterMs defaults to the window; only report it when it was set on its own.
  if (options.copyAfterMs !== undefined) checkInt(problems, 'copyAfterMs', resolved.copyAfterMs, 0);
  if (resolved.copyAfterMs > resolved.hotWindowMs) {
    problems.push(`copyAfterMs (${resolved.copyAfterMs}) must not exceed hotWindowMs (${resolved.hotWindowMs}): data must be copied before it is evicted`);
  }
  checkInt(problems, 'migrationBatchSize', resolved.migrationBatchSize, 1);
  checkInt(problems, 'migrationMaxBatchesPerRun', resolved.migrationMaxBatchesPerRun, 1);
  checkInt(problems, 'migrationLeaseMs', resolved.migrationLeaseMs, 1000);
  checkInt(problems, 'maxPayloadBytes', resolved.maxPayloadBytes, 1);
  checkInt(problems, 'maxMigrationLagMs', resolved.maxMigrationLagMs, 0);
  checkInt(problems, 'threadTtlMs', resolved.threadTtlMs, 0);
  if (typeof resolved.coldSearchIndexes !== 'boolean') problems.push(`coldSearchIndexes must be true or false, got ${JSON.stringify(resolved.coldSearchIndexes)}`);
  if (!['none', 'gzip'].includes(resolved.coldCompression)) problems.push(`coldCompression must be "none" or "gzip", got ${JSON.stringify(resolved.coldCompression)}`);
  if (!['none', 'deflate'].includes(resolved.hotCompression)) problems.push(`hotCompression must be "none" or "deflate", got ${JSON.stringify(resolved.hotCompression)}`);
  checkInt(problems, 'threadTombstoneMs', resolved.threadTombstoneMs, 1);
  const r = resolved.retention as { mode?: unknown; keepLast?: unknown };
  if (!['all', 'keepLast', 'finalOnly'].includes(String(r?.mode)) || (r.mode === 'keepLast' && !(Number.isSafeInteger(r.keepLast) && (r.keepLast as number) >= 1))) {
    problems.push(`retention must be { mode: 'all' }, { mode: 'finalOnly' } or { mode: 'keepLast', keepLast: N >= 1 }, got ${JSON.stringify(resolved.retention)}`);
  }
  const cron = cronProblem(resolved.migrationCron);
  if (cron) problems.push(cron);
  if (problems.length > 0) throw new InvalidOptionsError(problems);
  return resolved;
}
