import { afterAll, describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { RedisHealthIndicator, type RedisHealthTarget } from '../../src/health/redis.health.js';
import { REDIS_URL, uniqueName } from '../support/test-stores.js';

/**
 * Readiness reports a Redis data loss (the hot tier's marker vanished: restart without
 * persistence, empty failover, flush) as `up` with `dataLoss` and a warning: the service still
 * serves correctly from what is left, and the loss is reported, not hidden.
 */

const indicator = new RedisHealthIndicator(new HealthIndicatorService());
const redis = new Redis(REDIS_URL);
const stores: HotTierStore[] = [];
const prefixes: string[] = [];

async function store(): Promise<HotTierStore> {
  const keyPrefix = uniqueName('tc-loss');
  prefixes.push(keyPrefix);
  const s = new HotTierStore({ redis, keyPrefix });
  stores.push(s);
  await s.connect();
  return s;
}

afterAll(async () => {
  for (const prefix of prefixes) {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 })) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
  await redis.quit();
});

describe('RedisHealthIndicator and the data-loss marker', () => {
  it('reports no dataLoss while the marker is intact', async () => {
    const result = await indicator.isHealthy('redis', await store());
    expect(result.redis.status).toBe('up');
    expect(result.redis).not.toHaveProperty('dataLoss');
    expect(String(result.redis.warning)).not.toContain('lost its data');
  });

  it('stays up with dataLoss and a warning once the marker vanished, and keeps reporting it', async () => {
    const s = await store();
    const before = Date.now();
    await redis.del(s.keys.dataMarker);
    const result = await indicator.isHealthy('redis', s);
    expect(result.redis).toMatchObject({ status: 'up', maxmemoryPolicy: 'noeviction', dataLoss: { detectedAt: expect.any(String) } });
    const detectedAt = Date.parse(result.redis.dataLoss.detectedAt);
    expect(detectedAt).toBeGreaterThanOrEqual(before);
    expect(result.redis.warning).toContain('Redis lost its data');
    // The CI Redis has no persistence: both warnings are there.
    expect(result.redis.warning).toContain('persistence is off');

    const again = await indicator.isHealthy('redis', s);
    expect(again.redis).toMatchObject({ status: 'up', dataLoss: { detectedAt: result.redis.dataLoss.detectedAt } });
  });

  it('reports a loss for targets without inspectServer too, and a failed check as a warning', async () => {
    const lost: RedisHealthTarget = { ping: async () => undefined, checkDataLoss: async () => ({ lost: true, detectedAt: Date.UTC(2026, 0, 1) }) };
    expect((await indicator.isHealthy('redis', lost)).redis).toMatchObject({
      status: 'up',
      dataLoss: { detectedAt: '2026-01-01T00:00:00.000Z' },
      warning: expect.stringContaining('detected 2026-01-01T00:00:00.000Z'),
    });
    const failing: RedisHealthTarget = { ping: async () => undefined, checkDataLoss: () => Promise.reject(new Error('NOPERM')) };
    const result = await indicator.isHealthy('redis', failing);
    expect(result.redis).toMatchObject({ status: 'up', warning: expect.stringContaining('could not check whether Redis lost data (NOPERM)') });
    expect(result.redis).not.toHaveProperty('dataLoss');
  });

  it('is still down for an evicting policy, with the loss in the details', async () => {
    const target: RedisHealthTarget = {
      ping: async () => undefined,
      checkDataLoss: async () => ({ lost: true, detectedAt: 0 }),
      inspectServer: async () => ({ maxmemoryPolicy: 'allkeys-lru', evictionCanDropKeys: true, persistence: { rdb: true, aof: true } }),
    };
    expect((await indicator.isHealthy('redis', target)).redis).toMatchObject({
      status: 'down',
      dataLoss: { detectedAt: '1970-01-01T00:00:00.000Z' },
      message: expect.stringContaining('allkeys-lru'),
    });
  });
});
