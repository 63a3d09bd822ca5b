/**
 * Store outages, on servers of our own (spare ports; the shared 6379/5432 are never touched):
 * PostgreSQL down for days, PostgreSQL killed -9 inside a migration transaction, Redis killed
 * and back, Redis restarted empty, and what `inspectServer()` reports about eviction and
 * persistence.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { ManualClock } from '../../src/core/clock.js';
import { StoreUnavailableError } from '../../src/errors/tiered-checkpoint.errors.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { FIRST_RETRY_DELAY_MS, MigrationService } from '../../src/tiering/migration.job.js';
import type { MigrationReport } from '../../src/tiering/migration.runner.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import type { TieredCheckpointOptions } from '../../src/config/tiered-checkpoint.options.js';
import { uniqueName } from '../support/test-stores.js';
import {
  PostgresServer,
  RedisServer,
  Workload,
  collect,
  cpConfig,
  expectAllReadable,
  expectColdRows,
  expectRedisDrained,
  expectTuple,
  note,
  redisKeys,
  redisSnapshot,
  threadConfig,
  waitFor,
} from '../support/servers.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NAMESPACES = ['', 'sub:a'];

let pgServer: PostgresServer;
/** No persistence (`--save "" --appendonly no`): a restart comes back empty. */
let redisPlain: RedisServer;
/** AOF with fsync on every write: a kill -9 loses nothing acknowledged. */
let redisAof: RedisServer;
let admin: Redis[] = [];
const open: TieredCheckpointSaver[] = [];

beforeAll(async () => {
  [pgServer, redisPlain, redisAof] = await Promise.all([
    PostgresServer.start(),
    RedisServer.start(),
    RedisServer.start({ persistenceArgs: ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  for (const r of admin) r.disconnect();
  await Promise.all([pgServer?.cleanup(), redisPlain?.cleanup(), redisAof?.cleanup()]);
}, 60_000);

/** An admin client on one of our servers (for counting keys and TTLs). */
function adminClient(server: RedisServer): Redis {
  const client = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: false });
  client.on('error', () => undefined);
  admin.push(client);
  return client;
}

async function newSaver(redis: RedisServer, extra: Partial<TieredCheckpointOptions> & { clock: ManualClock }): Promise<TieredCheckpointSaver> {
  const saver = TieredCheckpointSaver.fromConfig({
    redisUrl: redis.url,
    databaseUrl: pgServer.url(),
    schema: uniqueName('outage').toLowerCase(),
    keyPrefix: uniqueName('tco'),
    hotWindowMs: DAY,
    ...extra,
  });
  open.push(saver);
  await saver.setup();
  return saver;
}

/** Awaits a promise that must fail with StoreUnavailableError(store); returns how long it took. */
async function expectUnavailable(store: 'redis' | 'postgres', op: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let caught: unknown;
  try {
    await op();
  } catch (error) {
    caught = error;
  }
  const ms = performance.now() - started;
  expect(caught).toBeInstanceOf(StoreUnavailableError);
  expect((caught as StoreUnavailableError).store).toBe(store);
  expect((caught as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
  return ms;
}

function quietService(saver: TieredCheckpointSaver): { service: MigrationService; errors: string[] } {
  const service = new MigrationService(saver, saver.options);
  const logger = (service as unknown as { logger: { error: (m: string) => void; log: (m: string) => void } }).logger;
  const errors: string[] = [];
  jest.spyOn(logger, 'error').mockImplementation((m: string) => void errors.push(String(m)));
  jest.spyOn(logger, 'log').mockImplementation(() => undefined);
  return { service, errors };
}

describe('PostgreSQL down for days', () => {
  it('fails typed, removes and expires nothing in Redis, retries with growing delay, then drains in bounded batches (seed 4001)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1));
    const batchSize = 4;
    const maxBatches = 2;
    const saver = await newSaver(redisPlain, { clock, migrationBatchSize: batchSize, migrationMaxBatchesPerRun: maxBatches });
    const redis = adminClient(redisPlain);
    const prefix = saver.options.keyPrefix;
    const threads = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    const w = new Workload(saver, clock, 4001);
    const history = await w.grow(threads, NAMESPACES, 2);
    clock.advance(DAY + HOUR);
    await saver.migrate();
    await w.lateWrites(history, 4);
    await w.grow(threads, NAMESPACES, 2, 0.5);
    // Reading every checkpoint once also brings the values the resumed threads still reference
    // back into Redis (read repair); until then a hot read of such a thread needs PostgreSQL.
    await expectAllReadable(saver, w.model, 'before the outage:', { quick: true });
    const { service, errors } = quietService(saver);

    await pgServer.stop('fast');
    const failMs: number[] = [];
    try {
      for (let day = 1; day <= 5; day += 1) {
        clock.advance(DAY);
        // Writes keep landing in Redis during the outage, and hot reads keep working.
        const c = await w.step(w.pick(threads), w.pick(NAMESPACES));
        await w.randomWrites(c);
        expectTuple(await saver.getTuple(threadConfig(c.threadId, c.ns)), c, w.model, `day ${day} latest`);
        const before = await redisSnapshot(redis, prefix);
        failMs.push(await expectUnavailable('postgres', () => saver.migrate()));
        // Nothing removed, nothing changed, nothing given a TTL.
        expect(await redisSnapshot(redis, prefix)).toEqual(before);
        for (const k of await redisKeys(redis, prefix)) expect({ k, ttl: await redis.ttl(k) }).toEqual({ k, ttl: -1 });
      }

      // The job: each failure is logged and retried later, with a doubling delay.
      const delays: number[] = [];
      for (let n = 1; n <= 3; n += 1) {
        await expectUnavailable('postgres', () => service.runNow());
        const status = service.getStatus();
        expect(status).toMatchObject({ running: false, consecutiveFailures: n });
        expect(status.lastError?.message).toMatch(/PostgreSQL/);
        delays.push(status.retryAt! - status.lastError!.at);
        expect(errors[errors.length - 1]).toMatch(new RegExp(`migration failed \\(${n} in a row\\); nothing was removed from Redis, retrying in ${(FIRST_RETRY_DELAY_MS * 2 ** (n - 1)) / 1000} s`));
      }
      delays.forEach((d, i) => expect(Math.abs(d - FIRST_RETRY_DELAY_MS * 2 ** i)).toBeLessThan(200));
      note('postgres down', { failMs: failMs.map(Math.round), retryDelays: delays });
    } finally {
      await pgServer.start();
    }

    // PostgreSQL is back: the next run succeeds and resets the job; the backlog drains over runs.
    const runs: MigrationReport[] = [await service.runNow()];
    expect(service.getStatus()).toMatchObject({ running: false, consecutiveFailures: 0 });
    expect(service.getStatus().retryAt).toBeUndefined();
    while (runs[runs.length - 1]!.backlogRemaining) {
      expect(runs.length).toBeLessThan(50);
      runs.push(await saver.migrate());
    }
    for (const r of runs) {
      expect(r.batches).toBeLessThanOrEqual(maxBatches);
      expect(r.checkpointsCopied).toBeLessThanOrEqual(batchSize * maxBatches);
    }
    expect(runs.filter((r) => r.backlogRemaining).length).toBeGreaterThanOrEqual(3);
    note('postgres back', { runs: runs.length, copied: runs.map((r) => r.checkpointsCopied) });
    await service.beforeApplicationShutdown();

    await expectAllReadable(saver, w.model, 'after PostgreSQL came back:');
    clock.advance(2 * DAY);
    while ((await saver.migrate()).backlogRemaining);
    await expectAllReadable(saver, w.model, 'after the backlog drained:');
    await expectColdRows(pgServer.url(), saver.options.schema, w.model, 'postgres outage');
    await expectRedisDrained(redis, prefix, w.model, 'postgres outage');
  });
});

describe('PostgreSQL killed -9 inside a migration transaction', () => {
  it('the run fails typed, the rolled-back batch stays in Redis, and after crash recovery the next run finishes (seed 4005)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 5));
    let killAt: number | undefined;
    const saver = await newSaver(redisPlain, {
      clock,
      migrationBatchSize: 4,
      migrationStepHook: async (step, batch) => {
        if (step === 'in-transaction' && batch === killAt) await pgServer.kill9();
      },
    });
    const redis = adminClient(redisPlain);
    const w = new Workload(saver, clock, 4005);
    await w.grow(['k0', 'k1', 'k2'], NAMESPACES, 2);
    clock.advance(DAY + HOUR);
    killAt = 2;
    const before = await redisSnapshot(redis, saver.options.keyPrefix);
    try {
      await expectUnavailable('postgres', () => saver.migrate());
    } finally {
      killAt = undefined;
      await pgServer.start(); // crash recovery
    }
    // Batch 1 committed and was cleaned up; batch 2 was rolled back by the crash and is still queued.
    const after = await redisSnapshot(redis, saver.options.keyPrefix);
    expect(Object.keys(after).length).toBeLessThan(Object.keys(before).length);
    await expectAllReadable(saver, w.model, 'after PostgreSQL was killed mid-transaction:', { quick: true });
    const resumed = await saver.migrate();
    expect(resumed.backlogRemaining).toBe(false);
    await expectAllReadable(saver, w.model, 'after crash recovery:');
    await expectColdRows(pgServer.url(), saver.options.schema, w.model, 'postgres kill -9');
    await expectRedisDrained(redis, saver.options.keyPrefix, w.model, 'postgres kill -9');
  });
});

describe('Redis down', () => {
  it('put/putWrites fail fast and typed, reads by id of cold checkpoints still work, and the same saver works again once Redis is back (seed 4002)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 10));
    const saver = await newSaver(redisAof, { clock });
    const threads = ['d0', 'd1', 'd2'];
    const w = new Workload(saver, clock, 4002);
    const cold = await w.grow(threads, NAMESPACES, 2);
    clock.advance(DAY + HOUR);
    await saver.migrate();
    const hot = await w.grow(threads, NAMESPACES, 1);

    await redisAof.kill9();
    const timings: Record<string, number[]> = { put: [], putWrites: [], getHot: [], latest: [], list: [] };
    for (let i = 0; i < 3; i += 1) {
      timings.put!.push(await expectUnavailable('redis', () => w.step('d0', '')));
      timings.putWrites!.push(await expectUnavailable('redis', () => w.putWrites(hot[0]!, [['messages', 'lost?']], `down-${i}`)));
      timings.getHot!.push(await expectUnavailable('redis', () => saver.getTuple(cpConfig(hot[0]!))));
      timings.latest!.push(await expectUnavailable('redis', () => saver.getTuple(threadConfig('d0'))));
      timings.list!.push(await expectUnavailable('redis', () => collect(saver, threadConfig('d0'))));
    }
    for (const ms of Object.values(timings).flat()) expect(ms).toBeLessThan(2000);
    // A checkpoint already in PostgreSQL is still readable by id (its writes all migrated with it).
    for (const c of cold) expectTuple(await saver.getTuple(cpConfig(c)), c, w.model, 'Redis down, by id');

    // Back on the same port (AOF: nothing acknowledged was lost); ioredis reconnects by itself.
    await redisAof.start();
    const reconnectMs = await waitFor('the saver to reach Redis again', async () => {
      await saver.hot.ping();
      return true;
    }, 10_000, 50);
    note('redis down', { timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, v.map(Math.round)])), reconnectMs });
    expect(await saver.hot.checkDataLoss()).toEqual({ lost: false, detectedAt: undefined });
    const after = await w.step('d0', '');
    await w.randomWrites(after);
    await w.putWrites(hot[1]!, [['messages', 'after the outage']], 'after-task');
    await expectAllReadable(saver, w.model, 'after Redis came back:');
    clock.advance(2 * DAY);
    await saver.migrate();
    await expectColdRows(pgServer.url(), saver.options.schema, w.model, 'redis outage');
    await expectRedisDrained(adminClient(redisAof), saver.options.keyPrefix, w.model, 'redis outage');
  });
});

describe('Redis restarted empty (no persistence)', () => {
  it('checkDataLoss() reports the loss; everything already in PostgreSQL stays readable; the job says so once (seed 4003)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 20));
    const saver = await newSaver(redisPlain, { clock });
    const threads = ['e0', 'e1', 'e2'];
    const w = new Workload(saver, clock, 4003);
    const cold = await w.grow(threads, NAMESPACES, 2);
    clock.advance(DAY + HOUR);
    await saver.migrate();
    await w.grow(threads, NAMESPACES, 1); // hot only: these are lost with Redis
    expect(await saver.hot.checkDataLoss()).toEqual({ lost: false, detectedAt: undefined });
    const { service, errors } = quietService(saver);

    await redisPlain.restart();
    await waitFor('the saver to reach Redis again', async () => {
      await saver.hot.ping();
      return true;
    });
    const loss = await saver.hot.checkDataLoss();
    expect(loss.lost).toBe(true);
    expect(loss.detectedAt).toEqual(expect.any(Number));
    expect(await saver.hot.checkDataLoss()).toEqual(loss); // stays reported

    for (const c of cold) expectTuple(await saver.getTuple(cpConfig(c)), c, w.model, 'after Redis loss, by id');
    for (const t of threads) {
      for (const ns of NAMESPACES) {
        const ids = cold.filter((c) => c.threadId === t && c.ns === ns).map((c) => c.id).sort().reverse();
        expect((await saver.getTuple(threadConfig(t, ns)))?.config.configurable?.checkpoint_id).toBe(ids[0]);
        expect((await collect(saver, threadConfig(t, ns))).map((x) => x.config.configurable?.checkpoint_id)).toEqual(ids);
      }
    }
    await service.runNow();
    await service.runNow();
    expect(errors.filter((m) => /Redis lost its data/.test(m))).toHaveLength(1);
    await service.beforeApplicationShutdown();
  });

  it('with copy-early (copyAfterMs 10 min), checkpoints copied before the loss are all still readable (seed 4004)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 25));
    const saver = await newSaver(redisPlain, { clock, copyAfterMs: 10 * 60_000 });
    const w = new Workload(saver, clock, 4004);
    await w.grow(['f0', 'f1'], NAMESPACES, 3);
    clock.advance(15 * 60_000);
    const copied = await saver.migrate();
    expect(copied).toMatchObject({ entriesEvicted: 0, backlogRemaining: false });
    expect(copied.checkpointsCopied).toBe(w.model.checkpoints.size);

    await redisPlain.restart({ kill: true });
    await waitFor('the saver to reach Redis again', async () => {
      await saver.hot.ping();
      return true;
    });
    expect((await saver.hot.checkDataLoss()).lost).toBe(true);
    await expectAllReadable(saver, w.model, 'copy-early, after Redis loss:');
    await expectColdRows(pgServer.url(), saver.options.schema, w.model, 'copy-early');
  });
});

describe('inspectServer()', () => {
  it('reports eviction policies that can drop our keys, and whether persistence is on', async () => {
    const servers = await Promise.all([
      RedisServer.start({ args: ['--maxmemory-policy', 'allkeys-lru'] }),
      RedisServer.start({ args: ['--maxmemory-policy', 'noeviction'], persistenceArgs: ['--save', '3600 1', '--appendonly', 'yes'] }),
      RedisServer.start({ args: ['--maxmemory-policy', 'volatile-lru'] }),
    ]);
    const stores = servers.map((s) => new HotTierStore({ redisUrl: s.url, keyPrefix: 'inspect' }));
    try {
      await Promise.all(stores.map((s) => s.connect()));
      const [lru, noeviction, volatile] = await Promise.all(stores.map((s) => s.inspectServer()));
      expect(lru).toEqual({ maxmemoryPolicy: 'allkeys-lru', evictionCanDropKeys: true, persistence: { rdb: false, aof: false } });
      expect(noeviction).toEqual({ maxmemoryPolicy: 'noeviction', evictionCanDropKeys: false, persistence: { rdb: true, aof: true } });
      expect(volatile).toEqual({ maxmemoryPolicy: 'volatile-lru', evictionCanDropKeys: false, persistence: { rdb: false, aof: false } });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await Promise.all(servers.map((s) => s.cleanup()));
    }
  });
});
