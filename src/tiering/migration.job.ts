import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Cron, CronExpression, SchedulerRegistry } from '@nestjs/schedule';
import { CronTime } from 'cron';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from '../tiered-checkpoint.tokens.js';
import type { MigrationReport } from './migration.runner.js';
import { TieredCheckpointSaver } from './tiered-checkpoint.saver.js';

/** Name of the migration cron job in the `SchedulerRegistry`. */
export const MIGRATION_JOB_NAME = 'tiered-checkpoint-migration';

/** Status of the migration job, for probes and the admin API. */
export interface MigrationStatus {
  running: boolean;
  lastReport?: MigrationReport;
  lastError?: { message: string; at: number };
  consecutiveFailures: number;
  /** When the next retry after a failure is due (ms since epoch), if one is scheduled. */
  retryAt?: number;
}

/** First retry after a failed run; doubles per consecutive failure up to {@link MAX_RETRY_DELAY_MS}. */
export const FIRST_RETRY_DELAY_MS = 5_000;
export const MAX_RETRY_DELAY_MS = 15 * 60_000;

/**
 * The hourly `@Cron` job that moves aged checkpoints to PostgreSQL. Runs when the app imports
 * `ScheduleModule.forRoot()` (this library never does that for the app). Every replica may run
 * it: the saver's lease keeps them from migrating at once. One run at a time per process; a
 * shutdown waits for the running batch to finish, and the lease is released at the end of it.
 */
@Injectable()
export class MigrationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MigrationService.name);
  private inFlight?: Promise<MigrationReport>;
  private status: MigrationStatus = { running: false, consecutiveFailures: 0 };
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private dataLossLogged = false;

  constructor(
    @Inject(TieredCheckpointSaver) private readonly saver: TieredCheckpointSaver,
    @Inject(TIERED_CHECKPOINT_RESOLVED_OPTIONS) private readonly options: ResolvedTieredCheckpointOptions,
    @Optional() @Inject(SchedulerRegistry) private readonly scheduler?: SchedulerRegistry,
  ) {}

  /** Applies the configured schedule (or stops the job) once the scheduler has registered it. */
  onApplicationBootstrap(): void {
    if (!this.scheduler) return;
    let job;
    try {
      job = this.scheduler.getCronJob(MIGRATION_JOB_NAME);
    } catch {
      return; // ScheduleModule not imported: the job is run on demand only.
    }
    if (!this.options.migrationEnabled) {
      void job.stop();
      return;
    }
    if (this.options.migrationCron !== CronExpression.EVERY_HOUR) {
      job.setTime(new CronTime(this.options.migrationCron));
      job.start();
    }
  }

  @Cron(CronExpression.EVERY_HOUR, { name: MIGRATION_JOB_NAME, waitForCompletion: true })
  async onSchedule(): Promise<void> {
    if (!this.options.migrationEnabled) return;
    await this.runNow().catch(() => undefined);
  }

  /** Runs a migration now; concurrent calls share the run in flight. */
  runNow(): Promise<MigrationReport> {
    if (this.inFlight) return this.inFlight;
    this.status = { ...this.status, running: true };
    const run = this.reportDataLoss()
      .then(() => this.saver.migrate())
      .then((report) => {
        this.clearRetry();
        this.status = { running: false, lastReport: report, consecutiveFailures: 0 };
        if (report.checkpointsCopied + report.writesCopied + report.entriesEvicted > 0 || report.backlogRemaining) {
          this.logger.log(
            `migration: ${report.checkpointsCopied} checkpoints, ${report.writesCopied} writes, ${report.blobsCopied} values ` +
              `(${report.bytesCopied} bytes) copied, ${report.entriesEvicted} evicted in ${report.batches} batches` +
              (report.backlogRemaining ? '; backlog remains for the next run' : ''),
          );
        }
        if (report.threadsFailed > 0) {
          this.logger.warn(
            `migration: PostgreSQL refused the rows of ${report.threadsFailed} thread(s); they stay in Redis (readable) and are retried next run: ` +
              report.failedThreads.map((f) => `${JSON.stringify(f.threadId)} (${f.reason})`).join('; '),
          );
        }
        return report;
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const failures = this.status.consecutiveFailures + 1;
        this.status = { ...this.status, running: false, lastError: { message, at: Date.now() }, consecutiveFailures: failures };
        const delay = this.scheduleRetry(failures);
        this.logger.error(
          `migration failed (${failures} in a row); nothing was removed from Redis, retrying in ${Math.round(delay / 1000)} s: ${message}`,
        );
        throw error;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = run;
    return run;
  }

  /** Says loudly, once, that Redis lost data; migration itself carries on with what is left. */
  private async reportDataLoss(): Promise<void> {
    const loss = await this.saver.hot.checkDataLoss().catch(() => undefined);
    if (loss?.lost && !this.dataLossLogged) {
      this.dataLossLogged = true;
      this.logger.error(
        'Redis lost its data (restarted without persistence, failed over to an empty replica, or flushed): ' +
          'checkpoints not yet copied to PostgreSQL are gone. Enable persistence or lower COPY_AFTER_HOURS.',
      );
    }
  }

  getStatus(): MigrationStatus {
    return this.status;
  }

  /**
   * Retries a failed run with exponential backoff (5 s, 10 s, ... up to 15 min) instead of
   * waiting for the next cron tick, so a backlog drains soon after PostgreSQL returns.
   */
  private scheduleRetry(failures: number): number {
    const delay = Math.min(FIRST_RETRY_DELAY_MS * 2 ** (failures - 1), MAX_RETRY_DELAY_MS);
    this.clearRetry();
    if (this.stopped) return delay;
    this.status.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.runNow().catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
    return delay;
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    delete this.status.retryAt;
  }

  /** Lets a running batch finish (and release its lease) before the stores close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.clearRetry();
    if (this.scheduler) {
      try {
        void this.scheduler.getCronJob(MIGRATION_JOB_NAME).stop();
      } catch {
        // not scheduled
      }
    }
    await this.inFlight?.catch(() => undefined);
  }
}
