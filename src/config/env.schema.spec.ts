import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { getDefaultParser } from '@nestjs/config';
import { InvalidOptionsError } from '../errors/tiered-checkpoint.errors.js';
import { ENV_VARIABLES, toCheckpointerOptions, validateEnv, type EnvSource } from './env.schema.js';

const GOOD: EnvSource = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
};

/** The problems `validateEnv` reports for `env`, or [] when it accepts it. */
function problemsOf(env: EnvSource): string[] {
  try {
    validateEnv(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as InvalidOptionsError).problems;
  }
}

describe('validateEnv', () => {
  it('accepts the two URLs alone and leaves every library option to its default', () => {
    const env = validateEnv(GOOD);
    expect(env).toMatchObject({ PORT: 3000, HOST: '0.0.0.0', LOG_LEVEL: 'log' });
    expect(toCheckpointerOptions(env)).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
    });
  });

  it('maps every variable, fractional hours and minutes to whole milliseconds', () => {
    const env = validateEnv({
      ...GOOD,
      CHECKPOINT_SCHEMA: 'checkpoints',
      REDIS_KEY_PREFIX: 'svc.a',
      HOT_WINDOW_HOURS: '0.5',
      COPY_AFTER_HOURS: '0.25',
      MIGRATION_CRON: '*/5 * * * *',
      MIGRATION_ENABLED: 'FALSE',
      MIGRATION_BATCH_SIZE: '100',
      MIGRATION_MAX_BATCHES_PER_RUN: '7',
      MIGRATION_LEASE_MS: '30000',
      MAX_PAYLOAD_BYTES: '1048576',
      MAX_MIGRATION_LAG_MINUTES: '1.5',
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    expect(toCheckpointerOptions(env)).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
      schema: 'checkpoints',
      keyPrefix: 'svc.a',
      hotWindowMs: 1_800_000,
      copyAfterMs: 900_000,
      migrationCron: '*/5 * * * *',
      migrationEnabled: false,
      migrationBatchSize: 100,
      migrationMaxBatchesPerRun: 7,
      migrationLeaseMs: 30_000,
      maxPayloadBytes: 1_048_576,
      maxMigrationLagMs: 90_000,
    });
    expect(env).toMatchObject({ PORT: 8080, HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  });

  it('treats blank values as unset', () => {
    const env = validateEnv({ ...GOOD, COPY_AFTER_HOURS: '', PORT: '  ', MIGRATION_ENABLED: '' });
    expect(env.PORT).toBe(3000);
    expect(toCheckpointerOptions(env)).not.toHaveProperty('copyAfterMs');
    expect(toCheckpointerOptions(env)).not.toHaveProperty('migrationEnabled');
  });

  it('lists every problem of a bad environment at once, each naming its variable and what is expected', () => {
    expect(
      problemsOf({
        REDIS_URL: 'http://127.0.0.1:6379',
        DATABASE_URL: 'not a url',
        REDIS_KEY_PREFIX: 'bad prefix',
        HOT_WINDOW_HOURS: 'abc',
        MIGRATION_CRON: 'hourly',
        MIGRATION_ENABLED: 'maybe',
        MIGRATION_BATCH_SIZE: '-5',
        MIGRATION_LEASE_MS: '500',
        MAX_PAYLOAD_BYTES: '1.5',
        MAX_MIGRATION_LAG_MINUTES: '-1',
        PORT: '70000',
        LOG_LEVEL: 'loud',
      }),
    ).toEqual([
      'HOT_WINDOW_HOURS is not a number: got "abc" (expected hours >= 0, e.g. 24 or 0.5)',
      'MIGRATION_ENABLED must be true or false: got "maybe"',
      'MIGRATION_BATCH_SIZE must not be negative: got "-5" (expected a whole number of checkpoints >= 1)',
      'MAX_PAYLOAD_BYTES must be a whole number: got "1.5" (expected a whole number of bytes >= 1)',
      'MAX_MIGRATION_LAG_MINUTES must not be negative: got "-1" (expected minutes >= 0, e.g. 120)',
      'PORT must be a TCP port: got "70000" (expected a whole number from 0 to 65535)',
      'LOG_LEVEL must be one of verbose, debug, log, warn, error, fatal: got "loud"',
      'REDIS_URL must use redis: or rediss:, got "http:"',
      'DATABASE_URL is not a valid URL (expected postgresql://... or postgres://...)',
      'REDIS_KEY_PREFIX "bad prefix" must be 1-64 characters of A-Z a-z 0-9 _ . -',
      'MIGRATION_LEASE_MS must be an integer >= 1000, got 500',
      'MIGRATION_CRON "hourly" is not a cron expression (5 or 6 fields)',
    ]);
  });

  it('reports missing URLs once, in terms of the variables', () => {
    expect(problemsOf({})).toEqual([
      'REDIS_URL is required (a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379)',
      'DATABASE_URL is required (a postgresql:// URL, e.g. postgresql://postgres@127.0.0.1:5432/test)',
    ]);
  });

  it('names the variables behind a library rule that spans two options', () => {
    expect(problemsOf({ ...GOOD, HOT_WINDOW_HOURS: '1', COPY_AFTER_HOURS: '2', MIGRATION_BATCH_SIZE: '0' })).toEqual([
      'copyAfterMs (7200000) must not exceed hotWindowMs (3600000): data must be copied before it is evicted (set by HOT_WINDOW_HOURS, COPY_AFTER_HOURS)',
      'MIGRATION_BATCH_SIZE must be an integer >= 1, got 0',
    ]);
  });

  it('rejects number syntax JavaScript would accept', () => {
    expect(problemsOf({ ...GOOD, MIGRATION_BATCH_SIZE: '0x10', MIGRATION_LEASE_MS: '1e', HOT_WINDOW_HOURS: 'Infinity' })).toEqual([
      'HOT_WINDOW_HOURS is not a number: got "Infinity" (expected hours >= 0, e.g. 24 or 0.5)',
      'MIGRATION_BATCH_SIZE is not a number: got "0x10" (expected a whole number of checkpoints >= 1)',
      'MIGRATION_LEASE_MS is not a number: got "1e" (expected whole milliseconds >= 1000)',
    ]);
  });

  it('never echoes a URL, which may carry credentials', () => {
    const problems = problemsOf({
      REDIS_URL: 'http://user:hunter2@redis.internal:6379',
      DATABASE_URL: 'postgresql://app:hunter2@db.internal:99999/app',
    });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('throws a message that lists every problem', () => {
    expect(() => validateEnv({ ...GOOD, PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      'Invalid tiered checkpointer configuration (2 problems):\n' +
        '  - PORT must be a TCP port: got "x" (expected a whole number from 0 to 65535)\n' +
        '  - LOG_LEVEL must be one of verbose, debug, log, warn, error, fatal: got "y"',
    );
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const parsed = getDefaultParser()(Buffer.from(text)) as Record<string, string>;

  it('documents every variable, each with a comment line, and nothing else', () => {
    expect(Object.keys(parsed)).toEqual(ENV_VARIABLES.map((v) => v.name));
    const lines = text.split('\n');
    for (const { name, defaultValue } of ENV_VARIABLES) {
      const at = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect(lines[at - 1]).toMatch(/^# /);
      expect(lines[at - 1]).toContain(defaultValue === 'required' ? 'Required' : `Default: ${defaultValue}`);
    }
  });

  it('holds a valid local configuration without credentials', () => {
    expect(() => validateEnv(parsed)).not.toThrow();
    expect(parsed.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(parsed.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/test');
    expect(new URL(parsed.DATABASE_URL).password).toBe('');
    expect(new URL(parsed.REDIS_URL).password).toBe('');
  });
});

describe('cost-lever variables', () => {
  it('maps RETENTION, THREAD_TTL_DAYS, COLD_COMPRESSION and HOT_COMPRESSION to library options', () => {
    const options = toCheckpointerOptions(validateEnv({ ...GOOD, RETENTION: 'keep-last:5', THREAD_TTL_DAYS: '1.5', COLD_COMPRESSION: 'gzip', HOT_COMPRESSION: 'deflate' }));
    expect(options).toMatchObject({ retention: { mode: 'keepLast', keepLast: 5 }, threadTtlMs: 129_600_000, coldCompression: 'gzip', hotCompression: 'deflate' });
    expect(toCheckpointerOptions(validateEnv({ ...GOOD, RETENTION: 'final-only' })).retention).toEqual({ mode: 'finalOnly' });
  });

  it('maps COLD_SEARCH_INDEXES to coldSearchIndexes, unset leaving the library default (off)', () => {
    expect(toCheckpointerOptions(validateEnv({ ...GOOD, COLD_SEARCH_INDEXES: 'true' })).coldSearchIndexes).toBe(true);
    expect(toCheckpointerOptions(validateEnv({ ...GOOD, COLD_SEARCH_INDEXES: 'off' })).coldSearchIndexes).toBe(false);
    expect('coldSearchIndexes' in toCheckpointerOptions(validateEnv(GOOD))).toBe(false);
    expect(problemsOf({ ...GOOD, COLD_SEARCH_INDEXES: 'gin' })).toEqual(['COLD_SEARCH_INDEXES must be true or false: got "gin"']);
  });

  it('names each bad lever variable, all at once', () => {
    expect(problemsOf({ ...GOOD, RETENTION: 'keep-last:0', THREAD_TTL_DAYS: '-1', COLD_COMPRESSION: 'zstd', HOT_COMPRESSION: 'gzip', ADMIN_TOKEN: 'short' })).toEqual([
      'RETENTION must be all, final-only or keep-last:N with N >= 1: got "keep-last:0"',
      'THREAD_TTL_DAYS must not be negative: got "-1" (expected days >= 0, e.g. 30 (0 = never))',
      'COLD_COMPRESSION must be none or gzip: got "zstd"',
      'HOT_COMPRESSION must be none or deflate: got "gzip"',
      'ADMIN_TOKEN must be at least 16 characters long (or unset to turn the admin API off)',
    ]);
  });
});
