import { afterAll, describe, expect, it } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AppModule } from '../../src/service/app.module.js';
import { RedisServer } from '../support/servers.js';

/**
 * Readiness and start-up warnings of the booted service against Redis servers of this suite's
 * own (the shared one must keep its configuration): one whose eviction policy can drop
 * un-migrated checkpoints, one without persistence. Both require a password, so the test can
 * check that the credentials in REDIS_URL never reach the logs.
 */

const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `tc_storecfg_e2e_${suffix}`;
const KEY_PREFIX = `tc-storecfg-e2e-${suffix}`;
const PASSWORD = 'pw-never-logged-7f3a';

/** A child redis-server with a password (stopped by `stop`), no RDB snapshots unless `args` say otherwise. */
async function startRedis(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = await RedisServer.start({ persistenceArgs: ['--save', ''], args: ['--requirepass', PASSWORD, ...args] });
  return { url: `redis://:${PASSWORD}@127.0.0.1:${server.port}`, stop: () => server.cleanup() };
}

/** Collects every log line the app prints. */
class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  private add = (level: string) => (message: unknown) => void this.lines.push({ level, message: String(message) });
  log = this.add('log');
  error = this.add('error');
  warn = this.add('warn');
  debug = this.add('debug');
  verbose = this.add('verbose');
  fatal = this.add('fatal');
  warnings(containing: string): string[] {
    return this.lines.filter((l) => l.level === 'warn' && l.message.includes(containing)).map((l) => l.message);
  }
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('service readiness and start-up warnings for the Redis configuration', () => {
  const cleanups: Array<() => Promise<void>> = [];

  async function boot(redisArgs: string[]): Promise<{ base: string; logs: CapturingLogger }> {
    const server = await startRedis(redisArgs);
    cleanups.push(server.stop);
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          env: { REDIS_URL: server.url, DATABASE_URL, CHECKPOINT_SCHEMA: SCHEMA, REDIS_KEY_PREFIX: KEY_PREFIX, MIGRATION_ENABLED: 'false', COPY_AFTER_HOURS: '1' },
        }),
      ],
    }).compile();
    const logs = new CapturingLogger();
    const app: INestApplication = moduleRef.createNestApplication({ logger: logs });
    cleanups.push(() => app.close());
    await app.listen(0, '127.0.0.1');
    return { base: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`, logs };
  }

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${SCHEMA}" cascade`);
    await client.end();
  });

  it('is 503 naming Redis and its policy when maxmemory-policy is allkeys-lru, and warns once at start-up', async () => {
    const { base, logs } = await boot(['--appendonly', 'yes', '--maxmemory-policy', 'allkeys-lru']);
    const { status, body } = await get(base, '/health/ready');
    expect(status).toBe(503);
    expect(Object.keys(body.error)).toEqual(['redis']);
    expect(body.error.redis).toMatchObject({
      status: 'down',
      maxmemoryPolicy: 'allkeys-lru',
      evictionCanDropKeys: true,
      message: expect.stringContaining('maxmemory-policy is "allkeys-lru"'),
    });
    // Everything else is fine, and says so.
    expect(body.info).toMatchObject({ postgres: { status: 'up' }, migration: { status: 'up', lagExceeded: false } });
    await get(base, '/health/ready');

    const warnings = logs.warnings('maxmemory-policy is "allkeys-lru"');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Redis redis:\/\/127\.0\.0\.1:\d+: maxmemory-policy is "allkeys-lru"/);
    expect(logs.warnings('persistence is off')).toEqual([]);
    expect(logs.lines.some((l) => l.message.includes(PASSWORD))).toBe(false);
  });

  it('is ready with a warning when Redis has no persistence, and warns once at start-up', async () => {
    const { base, logs } = await boot(['--appendonly', 'no']);
    const { status, body } = await get(base, '/health/ready');
    expect(status).toBe(200);
    expect(body.details.redis).toMatchObject({
      status: 'up',
      maxmemoryPolicy: 'noeviction',
      evictionCanDropKeys: false,
      persistence: { rdb: false, aof: false },
      warning: expect.stringContaining('persistence is off'),
    });
    await get(base, '/health/ready');

    const warnings = logs.warnings('persistence is off');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Redis redis:\/\/127\.0\.0\.1:\d+: persistence is off .*COPY_AFTER_HOURS = 1 h/);
    expect(logs.warnings('maxmemory-policy')).toEqual([]);
    expect(logs.lines.some((l) => l.message.includes(PASSWORD))).toBe(false);
  });

  it('logs no warning for a noeviction Redis with AOF on', async () => {
    const { base, logs } = await boot(['--appendonly', 'yes']);
    const { status, body } = await get(base, '/health/ready');
    expect(status).toBe(200);
    expect(body.details.redis).not.toHaveProperty('warning');
    expect(logs.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });
});
