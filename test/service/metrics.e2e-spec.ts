import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { RunnableConfig } from '@langchain/core/runnables';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PayloadTooLargeError } from '../../src/errors/tiered-checkpoint.errors.js';
import { AppModule } from '../../src/service/app.module.js';
import { MigrationService } from '../../src/tiering/migration.job.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';

/**
 * `GET /metrics` of the booted service: the saver the app injects reports into the service's
 * Prometheus registry, and the scrape shows exactly what was done through it. The copy window
 * is 0 h so a migration (with the real clock) copies and evicts everything, and the lag gauge is
 * the age of the oldest uncopied entry.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';
const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `tc_metrics_e2e_${suffix}`;
const KEY_PREFIX = `tc-metrics-e2e-${suffix}`;
const MAX_PAYLOAD_BYTES = 64 * 1024;

type Samples = Map<string, number>;

/** One scrape: content type and samples keyed `name{label="value",...}` (labels sorted). */
async function scrape(base: string): Promise<{ status: number; contentType: string | null; text: string; samples: Samples }> {
  const response = await fetch(`${base}/metrics`);
  const text = await response.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    samples.set(labels ? `${match[1]}{${labels}}` : match[1], Number(match[3]));
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, samples };
}

const reads = (s: Samples, operation: string, tier: string) => s.get(`tiered_checkpoint_reads_total{operation="${operation}",tier="${tier}"}`);

describe('GET /metrics (AppModule, real Redis and PostgreSQL)', () => {
  let app: INestApplication;
  let base: string;
  let saver: TieredCheckpointSaver;
  let redis: Redis;

  const thread = (id: string): RunnableConfig => ({ configurable: { thread_id: `${suffix}-${id}`, checkpoint_ns: '' } });

  async function put(config: RunnableConfig, parent: Checkpoint | undefined, values: Record<string, unknown>): Promise<{ config: RunnableConfig; checkpoint: Checkpoint }> {
    const base = parent ?? emptyCheckpoint();
    const max = Object.values(base.channel_versions).sort().pop() as number | undefined;
    const newVersions: Record<string, number> = {};
    for (const ch of Object.keys(values)) newVersions[ch] = saver.getNextVersion(max);
    const checkpoint: Checkpoint = {
      ...base,
      id: uuid6(-3),
      ts: new Date().toISOString(),
      channel_values: { ...base.channel_values, ...values },
      channel_versions: { ...base.channel_versions, ...newVersions },
    };
    const next = await saver.put(config, checkpoint, { source: 'loop', step: 0, parents: {} }, newVersions);
    return { config: next, checkpoint };
  }

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          env: {
            REDIS_URL,
            DATABASE_URL,
            CHECKPOINT_SCHEMA: SCHEMA,
            REDIS_KEY_PREFIX: KEY_PREFIX,
            HOT_WINDOW_HOURS: '0',
            MIGRATION_ENABLED: 'false',
            MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES),
            LOG_LEVEL: 'error',
          },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    saver = app.get(TieredCheckpointSaver);
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await app?.close();
    if (redis) {
      for await (const keys of redis.scanStream({ match: `${KEY_PREFIX}:*`, count: 1000 })) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      await redis.quit();
    }
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists "${SCHEMA}" cascade`);
    await client.end();
  });

  it('reports reads by tier, writes, migrations, and the backlog and lag gauges', async () => {
    const first = await scrape(base);
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(first.text).toContain('# TYPE tiered_checkpoint_reads_total counter');
    expect(reads(first.samples, 'getTuple', 'hot')).toBe(0);
    expect(first.samples.get('tiered_checkpoint_backlog_threads')).toBe(0);
    expect(first.samples.get('tiered_checkpoint_migration_lag_seconds')).toBe(0);

    // Writes: 3 checkpoints on 2 threads, 1 batch of pending writes, 1 put refused as too large.
    const beforeFirstPut = Date.now();
    const a1 = await put(thread('a'), undefined, { messages: ['hi'] });
    const afterFirstPut = Date.now();
    await saver.putWrites(a1.config, [['messages', 'pending']], 'task-1', '~0');
    const a2 = await put(a1.config, a1.checkpoint, { messages: ['hi', 'there'] });
    await put(thread('b'), undefined, { messages: ['other'] });
    await expect(put(thread('c'), undefined, { big: 'x'.repeat(MAX_PAYLOAD_BYTES * 2) })).rejects.toBeInstanceOf(PayloadTooLargeError);

    // Hot reads: latest of a, latest of b, one a page Redis fills alone.
    expect((await saver.getTuple(thread('a')))?.checkpoint.id).toBe(a2.checkpoint.id);
    expect(await saver.getTuple(thread('b'))).toBeDefined();
    const page = [];
    for await (const t of saver.list(thread('a'), { limit: 1 })) page.push(t);
    expect(page).toHaveLength(1);

    const beforeScrape = Date.now();
    const hot = await scrape(base);
    const afterScrape = Date.now();
    expect(reads(hot.samples, 'getTuple', 'hot')).toBe(2);
    expect(reads(hot.samples, 'getTuple', 'cold')).toBe(0);
    expect(reads(hot.samples, 'list', 'hot')).toBe(1);
    expect(hot.samples.get('tiered_checkpoint_read_seconds_count{operation="getTuple"}')).toBe(2);
    expect(hot.samples.get('tiered_checkpoint_read_seconds_count{operation="list"}')).toBe(1);
    expect(hot.samples.get('tiered_checkpoint_write_seconds_count{operation="put"}')).toBe(4);
    expect(hot.samples.get('tiered_checkpoint_write_seconds_count{operation="putWrites"}')).toBe(1);
    expect(hot.samples.get('tiered_checkpoint_write_failures_total{operation="put"}')).toBe(1);
    expect(hot.samples.get('tiered_checkpoint_write_failures_total{operation="putWrites"}')).toBe(0);
    expect(hot.samples.get('tiered_checkpoint_write_seconds_sum{operation="put"}')).toBeGreaterThan(0);
    // Two threads wait for copy; the lag is the age of thread a's first entry (copy window 0).
    expect(hot.samples.get('tiered_checkpoint_backlog_threads')).toBe(2);
    const lag = hot.samples.get('tiered_checkpoint_migration_lag_seconds')!;
    expect(lag).toBeGreaterThanOrEqual((beforeScrape - afterFirstPut) / 1000);
    expect(lag).toBeLessThanOrEqual((afterScrape - beforeFirstPut) / 1000);

    // The cron's path: one run copies and evicts everything.
    const report = await app.get(MigrationService).runNow();
    expect(report).toMatchObject({ leaseAcquired: true, checkpointsCopied: 3, writesCopied: 1 });
    expect(report.blobsCopied).toBeGreaterThan(0);
    expect(report.entriesEvicted).toBeGreaterThan(0);

    // Now a is answered by PostgreSQL; an unknown thread by nobody.
    expect((await saver.getTuple(thread('a')))?.checkpoint.id).toBe(a2.checkpoint.id);
    expect(await saver.getTuple(thread('nobody'))).toBeUndefined();

    // Another replica holds the lease: this run does nothing and says so.
    expect(await saver.hot.acquireLease('other-replica', 60_000)).toBe(true);
    expect((await saver.migrate()).leaseAcquired).toBe(false);
    await saver.hot.releaseLease('other-replica');

    const after = await scrape(base);
    expect(reads(after.samples, 'getTuple', 'hot')).toBe(2);
    expect(reads(after.samples, 'getTuple', 'cold')).toBe(1);
    expect(reads(after.samples, 'getTuple', 'none')).toBe(1);
    expect(reads(after.samples, 'getTuple', 'both')).toBe(0);
    expect(after.samples.get('tiered_checkpoint_migration_runs_total{result="ok"}')).toBe(1);
    expect(after.samples.get('tiered_checkpoint_migration_runs_total{result="lease_busy"}')).toBe(1);
    expect(after.samples.get('tiered_checkpoint_migration_runs_total{result="failed"}')).toBe(0);
    expect(after.samples.get('tiered_checkpoint_migrated_items_total{kind="checkpoints"}')).toBe(3);
    expect(after.samples.get('tiered_checkpoint_migrated_items_total{kind="writes"}')).toBe(1);
    expect(after.samples.get('tiered_checkpoint_migrated_items_total{kind="blobs"}')).toBe(report.blobsCopied);
    expect(after.samples.get('tiered_checkpoint_migrated_bytes_total')).toBe(report.bytesCopied);
    expect(after.samples.get('tiered_checkpoint_evicted_entries_total')).toBe(report.entriesEvicted);
    expect(after.samples.get('tiered_checkpoint_migration_seconds_count')).toBe(1);
    expect(after.samples.get('tiered_checkpoint_backlog_threads')).toBe(0);
    expect(after.samples.get('tiered_checkpoint_migration_lag_seconds')).toBe(0);
    expect(after.samples.get('tiered_checkpoint_redis_data_loss')).toBe(0);

    // Readiness reports the same run.
    const ready = (await (await fetch(`${base}/health/ready`)).json()) as any;
    expect(ready.details.migration).toMatchObject({
      status: 'up',
      lagSeconds: 0,
      lagExceeded: false,
      threadsWaiting: 0,
      consecutiveFailures: 0,
      lastRun: { checkpointsCopied: 3, writesCopied: 1, leaseAcquired: true },
    });
  });

  it('counts a failed migration run', async () => {
    await put(thread('d'), undefined, { messages: ['late'] });
    const failing = jest.spyOn(saver.cold, 'writeMigrationBatch').mockRejectedValueOnce(new Error('PostgreSQL went away'));
    try {
      await expect(saver.migrate()).rejects.toThrow('PostgreSQL went away');
    } finally {
      failing.mockRestore();
    }
    const { samples } = await scrape(base);
    expect(samples.get('tiered_checkpoint_migration_runs_total{result="failed"}')).toBe(1);
    // Nothing was removed from Redis: the thread still waits.
    expect(samples.get('tiered_checkpoint_backlog_threads')).toBe(1);
    await saver.migrate();
    expect((await scrape(base)).samples.get('tiered_checkpoint_backlog_threads')).toBe(0);
  });

  it('turns the data-loss gauge on, and readiness reports the loss without failing', async () => {
    // What a Redis restart without persistence or a FLUSHALL does to the marker.
    await redis.del(`${KEY_PREFIX}:meta:marker`);
    const { samples } = await scrape(base);
    expect(samples.get('tiered_checkpoint_redis_data_loss')).toBe(1);
    const response = await fetch(`${base}/health/ready`);
    const body = (await response.json()) as any;
    expect(response.status).toBe(200);
    expect(body.details.redis).toMatchObject({ status: 'up', dataLoss: { detectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    expect(body.details.redis.warning).toContain('Redis lost its data');
  });
});
