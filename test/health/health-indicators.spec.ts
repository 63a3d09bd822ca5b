import { afterAll, describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import pg from 'pg';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { PostgresHealthIndicator, type PostgresHealthTarget } from '../../src/health/postgres.health.js';
import { RedisHealthIndicator, type RedisHealthTarget } from '../../src/health/redis.health.js';
import { RedisServer, freePort } from '../support/servers.js';
import { dropRedisPrefixes } from '../support/test-stores.js';

/**
 * The indicators against real servers: the CI Redis (no persistence), Redis servers of our own
 * with an evicting policy and with AOF on, the CI PostgreSQL, and ports nothing listens on.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';
const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/** A Redis server of this suite's own, so its configuration can differ from the shared one. */
async function startRedis(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = await RedisServer.start({ persistenceArgs: ['--save', ''], args });
  return { url: server.url, stop: () => server.cleanup() };
}

/** A minimal PostgreSQL target over `pg` (the structural interface the indicator needs). */
function pgTarget(connectionString: string): PostgresHealthTarget & { end(): Promise<void> } {
  const pool = new pg.Pool({ connectionString, max: 1, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  return { ping: async () => void (await pool.query('select 1')), end: () => pool.end() };
}

describe('RedisHealthIndicator', () => {
  const indicator = new RedisHealthIndicator(new HealthIndicatorService());
  const stores: HotTierStore[] = [];
  const servers: Array<{ stop: () => Promise<void> }> = [];

  async function store(url: string): Promise<HotTierStore> {
    const s = new HotTierStore({ redisUrl: url, keyPrefix: `tc-health-${process.pid}` });
    stores.push(s);
    await s.connect();
    return s;
  }

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await dropRedisPrefixes(`tc-health-${process.pid}`);
  });

  it('is up with latency and configuration, and warns when persistence is off', async () => {
    const result = await indicator.isHealthy('redis', await store(REDIS_URL));
    expect(result.redis).toMatchObject({
      status: 'up',
      maxmemoryPolicy: 'noeviction',
      evictionCanDropKeys: false,
      persistence: { rdb: false, aof: false },
      warning: expect.stringContaining('persistence is off'),
    });
    expect(typeof result.redis.latencyMs).toBe('number');
  });

  it('is up without warning when AOF is on', async () => {
    const server = await startRedis(['--appendonly', 'yes']);
    servers.push(server);
    const result = await indicator.isHealthy('redis', await store(server.url));
    expect(result.redis).toMatchObject({ status: 'up', maxmemoryPolicy: 'noeviction', persistence: { rdb: false, aof: true } });
    expect(result.redis).not.toHaveProperty('warning');
  });

  it('is down when the eviction policy can drop un-migrated checkpoints', async () => {
    const server = await startRedis(['--appendonly', 'yes', '--maxmemory-policy', 'allkeys-lru']);
    servers.push(server);
    const result = await indicator.isHealthy('redis', await store(server.url));
    expect(result.redis).toMatchObject({
      status: 'down',
      maxmemoryPolicy: 'allkeys-lru',
      evictionCanDropKeys: true,
      message: expect.stringContaining('maxmemory-policy is "allkeys-lru"'),
    });
    expect(typeof result.redis.latencyMs).toBe('number');
  });

  it('is down, without hanging, when nothing listens', async () => {
    const client = new Redis({ port: await freePort(), host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    const target: RedisHealthTarget = { ping: async () => void (await client.connect().then(() => client.ping())) };
    const result = await indicator.isHealthy('redis', target);
    expect(result.redis).toMatchObject({ status: 'down', message: expect.any(String) });
    expect(result.redis.responseTime).toBeLessThan(1000);
    client.disconnect();
  });

  it('is down after the timeout (default 1000 ms) when Redis does not answer', async () => {
    const hanging: RedisHealthTarget = { ping: () => new Promise<void>(() => undefined) };
    const started = Date.now();
    const result = await indicator.isHealthy('redis', hanging);
    expect(result.redis).toMatchObject({ status: 'down', message: 'timeout of 1000ms exceeded' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect((await indicator.isHealthy('redis', hanging, { timeoutMs: 20 })).redis).toMatchObject({ status: 'down', message: 'timeout of 20ms exceeded' });
  });

  it('stays up with a warning when the configuration cannot be read', async () => {
    const live = await store(REDIS_URL);
    const target: RedisHealthTarget = { ping: () => live.ping(), inspectServer: () => Promise.reject(new Error('ERR unknown command CONFIG')) };
    const result = await indicator.isHealthy('redis', target);
    expect(result.redis).toMatchObject({ status: 'up', warning: expect.stringContaining('ERR unknown command CONFIG') });
  });

  it('warns when the eviction policy is unknown', async () => {
    const target: RedisHealthTarget = {
      ping: async () => undefined,
      inspectServer: async () => ({ maxmemoryPolicy: 'unknown', evictionCanDropKeys: false, persistence: { rdb: true, aof: true } }),
    };
    const result = await indicator.isHealthy('redis', target);
    expect(result.redis).toMatchObject({ status: 'up', warning: expect.stringContaining('maxmemory-policy could not be read') });
  });

  it('reports instead of throwing on a bad option', async () => {
    const result = await indicator.isHealthy('redis', { ping: async () => undefined }, { timeoutMs: -1 });
    expect(result.redis.status).toBe('down');
  });
});

describe('PostgresHealthIndicator', () => {
  const indicator = new PostgresHealthIndicator(new HealthIndicatorService());
  const targets: Array<{ end(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.end()));
  });

  it('is up with latency when PostgreSQL answers', async () => {
    const target = pgTarget(DATABASE_URL);
    targets.push(target);
    const result = await indicator.isHealthy('postgres', target);
    expect(result.postgres).toMatchObject({ status: 'up', latencyMs: expect.any(Number) });
  });

  it('is down when nothing listens', async () => {
    const target = pgTarget('postgresql://postgres@127.0.0.1:1/test');
    targets.push(target);
    const result = await indicator.isHealthy('postgres', target);
    expect(result.postgres).toMatchObject({ status: 'down', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('is down after the timeout', async () => {
    const result = await indicator.isHealthy('postgres', { ping: () => new Promise<void>(() => undefined) }, { timeoutMs: 30 });
    expect(result.postgres).toMatchObject({ status: 'down', message: 'timeout of 30ms exceeded' });
  });
});
