import { describe, expect, it } from '@jest/globals';
import { register as globalRegistry } from 'prom-client';
import { ManualClock } from '../../core/clock.js';
import { emptyMigrationReport, type MigrationReport } from '../../tiering/migration.runner.js';
import { PrometheusCheckpointMetrics, type CheckpointStateSource } from './prometheus-metrics.js';

/** Sample values of one scrape, keyed `name{label="value",...}` with labels sorted by name. */
async function scrape(metrics: PrometheusCheckpointMetrics): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await metrics.metrics()).split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    samples.set(labels ? `${match[1]}{${labels}}` : match[1], Number(match[3]));
  }
  return samples;
}

const HOUR = 3_600_000;

function report(partial: Partial<MigrationReport>): MigrationReport {
  return { ...emptyMigrationReport(0, 0), leaseAcquired: true, batches: 1, ...partial };
}

describe('PrometheusCheckpointMetrics', () => {
  it('uses a registry of its own: two instances never share series, the global registry stays empty', async () => {
    const a = new PrometheusCheckpointMetrics();
    const b = new PrometheusCheckpointMetrics();
    a.read('getTuple', 'hot', 0.001);
    expect((await scrape(a)).get('tiered_checkpoint_reads_total{operation="getTuple",tier="hot"}')).toBe(1);
    expect((await scrape(b)).get('tiered_checkpoint_reads_total{operation="getTuple",tier="hot"}')).toBe(0);
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    expect(a.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('starts every labelled series at 0', async () => {
    const samples = await scrape(new PrometheusCheckpointMetrics());
    for (const operation of ['getTuple', 'list']) {
      for (const tier of ['hot', 'cold', 'both', 'none']) expect(samples.get(`tiered_checkpoint_reads_total{operation="${operation}",tier="${tier}"}`)).toBe(0);
      expect(samples.get(`tiered_checkpoint_read_seconds_count{operation="${operation}"}`)).toBe(0);
    }
    for (const operation of ['put', 'putWrites']) expect(samples.get(`tiered_checkpoint_write_failures_total{operation="${operation}"}`)).toBe(0);
    for (const result of ['ok', 'failed', 'lease_busy']) expect(samples.get(`tiered_checkpoint_migration_runs_total{result="${result}"}`)).toBe(0);
    for (const kind of ['checkpoints', 'writes', 'blobs']) expect(samples.get(`tiered_checkpoint_migrated_items_total{kind="${kind}"}`)).toBe(0);
    expect(samples.get('tiered_checkpoint_migration_lag_seconds')).toBe(0);
    expect(samples.get('tiered_checkpoint_backlog_threads')).toBe(0);
    expect(samples.get('tiered_checkpoint_redis_data_loss')).toBe(0);
  });

  it('counts reads by tier, writes and failures, with latencies in ms-level buckets', async () => {
    const m = new PrometheusCheckpointMetrics();
    m.read('getTuple', 'hot', 0.0004);
    m.read('getTuple', 'hot', 0.0008);
    m.read('getTuple', 'cold', 0.02);
    m.read('list', 'both', 0.03);
    m.write('put', 0.0007, true);
    m.write('put', 0.002, false);
    m.write('putWrites', 0.0009, true);
    const s = await scrape(m);
    expect(s.get('tiered_checkpoint_reads_total{operation="getTuple",tier="hot"}')).toBe(2);
    expect(s.get('tiered_checkpoint_reads_total{operation="getTuple",tier="cold"}')).toBe(1);
    expect(s.get('tiered_checkpoint_reads_total{operation="list",tier="both"}')).toBe(1);
    expect(s.get('tiered_checkpoint_read_seconds_count{operation="getTuple"}')).toBe(3);
    expect(s.get('tiered_checkpoint_read_seconds_bucket{le="0.0005",operation="getTuple"}')).toBe(1);
    expect(s.get('tiered_checkpoint_read_seconds_bucket{le="0.001",operation="getTuple"}')).toBe(2);
    expect(s.get('tiered_checkpoint_write_seconds_count{operation="put"}')).toBe(2);
    expect(s.get('tiered_checkpoint_write_seconds_count{operation="putWrites"}')).toBe(1);
    expect(s.get('tiered_checkpoint_write_failures_total{operation="put"}')).toBe(1);
    expect(s.get('tiered_checkpoint_write_failures_total{operation="putWrites"}')).toBe(0);
  });

  it('counts migration runs by result and what they moved', async () => {
    const m = new PrometheusCheckpointMetrics();
    m.migrationRun(report({ checkpointsCopied: 3, writesCopied: 2, blobsCopied: 4, bytesCopied: 1000, entriesEvicted: 5 }), 0.2);
    m.migrationRun(report({ checkpointsCopied: 1, bytesCopied: 10, entriesEvicted: 1 }), 0.1);
    m.migrationRun(report({ leaseAcquired: false, batches: 0 }), 0.001);
    m.migrationFailed(new Error('postgres down'));
    const s = await scrape(m);
    expect(s.get('tiered_checkpoint_migration_runs_total{result="ok"}')).toBe(2);
    expect(s.get('tiered_checkpoint_migration_runs_total{result="lease_busy"}')).toBe(1);
    expect(s.get('tiered_checkpoint_migration_runs_total{result="failed"}')).toBe(1);
    expect(s.get('tiered_checkpoint_migrated_items_total{kind="checkpoints"}')).toBe(4);
    expect(s.get('tiered_checkpoint_migrated_items_total{kind="writes"}')).toBe(2);
    expect(s.get('tiered_checkpoint_migrated_items_total{kind="blobs"}')).toBe(4);
    expect(s.get('tiered_checkpoint_migrated_bytes_total')).toBe(1010);
    expect(s.get('tiered_checkpoint_evicted_entries_total')).toBe(6);
    expect(s.get('tiered_checkpoint_migration_seconds_count')).toBe(2);
  });

  it('collects lag past the copy window, backlog and data loss on scrape, reading the source once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const state = { oldestUncopiedAt: undefined as number | undefined, threadsWaiting: 0, lost: false, reads: 0 };
    const source: CheckpointStateSource = {
      backlog: async () => {
        state.reads += 1;
        return { oldestUncopiedAt: state.oldestUncopiedAt, threadsWaiting: state.threadsWaiting };
      },
      checkDataLoss: async () => ({ lost: state.lost }),
    };
    const m = new PrometheusCheckpointMetrics();
    m.observeState({ source, clock, copyAfterMs: HOUR });

    // Nothing waits: no lag.
    let s = await scrape(m);
    expect(s.get('tiered_checkpoint_migration_lag_seconds')).toBe(0);
    expect(state.reads).toBe(1);

    // Waiting, but younger than the copy window: not late yet.
    state.oldestUncopiedAt = clock.now();
    state.threadsWaiting = 3;
    clock.advance(HOUR - 1000);
    s = await scrape(m);
    expect(s.get('tiered_checkpoint_migration_lag_seconds')).toBe(0);
    expect(s.get('tiered_checkpoint_backlog_threads')).toBe(3);

    // 90 s past the window.
    clock.advance(91_000);
    state.lost = true;
    s = await scrape(m);
    expect(s.get('tiered_checkpoint_migration_lag_seconds')).toBe(90);
    expect(s.get('tiered_checkpoint_redis_data_loss')).toBe(1);
    expect(state.reads).toBe(3);
  });

  it('reports unknown (NaN) and counts the failure when the state cannot be read, without failing the scrape', async () => {
    const m = new PrometheusCheckpointMetrics();
    m.observeState({ source: { backlog: () => Promise.reject(new Error('redis down')), checkDataLoss: async () => ({ lost: false }) }, clock: new ManualClock(), copyAfterMs: 0 });
    const text = await m.metrics();
    expect(text).toContain('\ntiered_checkpoint_migration_lag_seconds Nan\n');
    const s = await scrape(m);
    expect(s.get('tiered_checkpoint_migration_lag_seconds')).toBeNaN();
    expect(s.get('tiered_checkpoint_backlog_threads')).toBeNaN();
    expect(s.get('tiered_checkpoint_redis_data_loss')).toBeNaN();
    expect(s.get('tiered_checkpoint_state_collect_failures_total')).toBe(2); // one per scrape
  });
});
