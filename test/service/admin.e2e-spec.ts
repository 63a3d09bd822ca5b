import type { INestApplication } from '@nestjs/common';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/service/app.module.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, REDIS_URL, TestStores, uniqueName } from '../support/test-stores.js';

const TOKEN = 'admin-token-for-tests-0123';

async function boot(env: Record<string, string>): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot({ env })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

describe('admin API', () => {
  const schema = uniqueName('t_admin').toLowerCase();
  const keyPrefix = uniqueName('tcadmin');
  const env = { REDIS_URL, DATABASE_URL, CHECKPOINT_SCHEMA: schema, REDIS_KEY_PREFIX: keyPrefix, SHUTDOWN_GRACE_MS: '0', MIGRATION_ENABLED: 'false' };
  let cleanup: TestStores;

  beforeAll(async () => {
    cleanup = await TestStores.create('admin_cleanup');
    cleanup.prefixes.push(keyPrefix);
  });
  afterAll(async () => {
    await cleanup.cleanup();
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('does not exist without ADMIN_TOKEN', async () => {
    const { app, base } = await boot(env);
    expect((await fetch(`${base}/admin/stats`)).status).toBe(404);
    expect((await fetch(`${base}/admin/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    await app.close();
  });

  it('estimates cost on a service that serves no writes itself: rate from what Redis holds, else the scenario', async () => {
    const ownEnv = { ...env, REDIS_KEY_PREFIX: `${keyPrefix}w`, ADMIN_TOKEN: TOKEN };
    cleanup.prefixes.push(ownEnv.REDIS_KEY_PREFIX);
    const { app, base } = await boot(ownEnv);
    const auth = { authorization: `Bearer ${TOKEN}` };
    type Cost = { rateSource: string; live: { rates: { averageCheckpointsPerSec: number } }; monthlyUsd: { tiered: number } };
    const empty = await fetch(`${base}/admin/cost?scenario=low-rate`, { headers: auth });
    expect(empty.status).toBe(200);
    const first = (await empty.json()) as Cost;
    expect(first.rateSource).toMatch(/^scenario low-rate/);
    expect(first.monthlyUsd.tiered).toBeGreaterThan(0);
    // Another process writes (the service only migrates): 6 checkpoints in a 24 h window.
    const writer = TieredCheckpointSaver.fromConfig({ redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, keyPrefix: ownEnv.REDIS_KEY_PREFIX, schema });
    await writer.setup();
    for (let i = 0; i < 6; i += 1) {
      const v = writer.getNextVersion(undefined);
      await writer.put({ configurable: { thread_id: `w${i}`, checkpoint_ns: '' } }, { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { i }, channel_versions: { i: v } }, { source: 'loop', step: i, parents: {} }, { i: v });
    }
    const second = (await (await fetch(`${base}/admin/cost?scenario=low-rate`, { headers: auth })).json()) as Cost;
    expect(second.rateSource).toMatch(/checkpoints in Redis over the 24 h hot window/);
    expect(second.live.rates.averageCheckpointsPerSec).toBeCloseTo(6 / 86_400, 10);
    for (let i = 0; i < 6; i += 1) await writer.deleteThread(`w${i}`);
    await writer.close();
    await app.close();
  });

  it('inspects where a thread lives, runs migrations and deletes threads, behind the token', async () => {
    const { app, base } = await boot({ ...env, ADMIN_TOKEN: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const saver = app.get(TieredCheckpointSaver);
    let config = { configurable: { thread_id: 'ops/thread:1', checkpoint_ns: '' } };
    for (let i = 0; i < 3; i += 1) {
      const v = saver.getNextVersion(undefined);
      config = (await saver.put(config, { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { i }, channel_versions: { i: v } }, { source: 'loop', step: i, parents: {} }, { i: v })) as typeof config;
    }
    const path = `${base}/admin/threads/${encodeURIComponent('ops/thread:1')}`;
    const hot = (await (await fetch(path, { headers: auth })).json()) as { counts: Record<string, number>; checkpoints: Array<{ tier: string }> };
    expect(hot.counts).toEqual({ hot: 3, cold: 0, both: 0 });

    await saver.migrate({ now: Date.now() + 48 * 3600_000 });
    const cold = (await (await fetch(path, { headers: auth })).json()) as { counts: Record<string, number> };
    expect(cold.counts).toEqual({ hot: 0, cold: 3, both: 0 });

    // The cost model over live figures: what the tiers hold now and the write rate seen.
    const cost = (await (await fetch(`${base}/admin/cost`, { headers: auth })).json()) as {
      live: { redis: { checkpoints: number; bytes: number }; postgres: { checkpoints: number; totalBytes: number }; rates: { averageCheckpointsPerSec: number; peakCheckpointsPerSec: number } };
      monthlyUsd: { postgresOnly: number; tiered: number };
      replacedFigures: Array<{ figure: string }>;
    };
    expect(cost.live.postgres.checkpoints).toBe(3);
    expect(cost.live.postgres.totalBytes).toBeGreaterThan(0);
    expect(cost.live.redis.checkpoints).toBe(0);
    expect(cost.live.rates.peakCheckpointsPerSec).toBeGreaterThanOrEqual(1);
    expect(cost.live.rates.averageCheckpointsPerSec).toBeGreaterThan(0);
    expect(cost.monthlyUsd.postgresOnly).toBeGreaterThan(0);
    expect(cost.monthlyUsd.tiered).toBeGreaterThan(0);
    expect(cost.replacedFigures.map((f) => f.figure)).toContain('migration.diskBytesPerCheckpoint');
    const unknown = await fetch(`${base}/admin/cost?scenario=nope`, { headers: auth });
    expect({ status: unknown.status, body: await unknown.json() }).toMatchObject({ status: 400 });

    const status = (await (await fetch(`${base}/admin/migration`, { headers: auth })).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ running: false, consecutiveFailures: 0 });
    const stats = (await (await fetch(`${base}/admin/stats`, { headers: auth })).json()) as { cold: { checkpoints: number } };
    expect(stats.cold.checkpoints).toBe(3);

    expect((await fetch(path, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(path, { method: 'DELETE', headers: auth })).status).toBe(204);
    const gone = (await (await fetch(path, { headers: auth })).json()) as { counts: Record<string, number> };
    expect(gone.counts).toEqual({ hot: 0, cold: 0, both: 0 });
    await app.close();
  });
});
