import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { InvalidOptionsError } from '../../src/errors/tiered-checkpoint.errors.js';
import { HealthModule, POSTGRES_HEALTH_TARGET, REDIS_HEALTH_TARGET } from '../../src/health/health.module.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { AppModule } from '../../src/service/app.module.js';
import { HealthController } from '../../src/service/health.controller.js';
import { freePort } from '../support/servers.js';
import { dropRedisPrefixes } from '../support/test-stores.js';

/**
 * The service's probes over HTTP (Node's fetch against `app.listen(0)`), with real Redis and
 * PostgreSQL. The app refuses to boot when a store is unreachable at start-up (invariant 6),
 * so the outage cases mount the same controller over real stores, one of them pointing at a
 * port nothing listens on.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';
const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `tc_health_e2e_${suffix}`;
const KEY_PREFIX = `tc-health-e2e-${suffix}`;

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('service health probes, both stores up (AppModule)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          env: { REDIS_URL, DATABASE_URL, CHECKPOINT_SCHEMA: SCHEMA, REDIS_KEY_PREFIX: KEY_PREFIX, MIGRATION_ENABLED: 'false', LOG_LEVEL: 'error' },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'fatal'] });
    app.enableShutdownHooks();
    base = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
    await dropRedisPrefixes(KEY_PREFIX);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${SCHEMA}" cascade`);
    await client.end();
  });

  it('GET /health/live is 200', async () => {
    expect(await get(base, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('GET /health/ready is 200 with both stores up and the Redis configuration in the details', async () => {
    const { status, body } = await get(base, '/health/ready');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      error: {},
      details: {
        redis: { status: 'up', latencyMs: expect.any(Number), maxmemoryPolicy: 'noeviction', evictionCanDropKeys: false },
        postgres: { status: 'up', latencyMs: expect.any(Number) },
      },
    });
    // The CI Redis runs without persistence: still ready, but said so.
    expect(body.details.redis.warning).toContain('persistence is off');
  });
});

describe('service health probes, one store down', () => {
  const opened: Array<{ close(): Promise<void> }> = [];

  async function boot(redisUrl: string, databaseUrl: string): Promise<{ app: INestApplication; base: string }> {
    const hot = new HotTierStore({ redisUrl, keyPrefix: KEY_PREFIX });
    const cold = new ColdTierStore({ databaseUrl, schema: SCHEMA });
    opened.push(hot, cold);
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false }), HealthModule],
      controllers: [HealthController],
      providers: [
        { provide: REDIS_HEALTH_TARGET, useValue: hot },
        { provide: POSTGRES_HEALTH_TARGET, useValue: cold },
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    opened.push(app);
    // Connect what is reachable, as the tier modules do at boot; the dead one stays unconnected.
    await hot.connect().catch(() => undefined);
    return { app, base: await listen(app) };
  }

  afterAll(async () => {
    for (const resource of opened.reverse()) await resource.close().catch(() => undefined);
    await dropRedisPrefixes(KEY_PREFIX);
  });

  it('is 503 naming PostgreSQL when nothing listens on its port, while liveness stays 200', async () => {
    const { base } = await boot(REDIS_URL, 'postgresql://postgres@127.0.0.1:1/test');
    expect((await get(base, '/health/live')).status).toBe(200);
    const started = Date.now();
    const { status, body } = await get(base, '/health/ready');
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'error',
      info: { redis: { status: 'up' } },
      error: { postgres: { status: 'down', message: expect.any(String) } },
    });
    expect(Object.keys(body.error)).toEqual(['postgres']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('is 503 naming Redis when nothing listens on its port, without hanging on retries', async () => {
    const { base } = await boot(`redis://127.0.0.1:${await freePort()}`, DATABASE_URL);
    expect((await get(base, '/health/live')).status).toBe(200);
    const started = Date.now();
    const { status, body } = await get(base, '/health/ready');
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'error',
      info: { postgres: { status: 'up' } },
      error: { redis: { status: 'down', message: expect.any(String) } },
    });
    expect(Object.keys(body.error)).toEqual(['redis']);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('service boot', () => {
  it('refuses an invalid environment, listing every problem', async () => {
    const boot = Test.createTestingModule({
      imports: [AppModule.forRoot({ env: { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'mysql://db/x', HOT_WINDOW_HOURS: 'soon' } })],
    }).compile();
    await expect(boot).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(boot).rejects.toMatchObject({
      problems: [
        'HOT_WINDOW_HOURS is not a number: got "soon" (expected hours >= 0, e.g. 24 or 0.5)',
        'DATABASE_URL must use postgresql: or postgres:, got "mysql:"',
      ],
    });
  });
});
