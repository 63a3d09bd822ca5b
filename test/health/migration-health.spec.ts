import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { ManualClock } from '../../src/core/clock.js';
import { MigrationHealthIndicator, migrationLagMs, type MigrationHealthTarget } from '../../src/health/migration.health.js';
import { MigrationService } from '../../src/tiering/migration.job.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { TestStores } from '../support/test-stores.js';

/**
 * The migration-lag indicator over real Redis and PostgreSQL, time moved by a ManualClock:
 * copy window 10 min, hot window 1 h, lag bound 30 min.
 */

const MINUTE = 60_000;
const COPY_AFTER = 10 * MINUTE;
const BOUND = 30 * MINUTE;

let stores: TestStores;
let clock: ManualClock;
let saver: TieredCheckpointSaver;
let job: MigrationService;
const indicator = new MigrationHealthIndicator(new HealthIndicatorService());

async function put(threadId: string): Promise<void> {
  const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-3), ts: new Date(clock.now()).toISOString(), channel_values: { a: 1 }, channel_versions: { a: saver.getNextVersion(undefined) } };
  await saver.put({ configurable: { thread_id: threadId, checkpoint_ns: '' } }, checkpoint, { source: 'input', step: -1, parents: {} }, { a: checkpoint.channel_versions.a });
}

beforeAll(async () => {
  stores = await TestStores.create('mighealth');
});
afterAll(async () => {
  await stores.cleanup();
});
beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  saver = await stores.freshSaver({ clock, copyAfterMs: COPY_AFTER, hotWindowMs: 60 * MINUTE, maxMigrationLagMs: BOUND });
  job = new MigrationService(saver, saver.options);
});

describe('migrationLagMs', () => {
  it('is the age past the copy window, never negative, 0 when nothing waits', () => {
    expect(migrationLagMs(1000, undefined, 0)).toBe(0);
    expect(migrationLagMs(1000, 500, 600)).toBe(0);
    expect(migrationLagMs(1000, 100, 600)).toBe(300);
  });
});

describe('MigrationHealthIndicator (real stores, manual clock)', () => {
  it('is up without warning while nothing waits, before the first run', async () => {
    const result = await indicator.isHealthy('migration', saver, { job });
    expect(result.migration).toEqual({
      status: 'up',
      lagSeconds: 0,
      boundSeconds: 1800,
      lagExceeded: false,
      threadsWaiting: 0,
      running: false,
      lastRun: null,
      consecutiveFailures: 0,
    });
  });

  it('measures lag past the copy window: 0 inside it, then under the bound without warning', async () => {
    await put('t1');
    clock.advance(5 * MINUTE);
    await put('t2');
    expect((await indicator.isHealthy('migration', saver)).migration).toMatchObject({ status: 'up', lagSeconds: 0, threadsWaiting: 2, lagExceeded: false });

    clock.advance(COPY_AFTER + 20 * MINUTE - 5 * MINUTE); // t1 is 30 min old: 20 min past the window
    const under = (await indicator.isHealthy('migration', saver)).migration;
    expect(under).toMatchObject({ status: 'up', lagSeconds: 1200, boundSeconds: 1800, lagExceeded: false, threadsWaiting: 2 });
    expect(under).not.toHaveProperty('warning');
  });

  it('stays up above the bound, with a warning and lagExceeded', async () => {
    await put('t1');
    clock.advance(COPY_AFTER + BOUND + 60_000);
    const over = (await indicator.isHealthy('migration', saver, { job })).migration;
    expect(over).toMatchObject({ status: 'up', lagSeconds: 1860, boundSeconds: 1800, lagExceeded: true, threadsWaiting: 1 });
    expect(over.warning).toContain('migration lag 1860 s exceeds the bound of 1800 s');
    // An explicit bound overrides the saver's.
    expect((await indicator.isHealthy('migration', saver, { maxMigrationLagMs: 60 * MINUTE })).migration).toMatchObject({ lagExceeded: false, boundSeconds: 3600 });
  });

  it('drops back to 0 after a run, and reports that run', async () => {
    await put('t1');
    await put('t2');
    clock.advance(COPY_AFTER + BOUND + 60_000);
    const report = await job.runNow();
    expect(report.checkpointsCopied).toBe(2);
    const result = (await indicator.isHealthy('migration', saver, { job })).migration;
    expect(result).toMatchObject({
      status: 'up',
      lagSeconds: 0,
      lagExceeded: false,
      threadsWaiting: 0,
      consecutiveFailures: 0,
      lastRun: {
        at: new Date(report.finishedAt).toISOString(),
        leaseAcquired: true,
        checkpointsCopied: 2,
        writesCopied: 0,
        blobsCopied: 2,
        bytesCopied: report.bytesCopied,
        entriesEvicted: 0, // copy window < hot window: copied, still served from Redis
        backlogRemaining: false,
      },
    });
    expect(result).not.toHaveProperty('warning');
  });

  it('reports failed runs with a warning, still up', async () => {
    await put('t1');
    clock.advance(COPY_AFTER + 1);
    const failing = jest.spyOn(saver.cold, 'writeMigrationBatch').mockRejectedValue(new Error('PostgreSQL went away'));
    try {
      await expect(job.runNow()).rejects.toThrow('PostgreSQL went away');
      const result = (await indicator.isHealthy('migration', saver, { job })).migration;
      expect(result).toMatchObject({ status: 'up', consecutiveFailures: 1, lastRun: null, lastError: { message: 'PostgreSQL went away' }, threadsWaiting: 1 });
      expect(result.warning).toContain('the last 1 migration run(s) failed: PostgreSQL went away');
    } finally {
      failing.mockRestore();
      await job.beforeApplicationShutdown(); // cancels the scheduled retry
    }
  });

  it('stays up with a warning when the backlog cannot be read (Redis down is the Redis check’s job)', async () => {
    const target: MigrationHealthTarget = { hot: { backlog: () => Promise.reject(new Error('connect ECONNREFUSED')) }, options: saver.options };
    const result = (await indicator.isHealthy('migration', target)).migration;
    expect(result).toMatchObject({ status: 'up', lagSeconds: null, lagExceeded: null, warning: expect.stringContaining('ECONNREFUSED') });
    const hanging: MigrationHealthTarget = { hot: { backlog: () => new Promise(() => undefined) }, options: saver.options };
    expect((await indicator.isHealthy('migration', hanging, { timeoutMs: 20 })).migration).toMatchObject({
      status: 'up',
      warning: expect.stringContaining('timeout of 20ms exceeded'),
    });
  });
});
