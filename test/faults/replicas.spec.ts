/**
 * Several service replicas migrating the same data (invariant 5): three savers with their own
 * Redis and PostgreSQL clients (`fromConfig`, same key prefix and schema) call `migrate()` at the
 * same moment, round after round, on a backlog larger than one run. Nothing is lost, nothing
 * duplicated, nothing evicted twice, and together they drain the backlog. A replica that dies
 * holding the lease blocks the others for at most the lease.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import type { HotEntry } from '../../src/hot-tier/hot-tier.store.js';
import type { MigrationReport } from '../../src/tiering/migration.runner.js';
import type { MigrationStep } from '../../src/tiering/migration.hooks.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import type { TieredCheckpointOptions } from '../../src/config/tiered-checkpoint.options.js';
import { DATABASE_URL, REDIS_URL, TestStores, uniqueName } from '../support/test-stores.js';
import { Workload, cpConfig, expectAllReadable, expectColdRows, expectRedisDrained, note, sleep, type ExpectedCheckpoint } from '../support/servers.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const THREADS = Array.from({ length: 10 }, (_, i) => `r${i}`);
const NAMESPACES = ['', 'sub:a'];
const BATCH_SIZE = 4;
const MAX_BATCHES = 2;

let stores: TestStores;
let open: TieredCheckpointSaver[] = [];

beforeAll(async () => {
  stores = await TestStores.create('replicas');
});
afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});
afterAll(async () => {
  await stores.cleanup();
});

interface Fixture {
  clock: ManualClock;
  prefix: string;
  writer: TieredCheckpointSaver;
  w: Workload;
  /** Checkpoints written after the first migration (the backlog). */
  backlog: ExpectedCheckpoint[];
  /** Entries due: backlog checkpoints plus cold checkpoints that got late writes. */
  dueEntries: number;
  /** What the first (writer's) migration copied. */
  first: MigrationReport;
}

/** Empty storage; history migrated by the writer; late writes to it; a backlog of new steps. */
async function fixture(seed: number): Promise<Fixture> {
  await stores.cold.truncateAll();
  const clock = new ManualClock(Date.UTC(2026, 3, 1));
  const prefix = uniqueName('tcr');
  const writer = stores.saver({ clock, keyPrefix: prefix, hotWindowMs: DAY });
  const w = new Workload(writer, clock, seed);
  const history = await w.grow(THREADS, NAMESPACES, 1);
  clock.advance(DAY + HOUR);
  const first = await writer.migrate();
  const late = await w.lateWrites(history, 8);
  const backlog = await w.grow(THREADS, NAMESPACES, 2, 0.5);
  clock.advance(DAY + HOUR);
  const dueEntries = backlog.length + new Set(late.map((c) => c.id)).size;
  return { clock, prefix, writer, w, backlog, dueEntries, first };
}

/** A replica: its own ioredis and Prisma clients. */
async function replica(f: Fixture, extra: Partial<TieredCheckpointOptions> = {}): Promise<TieredCheckpointSaver> {
  const saver = TieredCheckpointSaver.fromConfig({
    redisUrl: REDIS_URL,
    databaseUrl: DATABASE_URL,
    schema: stores.schema,
    keyPrefix: f.prefix,
    clock: f.clock,
    hotWindowMs: DAY,
    migrationBatchSize: BATCH_SIZE,
    migrationMaxBatchesPerRun: MAX_BATCHES,
    ...extra,
  });
  open.push(saver);
  await saver.setup();
  return saver;
}

/** All replicas call migrate() in the same tick; the start order rotates per round. */
async function round(replicas: TieredCheckpointSaver[], n: number, alongside: Array<Promise<unknown>> = []): Promise<MigrationReport[]> {
  const order = replicas.map((_, i) => (i + n) % replicas.length);
  const pending = new Array<Promise<MigrationReport>>(replicas.length);
  for (const i of order) pending[i] = replicas[i]!.migrate();
  const [reports] = await Promise.all([Promise.all(pending), ...alongside]);
  return reports;
}

const sum = (reports: MigrationReport[], field: 'checkpointsCopied' | 'writesCopied' | 'entriesEvicted' | 'entriesChanged') =>
  reports.reduce((n, r) => n + r[field], 0);

async function finalChecks(f: Fixture, where: string): Promise<void> {
  await expectAllReadable(f.writer, f.w.model, where);
  await expectColdRows(DATABASE_URL, stores.schema, f.w.model, where);
  await expectRedisDrained(stores.redis, f.prefix, f.w.model, where);
}

describe('three replicas migrating at the same moment', () => {
  it('drain a backlog larger than one run together, copying and evicting each entry exactly once (seed 3001)', async () => {
    const f = await fixture(3001);
    const replicas = await Promise.all([replica(f), replica(f), replica(f)]);
    const all: MigrationReport[] = [];
    const winners = new Set<number>();
    let rounds = 0;
    while ((await f.writer.hot.backlog()).threadsWaiting > 0) {
      expect(rounds).toBeLessThan(40);
      const reports = await round(replicas, rounds);
      rounds += 1;
      // Somebody always makes progress; a run stays within its budget.
      expect(reports.some((r) => r.leaseAcquired)).toBe(true);
      reports.forEach((r, i) => {
        if (r.leaseAcquired) winners.add(i);
        else expect(r).toMatchObject({ batches: 0, checkpointsCopied: 0, entriesEvicted: 0 });
        expect(r.batches).toBeLessThanOrEqual(MAX_BATCHES);
      });
      all.push(...reports);
    }
    // More than one run was needed, and no work was repeated: under the lease each checkpoint is
    // copied once and each entry evicted once. (writesCopied may exceed the rows: a retried task's
    // late write to a cold checkpoint is sent again and kept out by first-write-wins.)
    expect(rounds).toBeGreaterThanOrEqual(Math.ceil(f.dueEntries / (BATCH_SIZE * MAX_BATCHES)));
    expect(winners.size).toBeGreaterThan(1);
    expect(f.first.checkpointsCopied + sum(all, 'checkpointsCopied')).toBe(f.w.model.checkpoints.size);
    expect(f.first.writesCopied + sum(all, 'writesCopied')).toBeGreaterThanOrEqual(f.w.model.writeCount);
    expect(sum(all, 'entriesEvicted')).toBe(f.dueEntries);
    expect(sum(all, 'entriesChanged')).toBe(0);
    note('replicas/static', { rounds, winners: [...winners], dueEntries: f.dueEntries, checkpoints: f.w.model.checkpoints.size, writes: f.w.model.writeCount, runsWithLease: all.filter((r) => r.leaseAcquired).length });
    await finalChecks(f, 'replicas/static:');
  });

  it('lose and duplicate nothing while writers keep writing during the runs, some onto entries mid-batch (seed 3002)', async () => {
    const f = await fixture(3002);
    // Writes that land on an entry between its read and its clean-up: the replica's hook (at
    // 'after-read') writes to one of the entries its batch has just read (the spy on
    // readEntries only tells the hook which ones).
    const justRead = new Map<number, HotEntry[]>();
    let inFlightWrites = 0;
    const hookFor = (i: number) => async (step: MigrationStep) => {
      if (step !== 'after-read') return;
      const entries = justRead.get(i) ?? [];
      justRead.set(i, []);
      if (entries.length === 0 || inFlightWrites >= 12) return;
      const e = entries[Math.floor(f.w.random() * entries.length)]!;
      await f.w.randomWrites(f.w.model.get(e.threadId, e.checkpointNs, e.checkpointId)!);
      inFlightWrites += 1;
    };
    const replicas = await Promise.all([0, 1, 2].map((i) => replica(f, { migrationStepHook: hookFor(i) })));
    replicas.forEach((r, i) => {
      const read = r.hot.readEntries.bind(r.hot);
      r.hot.readEntries = async (threadId, cutoff, limit) => {
        const got = await read(threadId, cutoff, limit);
        justRead.set(i, [...(justRead.get(i) ?? []), ...got]);
        return got;
      };
    });
    const all: MigrationReport[] = [];
    // Writes land on backlog entries (possibly mid-migration) and on cold checkpoints; a few new steps.
    const burst = async () => {
      await f.w.lateWrites(f.w.model.all(), 2);
      await f.w.lateWrites(f.backlog, 2);
      await f.w.step(f.w.pick(THREADS), f.w.pick(NAMESPACES));
    };
    for (let n = 0; n < 10; n += 1) all.push(...(await round(replicas, n, [burst()])));
    // Everything past the window, then drain.
    f.clock.advance(2 * DAY);
    for (let n = 0; n < 40; n += 1) {
      const reports = await round(replicas, n);
      all.push(...reports);
      if ((await f.writer.hot.backlog()).threadsWaiting === 0) break;
    }
    expect((await f.writer.hot.backlog()).threadsWaiting).toBe(0);
    // Re-copies are legal (an entry that changed mid-copy is copied again); final state is what counts.
    expect(f.first.checkpointsCopied + sum(all, 'checkpointsCopied')).toBeGreaterThanOrEqual(f.w.model.checkpoints.size);
    // Every write that landed mid-batch left its entry queued (copied again by a later batch).
    expect(inFlightWrites).toBe(12);
    expect(sum(all, 'entriesChanged')).toBeGreaterThanOrEqual(inFlightWrites);
    note('replicas/concurrent writes', { runs: all.length, runsWithLease: all.filter((r) => r.leaseAcquired).length, checkpoints: f.w.model.checkpoints.size, writes: f.w.model.writeCount, copied: sum(all, 'checkpointsCopied'), changed: sum(all, 'entriesChanged'), evicted: sum(all, 'entriesEvicted'), inFlightWrites });
    await finalChecks(f, 'replicas/concurrent writes:');
  });

  it('without the lease, three truly concurrent migrators still end with every row once and nothing left in Redis (seed 3003)', async () => {
    const f = await fixture(3003);
    const replicas = await Promise.all([replica(f), replica(f), replica(f)]);
    for (const r of replicas) {
      // Bypass the lease: every replica migrates at once (as after a lease expiry).
      r.hot.acquireLease = async () => true;
      r.hot.renewLease = async () => true;
    }
    const all: MigrationReport[] = [];
    for (let n = 0; n < 40 && (await f.writer.hot.backlog()).threadsWaiting > 0; n += 1) all.push(...(await round(replicas, n)));
    expect((await f.writer.hot.backlog()).threadsWaiting).toBe(0);
    // Counts may exceed the entries: a migrator that reads an entry another one already evicted
    // gets counter '' and no data, and FINISH_COPY counts that '' == '' as finished (a no-op
    // eviction). What matters is the final state: every row exactly once, nothing left in Redis.
    expect(sum(all, 'entriesEvicted')).toBeGreaterThanOrEqual(f.dueEntries);
    expect(f.first.checkpointsCopied + sum(all, 'checkpointsCopied')).toBeGreaterThanOrEqual(f.w.model.checkpoints.size);
    note('replicas/no lease', { runs: all.length, dueEntries: f.dueEntries, copied: sum(all, 'checkpointsCopied'), evicted: sum(all, 'entriesEvicted'), changed: sum(all, 'entriesChanged') });
    await finalChecks(f, 'replicas/no lease:');
  });

  it('a replica that dies holding the lease blocks the others for at most the lease (1000 ms, real time)', async () => {
    const f = await fixture(3004);
    const leaseMs = 1000;
    const replicas = await Promise.all([replica(f, { migrationLeaseMs: leaseMs }), replica(f, { migrationLeaseMs: leaseMs }), replica(f, { migrationLeaseMs: leaseMs })]);
    // The "dead" migrator: takes the lease and never renews or releases it.
    expect(await f.writer.hot.acquireLease(randomUUID(), leaseMs)).toBe(true);
    const taken = Date.now();
    let blockedRounds = 0;
    let reports = await round(replicas, 0);
    while (!reports.some((r) => r.leaseAcquired)) {
      expect(reports.every((r) => r.checkpointsCopied === 0 && r.entriesEvicted === 0)).toBe(true);
      blockedRounds += 1;
      expect(Date.now() - taken).toBeLessThan(leaseMs + 500);
      await sleep(25);
      reports = await round(replicas, blockedRounds);
    }
    const blockedMs = Date.now() - taken;
    expect(blockedRounds).toBeGreaterThan(0);
    expect(blockedMs).toBeGreaterThanOrEqual(leaseMs - 100);
    expect(blockedMs).toBeLessThan(leaseMs + 500);
    note('replicas/dead holder', { blockedMs, blockedRounds });
    for (let n = 0; n < 40 && (await f.writer.hot.backlog()).threadsWaiting > 0; n += 1) await round(replicas, n);
    await finalChecks(f, 'replicas/dead holder:');
  });

  for (const [mode, copyAfterMs, seed] of [
    ['copy+evict at 24 h', DAY, 3005],
    ['copy at 1 h, evict at 24 h', HOUR, 3006],
  ] as const) {
    it(`${mode}: a migrator whose lease expired mid-batch (stalled) does not evict a write that arrived after another replica migrated the entry (seed ${seed})`, async () => {
      const f = await fixture(seed);
      const leaseMs = 1000;
      const other = await replica(f, { migrationLeaseMs: leaseMs, copyAfterMs });
      // The zombie's first batch holds r0's oldest entries (all entries are equally old; ties go
      // by member): among them, a checkpoint that took no writes yet. (With a per-entry counter
      // that restarts after eviction, its late write would carry the same version the zombie read.)
      const candidates = f.backlog.filter((c) => c.threadId === 'r0' && c.ns === '');
      const hasWrites = await Promise.all(candidates.map((c) => stores.redis.exists(f.writer.hot.keys.writes('r0', '', c.id))));
      const lateWrite = candidates.find((_, i) => hasWrites[i] === 0);
      if (!lateWrite) throw new Error('seed gives no r0 checkpoint without writes; pick another seed');
      let stalled = false;
      const zombie = await replica(f, {
        migrationLeaseMs: leaseMs,
        copyAfterMs,
        migrationStepHook: async (step: MigrationStep, batch: number) => {
          if (step !== 'after-commit' || batch !== 1 || stalled) return;
          stalled = true;
          // A stall longer than the lease (GC pause, slow PostgreSQL): another replica takes
          // over, copies and evicts this batch (both windows have passed); then a write lands
          // on a checkpoint of the batch, which now lives in PostgreSQL only.
          await sleep(leaseMs + 200);
          const report = await other.migrate();
          expect(report.leaseAcquired).toBe(true);
          await f.w.putWrites(lateWrite, [['messages', 'written after the takeover']], 'late-task', '~9');
          // Acknowledged and readable before the zombie resumes its clean-up.
          expect((await f.writer.getTuple(cpConfig(lateWrite)))?.pendingWrites).toEqual(f.w.model.pendingWrites(lateWrite));
        },
      });
      const report = await zombie.migrate();
      expect(stalled).toBe(true);
      expect(report.leaseLost).toBe(true);
      // The late write must still be readable, and survive the migrations that follow.
      expect((await f.writer.getTuple(cpConfig(lateWrite)))?.pendingWrites).toEqual(f.w.model.pendingWrites(lateWrite));
      f.clock.advance(2 * DAY);
      for (let n = 0; n < 40 && (await f.writer.hot.backlog()).threadsWaiting + (await f.writer.hot.backlog()).threadsCopiedHot > 0; n += 1) await other.migrate();
      expect((await f.writer.getTuple(cpConfig(lateWrite)))?.pendingWrites).toEqual(f.w.model.pendingWrites(lateWrite));
      await finalChecks(f, `replicas/zombie (${mode}):`);
    });
  }
});
