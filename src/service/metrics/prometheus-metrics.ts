import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../../core/clock.js';
import type { AnsweringTier, CheckpointMetrics } from '../../core/metrics.js';
import { migrationLagMs, type MigrationBacklog } from '../../health/migration.health.js';
import type { MigrationReport } from '../../tiering/migration.runner.js';

/**
 * Latency buckets (seconds) for checkpoint reads and writes. A Redis round trip is well under a
 * millisecond on a local network and a hot `getTuple`/`put` is one or two of them, so the low
 * end is fine-grained (0.5 ms .. 10 ms); reads that fall through to PostgreSQL land in the
 * 10–250 ms range; the top buckets catch timeouts and stalls.
 */
export const OPERATION_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Migration run durations (seconds): an empty run takes milliseconds, a full budget minutes. */
export const MIGRATION_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];

/**
 * What the scrape-time gauges read, typed structurally: `HotTierStore` fits as it is.
 * `checkDataLoss` is optional; without it the data-loss gauge stays 0.
 */
export interface CheckpointStateSource {
  backlog(): Promise<MigrationBacklog>;
  checkDataLoss?(): Promise<{ lost: boolean }>;
}

/** What {@link PrometheusCheckpointMetrics.observeState} needs to compute lag as the saver does. */
export interface CheckpointStateBinding {
  /** The hot-tier store (or anything with its `backlog()`). */
  source: CheckpointStateSource;
  /** The saver's clock (entries are stamped with it). */
  clock: Clock;
  /** The saver's copy window: lag is measured past it. */
  copyAfterMs: number;
}

/** Options of {@link PrometheusCheckpointMetrics}. */
export interface PrometheusCheckpointMetricsOptions {
  /** Registry to register on. Default: a new one owned by this instance (never prom-client's global). */
  registry?: Registry;
}

const OPERATIONS_READ = ['getTuple', 'list'] as const;
const OPERATIONS_WRITE = ['put', 'putWrites'] as const;
const TIERS: readonly AnsweringTier[] = ['hot', 'cold', 'both', 'none'];
const RUN_RESULTS = ['ok', 'failed', 'lease_busy'] as const;
const ITEM_KINDS = ['checkpoints', 'writes', 'blobs'] as const;

/**
 * {@link CheckpointMetrics} on prom-client, for the standalone service (the library itself
 * depends on no metrics client). Each instance has its own {@link Registry}, so two apps in one
 * process (tests) never share or reset counters.
 *
 * Series (all prefixed `tiered_checkpoint_`):
 * - `reads_total{operation,tier}` — `getTuple`/`list` by answering tier: `hot` (Redis alone),
 *   `cold` (PostgreSQL), `both` (Redis asked, PostgreSQL completed), `none` (nothing found);
 * - `read_seconds{operation}`, `write_seconds{operation}` — latency histograms (failed writes
 *   included); `write_failures_total{operation}`;
 * - `migration_runs_total{result=ok|failed|lease_busy}`, `migration_seconds` (runs that held
 *   the lease), `migrated_items_total{kind=checkpoints|writes|blobs}`, `migrated_bytes_total`,
 *   `evicted_entries_total`;
 * - collected on scrape, once {@link observeState} bound a source: `migration_lag_seconds`
 *   (age of the oldest uncopied entry past the copy window, 0 if none), `backlog_threads`
 *   (threads waiting for copy), `redis_data_loss` (1 once Redis lost its data, else 0). When
 *   Redis cannot be read during a scrape they are `NaN` (unknown — a stale number would be a
 *   lie) and `state_collect_failures_total` counts it; the scrape itself still succeeds.
 *
 * Every label value is pre-initialised to 0, so rates and alerts work before the first event.
 */
import { PutRateWindow } from './put-rate.js';

export class PrometheusCheckpointMetrics implements CheckpointMetrics {
  readonly registry: Registry;
  private readonly reads: Counter<'operation' | 'tier'>;
  private readonly readSeconds: Histogram<'operation'>;
  private readonly writeSeconds: Histogram<'operation'>;
  private readonly writeFailures: Counter<'operation'>;
  private readonly migrationRuns: Counter<'result'>;
  private readonly migrationSeconds: Histogram;
  private readonly migratedItems: Counter<'kind'>;
  private readonly migratedBytes: Counter;
  private readonly evictedEntries: Counter;
  private readonly failedThreads: Counter;
  private readonly collectFailures: Counter;
  private readonly lag: Gauge;
  private readonly backlogThreads: Gauge;
  private readonly dataLoss: Gauge;
  private state?: CheckpointStateBinding;
  /** One read of the stores per scrape, shared by the three gauges that prom-client collects in parallel. */
  private refreshing?: Promise<void>;

  constructor(options: PrometheusCheckpointMetricsOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    this.reads = new Counter({
      name: 'tiered_checkpoint_reads_total',
      help: 'Checkpoint reads by operation and answering tier (hot: Redis alone; cold: PostgreSQL; both: Redis then PostgreSQL; none: not found).',
      labelNames: ['operation', 'tier'],
      registers,
    });
    this.readSeconds = new Histogram({
      name: 'tiered_checkpoint_read_seconds',
      help: 'Duration of getTuple and list, in seconds.',
      labelNames: ['operation'],
      buckets: OPERATION_SECONDS_BUCKETS,
      registers,
    });
    this.writeSeconds = new Histogram({
      name: 'tiered_checkpoint_write_seconds',
      help: 'Duration of put and putWrites (failed ones included), in seconds.',
      labelNames: ['operation'],
      buckets: OPERATION_SECONDS_BUCKETS,
      registers,
    });
    this.writeFailures = new Counter({
      name: 'tiered_checkpoint_write_failures_total',
      help: 'put and putWrites calls that failed.',
      labelNames: ['operation'],
      registers,
    });
    this.failedThreads = new Counter({
      name: 'tiered_checkpoint_migration_threads_failed_total',
      help: 'Threads whose rows PostgreSQL refused during a migration run (left in Redis, retried next run); any increase needs a look.',
      registers,
    });
    this.migrationRuns = new Counter({
      name: 'tiered_checkpoint_migration_runs_total',
      help: 'Migration runs by result (ok; failed; lease_busy: another replica held the lease).',
      labelNames: ['result'],
      registers,
    });
    this.migrationSeconds = new Histogram({
      name: 'tiered_checkpoint_migration_seconds',
      help: 'Duration of migration runs that held the lease, in seconds.',
      buckets: MIGRATION_SECONDS_BUCKETS,
      registers,
    });
    this.migratedItems = new Counter({
      name: 'tiered_checkpoint_migrated_items_total',
      help: 'Items copied from Redis to PostgreSQL by kind (checkpoints, pending writes, channel values).',
      labelNames: ['kind'],
      registers,
    });
    this.migratedBytes = new Counter({
      name: 'tiered_checkpoint_migrated_bytes_total',
      help: 'Serialized bytes copied from Redis to PostgreSQL.',
      registers,
    });
    this.evictedEntries = new Counter({
      name: 'tiered_checkpoint_evicted_entries_total',
      help: 'Entries removed from Redis after their copy in PostgreSQL committed.',
      registers,
    });
    // Every scrape-time series waits for the same read, so a failure is counted in the very
    // scrape that shows the NaN (prom-client serializes metrics concurrently).
    const collect = () => this.refresh();
    this.collectFailures = new Counter({
      name: 'tiered_checkpoint_state_collect_failures_total',
      help: 'Scrapes during which the backlog or data-loss state could not be read from Redis (the gauges were NaN).',
      registers,
      collect,
    });
    this.lag = new Gauge({
      name: 'tiered_checkpoint_migration_lag_seconds',
      help: 'Age of the oldest entry not yet copied to PostgreSQL beyond the copy window, in seconds (0 if none).',
      registers,
      collect,
    });
    this.backlogThreads = new Gauge({
      name: 'tiered_checkpoint_backlog_threads',
      help: 'Threads with entries waiting to be copied to PostgreSQL.',
      registers,
      collect,
    });
    this.dataLoss = new Gauge({
      name: 'tiered_checkpoint_redis_data_loss',
      help: '1 once Redis was found to have lost its data (restart without persistence, empty failover, flush) since this process started, else 0.',
      registers,
      collect,
    });

    for (const operation of OPERATIONS_READ) {
      this.readSeconds.zero({ operation });
      for (const tier of TIERS) this.reads.inc({ operation, tier }, 0);
    }
    for (const operation of OPERATIONS_WRITE) {
      this.writeSeconds.zero({ operation });
      this.writeFailures.inc({ operation }, 0);
    }
    for (const result of RUN_RESULTS) this.migrationRuns.inc({ result }, 0);
    for (const kind of ITEM_KINDS) this.migratedItems.inc({ kind }, 0);
  }

  /**
   * Binds the scrape-time gauges to the stores. Separate from the constructor because the
   * saver needs this object before the stores it reads exist (see the service's app module).
   */
  observeState(binding: CheckpointStateBinding): void {
    this.state = binding;
  }

  read(operation: 'getTuple' | 'list', tier: AnsweringTier, seconds: number): void {
    this.reads.inc({ operation, tier });
    this.readSeconds.observe({ operation }, seconds);
  }

  /** Observed checkpoint write rate, for the live cost estimate (`GET /admin/cost`). */
  readonly putRate = new PutRateWindow();

  write(operation: 'put' | 'putWrites', seconds: number, ok: boolean): void {
    this.writeSeconds.observe({ operation }, seconds);
    if (ok && operation === 'put') this.putRate.record();
    if (!ok) this.writeFailures.inc({ operation });
  }

  migrationRun(report: MigrationReport, seconds: number): void {
    if (!report.leaseAcquired) {
      this.migrationRuns.inc({ result: 'lease_busy' });
      return;
    }
    this.migrationRuns.inc({ result: 'ok' });
    this.migrationSeconds.observe(seconds);
    this.migratedItems.inc({ kind: 'checkpoints' }, report.checkpointsCopied);
    this.migratedItems.inc({ kind: 'writes' }, report.writesCopied);
    this.migratedItems.inc({ kind: 'blobs' }, report.blobsCopied);
    this.migratedBytes.inc(report.bytesCopied);
    this.evictedEntries.inc(report.entriesEvicted);
    this.failedThreads.inc(report.threadsFailed);
  }

  migrationFailed(_error: unknown): void {
    this.migrationRuns.inc({ result: 'failed' });
  }

  /** The exposition text of this instance's registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content type of {@link metrics} (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.readState().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readState(): Promise<void> {
    const state = this.state;
    if (!state) return; // not bound (yet): the gauges keep their initial 0
    try {
      const [backlog, loss] = await Promise.all([state.source.backlog(), state.source.checkDataLoss?.()]);
      this.lag.set(migrationLagMs(state.clock.now(), backlog.oldestUncopiedAt, state.copyAfterMs) / 1000);
      this.backlogThreads.set(backlog.threadsWaiting);
      if (loss) this.dataLoss.set(loss.lost ? 1 : 0);
    } catch {
      this.lag.set(Number.NaN);
      this.backlogThreads.set(Number.NaN);
      if (state.source.checkDataLoss) this.dataLoss.set(Number.NaN);
      this.collectFailures.inc();
    }
  }
}
