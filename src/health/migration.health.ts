import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Clock } from '../core/clock.js';
import type { MigrationStatus } from '../tiering/migration.job.js';
import { DEFAULT_HEALTH_TIMEOUT_MS } from './redis.health.js';

/** What the hot tier says about data waiting for copy (`HotTierStore.backlog()`). */
export interface MigrationBacklog {
  /** Write time (saver clock, ms) of the oldest entry not yet copied; undefined when none waits. */
  oldestUncopiedAt?: number;
  /** Threads holding at least one entry not yet copied. */
  threadsWaiting: number;
}

/**
 * What the migration indicator reads, typed structurally: the library's `TieredCheckpointSaver`
 * fits as it is (`hot.backlog()` and its resolved options), so lag is measured with the very
 * clock and copy window the saver migrates by.
 */
export interface MigrationHealthTarget {
  hot: { backlog(): Promise<MigrationBacklog> };
  options: {
    /** The saver's time source (entries are stamped with it). */
    clock: Clock;
    /** Age at which entries become due for copy. */
    copyAfterMs: number;
    /** Lag above which readiness warns. */
    maxMigrationLagMs: number;
  };
}

/** The part of the migration job the indicator reports on (`MigrationService.getStatus()`). */
export interface MigrationStatusSource {
  getStatus(): MigrationStatus;
}

/** Options of {@link MigrationHealthIndicator.isHealthy}. */
export interface MigrationHealthCheckOptions {
  /** The migration job whose last run and failures are reported. Default: none (not reported). */
  job?: MigrationStatusSource;
  /** Lag bound; overrides the target's `maxMigrationLagMs`. Default: the target's (2 h by default). */
  maxMigrationLagMs?: number;
  /** Time the backlog read may take. Default 1000 ms. */
  timeoutMs?: number;
}

/**
 * How far migration is behind: the age of the oldest uncopied entry beyond the copy window,
 * `max(0, now − oldestUncopiedAt − copyAfterMs)`, in ms. 0 when nothing waits or nothing is
 * due yet. One definition, shared by readiness and the service's lag gauge.
 */
export function migrationLagMs(now: number, oldestUncopiedAt: number | undefined, copyAfterMs: number): number {
  if (oldestUncopiedAt === undefined) return 0;
  return Math.max(0, now - oldestUncopiedAt - copyAfterMs);
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Migration lag for readiness.
 *
 * Details: `lagSeconds`, `boundSeconds`, `lagExceeded`, `threadsWaiting`, and with a `job`:
 * `running`, `lastRun` (`{ at, checkpointsCopied, writesCopied, blobsCopied, bytesCopied,
 * entriesEvicted, backlogRemaining, leaseAcquired }` of the last successful run, `at` as ISO
 * time; `null` before the first), `consecutiveFailures` and `lastError` while runs fail.
 *
 * This indicator is always `up`. Above the bound it adds `warning` and `lagExceeded: true`;
 * failed runs and an unreadable backlog add a `warning` too. Why it never fails readiness:
 * lag is a property of the shared stores, not of one replica, so every replica would report
 * it at the same moment and the gateway would take the whole fleet out of rotation at once —
 * while reads and writes still work perfectly (Redis keeps everything that is not yet copied,
 * invariant 1). Readiness going down would turn a slow migration into an outage. Alert on the
 * `tiered_checkpoint_migration_lag_seconds` metric instead. (An unreadable backlog means
 * Redis is down, which the Redis indicator already reports as `down`.)
 */
@Injectable()
export class MigrationHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  /** Checks `target` (the saver) and reports under `key`. */
  async isHealthy<const Key extends string>(
    key: Key,
    target: MigrationHealthTarget,
    options: MigrationHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    const boundMs = options.maxMigrationLagMs ?? target.options.maxMigrationLagMs;
    const details: Record<string, unknown> = { boundSeconds: seconds(boundMs) };
    const warnings: string[] = [];

    try {
      const backlog = await withTimeout(target.hot.backlog(), options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
      const lagMs = migrationLagMs(target.options.clock.now(), backlog.oldestUncopiedAt, target.options.copyAfterMs);
      Object.assign(details, { lagSeconds: seconds(lagMs), lagExceeded: lagMs > boundMs, threadsWaiting: backlog.threadsWaiting });
      if (lagMs > boundMs) {
        warnings.push(
          `migration lag ${seconds(lagMs)} s exceeds the bound of ${seconds(boundMs)} s: checkpoints wait in Redis longer than ` +
            'intended (their only copy). Check that the migration job runs (MIGRATION_ENABLED, MIGRATION_CRON) and succeeds, ' +
            'or raise MIGRATION_MAX_BATCHES_PER_RUN.',
        );
      }
    } catch (error) {
      Object.assign(details, { lagSeconds: null, lagExceeded: null, threadsWaiting: null });
      warnings.push(`could not read the migration backlog (${message(error)}); lag is unknown`);
    }

    if (options.job) {
      const status = options.job.getStatus();
      const last = status.lastReport;
      Object.assign(details, {
        running: status.running,
        lastRun: last
          ? {
              at: new Date(last.finishedAt).toISOString(),
              leaseAcquired: last.leaseAcquired,
              checkpointsCopied: last.checkpointsCopied,
              writesCopied: last.writesCopied,
              blobsCopied: last.blobsCopied,
              bytesCopied: last.bytesCopied,
              entriesEvicted: last.entriesEvicted,
              backlogRemaining: last.backlogRemaining,
            }
          : null,
        consecutiveFailures: status.consecutiveFailures,
      });
      if (status.consecutiveFailures > 0 && status.lastError) {
        details.lastError = { message: status.lastError.message, at: new Date(status.lastError.at).toISOString() };
        warnings.push(`the last ${status.consecutiveFailures} migration run(s) failed: ${status.lastError.message}`);
      }
    }

    return session.up(warnings.length > 0 ? { ...details, warning: warnings.join(' ') } : details);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout of ${ms}ms exceeded`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
