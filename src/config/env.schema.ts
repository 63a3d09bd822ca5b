import { LOG_LEVELS, type LogLevel } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/tiered-checkpoint.errors.js';
import {
  DEFAULT_OPTIONS,
  resolveOptions,
  type TieredCheckpointOptions,
} from './tiered-checkpoint.options.js';
import type { RetentionPolicy } from '../tiering/retention.js';

/**
 * The standalone service's environment: which variables exist, what each means, its default,
 * and how the raw strings become typed values.
 *
 * Only the service reads `process.env` (the library takes typed options). The checks are split
 * in two so that no rule lives twice:
 *
 * - here: what only the environment can get wrong — a missing URL, a number that is not a
 *   number, a negative, a fraction where a count is expected, a boolean or log level that is
 *   not one;
 * - {@link resolveOptions}: everything the library checks for any caller (URL syntax and
 *   protocol, identifier shapes, minimums, cron syntax, copy-before-evict). Its messages name
 *   option fields, so they are rewritten to name the variable that set the field.
 *
 * Both sets of problems are reported together in one {@link InvalidOptionsError}, so a
 * misconfigured deployment is fixed in one round.
 */

/** Raw environment as Node (or a `.env` parser) hands it over. */
export type EnvSource = Record<string, string | number | boolean | undefined | null>;

const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/** Service defaults (the library's own defaults stay in {@link DEFAULT_OPTIONS}). */
export const SERVICE_ENV_DEFAULTS = {
  PORT: 3000,
  HOST: '0.0.0.0',
  LOG_LEVEL: 'log' as LogLevel,
  LOG_FORMAT: 'json' as 'json' | 'text',
  SHUTDOWN_GRACE_MS: 5000,
} as const;

/** One documented environment variable. */
export interface EnvVariableSpec {
  /** Variable name. */
  name: string;
  /** What it controls (one line, used in `.env.example`). */
  description: string;
  /** Default in words, or `required`. */
  defaultValue: string;
}

/**
 * Every variable the service reads, in `.env.example` order. A spec checks that
 * `.env.example` documents each one and that its values pass {@link validateEnv}.
 */
export const ENV_VARIABLES: readonly EnvVariableSpec[] = [
  { name: 'REDIS_URL', description: 'Redis of the hot tier (redis:// or rediss://, credentials in the URL)', defaultValue: 'required' },
  { name: 'DATABASE_URL', description: 'PostgreSQL of the cold tier (postgresql://, sslmode honoured)', defaultValue: 'required' },
  { name: 'CHECKPOINT_SCHEMA', description: 'PostgreSQL schema holding the cold-tier tables', defaultValue: DEFAULT_OPTIONS.schema },
  { name: 'REDIS_KEY_PREFIX', description: 'prefix of every Redis key the checkpointer writes', defaultValue: DEFAULT_OPTIONS.keyPrefix },
  { name: 'HOT_WINDOW_HOURS', description: 'hours a checkpoint is served from Redis before migration evicts it (fractions allowed)', defaultValue: String(DEFAULT_OPTIONS.hotWindowMs / HOUR_MS) },
  { name: 'COPY_AFTER_HOURS', description: 'hours after which a checkpoint is copied to PostgreSQL; lower than HOT_WINDOW_HOURS makes data durable early', defaultValue: 'HOT_WINDOW_HOURS' },
  { name: 'MIGRATION_CRON', description: 'cron expression (5 or 6 fields) of the migration job', defaultValue: DEFAULT_OPTIONS.migrationCron },
  { name: 'MIGRATION_ENABLED', description: 'whether this replica runs the migration job (true/false)', defaultValue: String(DEFAULT_OPTIONS.migrationEnabled) },
  { name: 'MIGRATION_BATCH_SIZE', description: 'checkpoints per migration batch (one PostgreSQL transaction)', defaultValue: String(DEFAULT_OPTIONS.migrationBatchSize) },
  { name: 'MIGRATION_MAX_BATCHES_PER_RUN', description: 'batches one migration run processes before yielding to the next run', defaultValue: String(DEFAULT_OPTIONS.migrationMaxBatchesPerRun) },
  { name: 'MIGRATION_LEASE_MS', description: 'milliseconds of the lease that keeps replicas from migrating at once (>= 1000)', defaultValue: String(DEFAULT_OPTIONS.migrationLeaseMs) },
  { name: 'MAX_PAYLOAD_BYTES', description: 'largest serialized checkpoint or write accepted, in bytes', defaultValue: String(DEFAULT_OPTIONS.maxPayloadBytes) },
  { name: 'MAX_MIGRATION_LAG_MINUTES', description: 'readiness reports migration lag above this many minutes', defaultValue: String(DEFAULT_OPTIONS.maxMigrationLagMs / MINUTE_MS) },
  { name: 'RETENTION', description: 'what migration keeps in PostgreSQL: all, final-only (last checkpoint of each run) or keep-last:N (newest N per thread and namespace)', defaultValue: 'all' },
  { name: 'THREAD_TTL_DAYS', description: 'delete threads idle longer than this many days from both tiers (0 = never; fractions allowed)', defaultValue: '0' },
  { name: 'COLD_COMPRESSION', description: 'compress values and writes moved to PostgreSQL: none or gzip (gzip rows cannot be read by PostgresSaver)', defaultValue: 'none' },
  { name: 'HOT_COMPRESSION', description: 'compress values and writes of 512 bytes or more in Redis: none or deflate (less memory, some CPU per write and read)', defaultValue: 'none' },
  { name: 'COLD_SEARCH_INDEXES', description: 'create the PostgreSQL indexes for list across threads (no thread_id: newest first, metadata filter) at setup (true/false)', defaultValue: 'false' },
  { name: 'PORT', description: 'HTTP port of the service', defaultValue: String(SERVICE_ENV_DEFAULTS.PORT) },
  { name: 'HOST', description: 'address the HTTP server binds to', defaultValue: SERVICE_ENV_DEFAULTS.HOST },
  { name: 'LOG_LEVEL', description: `lowest log level printed (${LOG_LEVELS.join(', ')})`, defaultValue: SERVICE_ENV_DEFAULTS.LOG_LEVEL },
  { name: 'LOG_FORMAT', description: 'json (one object per line, for log shippers) or text', defaultValue: SERVICE_ENV_DEFAULTS.LOG_FORMAT },
  { name: 'SHUTDOWN_GRACE_MS', description: 'milliseconds readiness answers 503 after SIGTERM before the service stops (lets the gateway drain)', defaultValue: String(5000) },
  { name: 'ADMIN_TOKEN', description: 'bearer token of the admin API (at least 16 characters); unset turns the admin API off', defaultValue: 'unset (admin API off)' },
];

/**
 * The environment after validation, keyed by variable name. A library variable that is unset
 * stays `undefined`, so the library's default applies (defaults live in one place); service
 * variables carry their defaults.
 */
export interface ValidatedEnv {
  REDIS_URL: string;
  DATABASE_URL: string;
  CHECKPOINT_SCHEMA?: string;
  REDIS_KEY_PREFIX?: string;
  HOT_WINDOW_HOURS?: number;
  COPY_AFTER_HOURS?: number;
  MIGRATION_CRON?: string;
  MIGRATION_ENABLED?: boolean;
  MIGRATION_BATCH_SIZE?: number;
  MIGRATION_MAX_BATCHES_PER_RUN?: number;
  MIGRATION_LEASE_MS?: number;
  MAX_PAYLOAD_BYTES?: number;
  MAX_MIGRATION_LAG_MINUTES?: number;
  RETENTION?: RetentionPolicy;
  THREAD_TTL_DAYS?: number;
  COLD_COMPRESSION?: 'none' | 'gzip';
  HOT_COMPRESSION?: 'none' | 'deflate';
  COLD_SEARCH_INDEXES?: boolean;
  PORT: number;
  HOST: string;
  LOG_LEVEL: LogLevel;
  LOG_FORMAT: 'json' | 'text';
  SHUTDOWN_GRACE_MS: number;
  ADMIN_TOKEN?: string;
}

/**
 * Which variable sets which library option. `sameUnit` options are named by the variable in
 * the library's messages outright; the others (hours/minutes → ms) keep the option name, with
 * the variable added, so the numbers in the message still read right.
 */
const OPTION_SOURCES: ReadonlyArray<{ option: keyof TieredCheckpointOptions; variable: keyof ValidatedEnv; sameUnit: boolean }> = [
  { option: 'redisUrl', variable: 'REDIS_URL', sameUnit: true },
  { option: 'databaseUrl', variable: 'DATABASE_URL', sameUnit: true },
  { option: 'schema', variable: 'CHECKPOINT_SCHEMA', sameUnit: true },
  { option: 'keyPrefix', variable: 'REDIS_KEY_PREFIX', sameUnit: true },
  { option: 'hotWindowMs', variable: 'HOT_WINDOW_HOURS', sameUnit: false },
  { option: 'copyAfterMs', variable: 'COPY_AFTER_HOURS', sameUnit: false },
  { option: 'migrationCron', variable: 'MIGRATION_CRON', sameUnit: true },
  { option: 'migrationEnabled', variable: 'MIGRATION_ENABLED', sameUnit: true },
  { option: 'migrationBatchSize', variable: 'MIGRATION_BATCH_SIZE', sameUnit: true },
  { option: 'migrationMaxBatchesPerRun', variable: 'MIGRATION_MAX_BATCHES_PER_RUN', sameUnit: true },
  { option: 'migrationLeaseMs', variable: 'MIGRATION_LEASE_MS', sameUnit: true },
  { option: 'maxPayloadBytes', variable: 'MAX_PAYLOAD_BYTES', sameUnit: true },
  { option: 'maxMigrationLagMs', variable: 'MAX_MIGRATION_LAG_MINUTES', sameUnit: false },
  { option: 'retention', variable: 'RETENTION', sameUnit: true },
  { option: 'threadTtlMs', variable: 'THREAD_TTL_DAYS', sameUnit: false },
  { option: 'coldCompression', variable: 'COLD_COMPRESSION', sameUnit: true },
  { option: 'hotCompression', variable: 'HOT_COMPRESSION', sameUnit: true },
  { option: 'coldSearchIndexes', variable: 'COLD_SEARCH_INDEXES', sameUnit: true },
];

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Reads one variable as a trimmed string; blank counts as unset (as `KEY=` in a `.env` file). */
function text(env: EnvSource, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Parses the environment into typed values, collecting every problem. Does not apply the
 * library's own checks; {@link validateEnv} does both.
 */
function parseEnv(env: EnvSource): { values: ValidatedEnv; problems: string[]; reported: Set<string> } {
  const problems: string[] = [];
  const reported = new Set<string>();
  const problem = (name: string, message: string) => {
    reported.add(name);
    problems.push(message);
  };

  const required = (name: string, expected: string): string => {
    const value = text(env, name);
    if (value === undefined) problem(name, `${name} is required (${expected})`);
    return value ?? '';
  };

  /** A non-negative decimal; `whole` demands an integer. Never echoes URL-like values. */
  const number = (name: string, expected: string, whole: boolean): number | undefined => {
    const raw = text(env, name);
    if (raw === undefined) return undefined;
    if (!NUMBER.test(raw)) return void problem(name, `${name} is not a number: got "${raw}" (expected ${expected})`);
    const value = Number(raw);
    if (value < 0) return void problem(name, `${name} must not be negative: got "${raw}" (expected ${expected})`);
    if (whole && !Number.isInteger(value)) return void problem(name, `${name} must be a whole number: got "${raw}" (expected ${expected})`);
    return value;
  };

  const boolean = (name: string): boolean | undefined => {
    const raw = text(env, name);
    if (raw === undefined) return undefined;
    const lower = raw.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    return void problem(name, `${name} must be true or false: got "${raw}"`);
  };

  const port = (): number => {
    const raw = text(env, 'PORT');
    if (raw === undefined) return SERVICE_ENV_DEFAULTS.PORT;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value > 65_535) {
      problem('PORT', `PORT must be a TCP port: got "${raw}" (expected a whole number from 0 to 65535)`);
      return SERVICE_ENV_DEFAULTS.PORT;
    }
    return value;
  };

  const logLevel = (): LogLevel => {
    const raw = text(env, 'LOG_LEVEL');
    if (raw === undefined) return SERVICE_ENV_DEFAULTS.LOG_LEVEL;
    const level = LOG_LEVELS.find((l) => l === raw.toLowerCase());
    if (!level) problem('LOG_LEVEL', `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}: got "${raw}"`);
    return level ?? SERVICE_ENV_DEFAULTS.LOG_LEVEL;
  };

  const logFormat = (): 'json' | 'text' => {
    const raw = text(env, 'LOG_FORMAT');
    if (raw === undefined) return SERVICE_ENV_DEFAULTS.LOG_FORMAT;
    if (raw === 'json' || raw === 'text') return raw;
    problem('LOG_FORMAT', `LOG_FORMAT must be json or text: got "${raw}"`);
    return SERVICE_ENV_DEFAULTS.LOG_FORMAT;
  };

  /** Never echoed: it is a secret. */
  const adminToken = (): string | undefined => {
    const raw = text(env, 'ADMIN_TOKEN');
    if (raw !== undefined && raw.length < 16) problem('ADMIN_TOKEN', 'ADMIN_TOKEN must be at least 16 characters long (or unset to turn the admin API off)');
    return raw;
  };

  const retention = (): RetentionPolicy | undefined => {
    const raw = text(env, 'RETENTION');
    if (raw === undefined) return undefined;
    if (raw === 'all') return { mode: 'all' };
    if (raw === 'final-only') return { mode: 'finalOnly' };
    const m = /^keep-last:(\d+)$/.exec(raw);
    if (m && Number(m[1]) >= 1) return { mode: 'keepLast', keepLast: Number(m[1]) };
    problem('RETENTION', `RETENTION must be all, final-only or keep-last:N with N >= 1: got "${raw}"`);
    return undefined;
  };

  /** A variable with a fixed set of values (`a or b`), undefined when unset. */
  const choice = <T extends string>(name: keyof ValidatedEnv & string, allowed: readonly T[]): T | undefined => {
    const raw = text(env, name);
    if (raw === undefined) return undefined;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problem(name, `${name} must be ${allowed.join(' or ')}: got "${raw}"`);
    return undefined;
  };

  const values: ValidatedEnv = {
    REDIS_URL: required('REDIS_URL', 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379'),
    DATABASE_URL: required('DATABASE_URL', 'a postgresql:// URL, e.g. postgresql://postgres@127.0.0.1:5432/test'),
    CHECKPOINT_SCHEMA: text(env, 'CHECKPOINT_SCHEMA'),
    REDIS_KEY_PREFIX: text(env, 'REDIS_KEY_PREFIX'),
    HOT_WINDOW_HOURS: number('HOT_WINDOW_HOURS', 'hours >= 0, e.g. 24 or 0.5', false),
    COPY_AFTER_HOURS: number('COPY_AFTER_HOURS', 'hours >= 0, e.g. 0.25, at most HOT_WINDOW_HOURS', false),
    MIGRATION_CRON: text(env, 'MIGRATION_CRON'),
    MIGRATION_ENABLED: boolean('MIGRATION_ENABLED'),
    MIGRATION_BATCH_SIZE: number('MIGRATION_BATCH_SIZE', 'a whole number of checkpoints >= 1', true),
    MIGRATION_MAX_BATCHES_PER_RUN: number('MIGRATION_MAX_BATCHES_PER_RUN', 'a whole number of batches >= 1', true),
    MIGRATION_LEASE_MS: number('MIGRATION_LEASE_MS', 'whole milliseconds >= 1000', true),
    MAX_PAYLOAD_BYTES: number('MAX_PAYLOAD_BYTES', 'a whole number of bytes >= 1', true),
    MAX_MIGRATION_LAG_MINUTES: number('MAX_MIGRATION_LAG_MINUTES', 'minutes >= 0, e.g. 120', false),
    RETENTION: retention(),
    THREAD_TTL_DAYS: number('THREAD_TTL_DAYS', 'days >= 0, e.g. 30 (0 = never)', false),
    COLD_COMPRESSION: choice('COLD_COMPRESSION', ['none', 'gzip'] as const),
    HOT_COMPRESSION: choice('HOT_COMPRESSION', ['none', 'deflate'] as const),
    COLD_SEARCH_INDEXES: boolean('COLD_SEARCH_INDEXES'),
    PORT: port(),
    HOST: text(env, 'HOST') ?? SERVICE_ENV_DEFAULTS.HOST,
    LOG_LEVEL: logLevel(),
    LOG_FORMAT: logFormat(),
    SHUTDOWN_GRACE_MS: number('SHUTDOWN_GRACE_MS', 'whole milliseconds >= 0, e.g. 5000', true) ?? SERVICE_ENV_DEFAULTS.SHUTDOWN_GRACE_MS,
    ADMIN_TOKEN: adminToken(),
  };
  return { values, problems, reported };
}

/** Hours and minutes become whole milliseconds; sub-millisecond precision means nothing here. */
const toMs = (value: number | undefined, unitMs: number) => (value === undefined ? undefined : Math.round(value * unitMs));

/**
 * Maps validated variables to library options. Unset variables are left out, so the library
 * applies its defaults (in {@link resolveOptions}, the one place defaults live).
 */
export function toCheckpointerOptions(env: ValidatedEnv): TieredCheckpointOptions {
  const options: TieredCheckpointOptions = {
    redisUrl: env.REDIS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    schema: env.CHECKPOINT_SCHEMA,
    keyPrefix: env.REDIS_KEY_PREFIX,
    hotWindowMs: toMs(env.HOT_WINDOW_HOURS, HOUR_MS),
    copyAfterMs: toMs(env.COPY_AFTER_HOURS, HOUR_MS),
    migrationCron: env.MIGRATION_CRON,
    migrationEnabled: env.MIGRATION_ENABLED,
    migrationBatchSize: env.MIGRATION_BATCH_SIZE,
    migrationMaxBatchesPerRun: env.MIGRATION_MAX_BATCHES_PER_RUN,
    migrationLeaseMs: env.MIGRATION_LEASE_MS,
    maxPayloadBytes: env.MAX_PAYLOAD_BYTES,
    maxMigrationLagMs: toMs(env.MAX_MIGRATION_LAG_MINUTES, MINUTE_MS),
    retention: env.RETENTION,
    threadTtlMs: toMs(env.THREAD_TTL_DAYS, 24 * HOUR_MS),
    coldCompression: env.COLD_COMPRESSION,
    hotCompression: env.HOT_COMPRESSION,
    coldSearchIndexes: env.COLD_SEARCH_INDEXES,
  };
  for (const key of Object.keys(options) as (keyof TieredCheckpointOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

/**
 * Rewrites a problem reported by {@link resolveOptions} to name the variable(s) behind it.
 * Returns `undefined` when every option it mentions was set by a variable already reported
 * (the library then complains about a value it never received, e.g. a missing URL).
 */
function attributeLibraryProblem(problem: string, reported: Set<string>): string | undefined {
  const mentioned = OPTION_SOURCES.filter(({ option }) => new RegExp(`\\b${option}\\b`).test(problem));
  if (mentioned.length > 0 && mentioned.every(({ variable }) => reported.has(variable))) return undefined;
  const lead = mentioned.find(({ option, sameUnit }) => sameUnit && problem.startsWith(option));
  if (lead && mentioned.length === 1) return lead.variable + problem.slice(lead.option.length);
  if (mentioned.length === 0) return problem;
  return `${problem} (set by ${mentioned.map(({ variable }) => variable).join(', ')})`;
}

/**
 * Validates the service environment once, at boot: the variables' own shape and, through
 * {@link resolveOptions}, the library's rules. Throws one {@link InvalidOptionsError} listing
 * every problem. Used as `ConfigModule.forRoot({ validate })`; the returned object is what
 * `ConfigService` serves for these variables.
 */
export function validateEnv(env: EnvSource): ValidatedEnv {
  const { values, problems, reported } = parseEnv(env);
  try {
    resolveOptions(toCheckpointerOptions(values));
  } catch (error) {
    if (!(error instanceof InvalidOptionsError)) throw error;
    for (const problem of error.problems) {
      const attributed = attributeLibraryProblem(problem, reported);
      if (attributed !== undefined) problems.push(attributed);
    }
  }
  if (problems.length > 0) throw new InvalidOptionsError(problems);
  return values;
}
