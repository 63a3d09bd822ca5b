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
}

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
    const run = this.saver
      .migrate()
      .then((report) => {
        this.status = { running: false, lastReport: report, consecutiveFailures: 0 };
        if (report.checkpointsCopied + report.writesCopied + report.entriesEvicted > 0 || report.backlogRemaining) {
          this.logger.log(
            `migration: ${report.checkpointsCopied} checkpoints, ${report.writesCopied} writes, ${report.blobsCopied} values ` +
              `(${report.bytesCopied} bytes) copied, ${report.entriesEvicted} evicted in ${report.batches} batches` +
              (report.backlogRemaining ? '; backlog remains for the next run' : ''),
          );
        }
        return report;
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.status = { ...this.status, running: false, lastError: { message, at: Date.now() }, consecutiveFailures: this.status.consecutiveFailures + 1 };
        this.logger.error(`migration failed (${this.status.consecutiveFailures} in a row); nothing is lost, the next run retries: ${message}`);
        throw error;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = run;
    return run;
  }

  getStatus(): MigrationStatus {
    return this.status;
  }

  /** Lets a running batch finish (and release its lease) before the stores close. */
  async beforeApplicationShutdown(): Promise<void> {
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
