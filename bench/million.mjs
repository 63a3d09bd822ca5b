/**
 * `npm run bench -- --million`: a memory-bounded run that pushes 1M checkpoints (small payloads)
 * through the tiered saver and migration, in waves, and reports how latency and bytes grow with
 * the amount of data already in PostgreSQL. Not part of CI; takes a while.
 *
 * Per wave (default 10 waves of 100k checkpoints = 5k threads x 20 steps):
 *   1. write the wave at concurrency 16 (putWrites + put per step; the messages channel keeps
 *      only the last 2 messages, so every checkpoint is a few hundred bytes);
 *   2. measure Redis bytes per checkpoint of the wave (MEMORY USAGE over our keys);
 *   3. migrate everything (clock past the window): checkpoints/s, peak RSS of this process;
 *   4. PostgreSQL bytes per checkpoint (cumulative), Redis bytes left after migration;
 *   5. cold reads on sampled threads of every wave so far (getTuple by id, latest), checked.
 *
 * Memory-bounded: a thread's payloads are generated when it is written and dropped afterwards;
 * only every `sampleEvery`-th thread keeps its record (for the checked reads), and Redis holds
 * at most one wave at a time.
 *
 * Options: --million-size N (default 1000000), --million-wave N (default 100000).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { ClientMeter, RssSampler, Samples, round, runPool } from './lib/measure.mjs';
import { ThreadRecord, checkTuple, makeThread, rng, runStep } from './lib/workload.mjs';
import { Savers, runId } from './lib/savers.mjs';
import { fmt, table } from './lib/report.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function runMillion(baseArgs) {
  const total = Number(baseArgs['million-size']);
  const wave = Math.min(total, Number(baseArgs['million-wave']));
  const steps = 20;
  const window = 2;
  const conc = 16;
  const sampleEvery = 50;
  const readsPerWave = 300;
  const seed = Number(baseArgs.seed);
  const threadsPerWave = Math.ceil(wave / steps);
  const waves = Math.ceil(total / wave);
  const log = (...a) => console.log(...a);
  const startedAt = new Date();
  log(`bench --million run ${runId}: ${waves} waves x ${threadsPerWave} threads x ${steps} steps (${(waves * threadsPerWave * steps).toLocaleString()} checkpoints), small payloads, concurrency ${conc}`);

  const savers = await Savers.create(['tiered'], { tieredOptions: baseArgs['tiered-options'] ? JSON.parse(baseArgs['tiered-options']) : {} });
  process.once('SIGINT', () => {
    console.error('\ninterrupted: cleaning up');
    void savers.cleanup().finally(() => process.exit(130));
  });
  const tiered = savers.get('tiered');
  const saver = tiered.saver;
  const sampled = [];
  let failures = 0;
  const firstFailures = [];
  const fail = (e) => {
    failures += 1;
    if (firstFailures.length < 5) firstFailures.push(String(e?.message ?? e));
    if (failures <= 3) console.error(`  correctness failure: ${e?.message ?? e}`);
  };
  const rows = [];
  const result = { runId, startedAt: startedAt.toISOString(), mode: 'million', total, wave, steps, window, waves: rows };
  let checkpointsInPg = 0;
  try {
    for (let w = 0; w < waves; w += 1) {
      const row = { wave: w + 1 };
      // 1. writes
      const put = new Samples();
      const putWrites = new Samples();
      const meter = new ClientMeter();
      meter.start();
      let written = 0;
      const tasks = Array.from({ length: threadsPerWave }, (_, t) => async () => {
        const index = w * threadsPerWave + t;
        const thread = makeThread(seed, 'm', index, steps, { small: true });
        const rec = new ThreadRecord(thread, { window });
        try {
          for (let i = 0; i < steps; i += 1) await runStep(saver, rec, i, (kind, ms) => (kind === 'put' ? put : putWrites).add(ms));
          written += steps;
        } catch (e) {
          fail(e);
        }
        if (index % sampleEvery === 0) sampled.push(rec);
      });
      const wallMs = await runPool(tasks, conc);
      const client = meter.stop();
      row.written = written;
      row.stepsPerSec = round((written * 1000) / wallMs, 1);
      row.putMs = put.summary();
      row.putWritesMs = putWrites.summary();
      row.clientCpuMsPerStep = round(client.cpuMs / written, 4);
      // 2. Redis bytes of the wave
      const rb = await savers.redisBytes(tiered.prefix);
      row.redisBytesPerCheckpoint = round(rb.bytes / written, 1);
      row.redisKeys = rb.keys;
      // 3. migration
      const rss = new RssSampler();
      rss.start();
      const now = Date.now() + saver.options.hotWindowMs + 3600_000;
      const t0 = performance.now();
      let copied = 0;
      for (;;) {
        const r = await saver.migrate({ now });
        copied += r.checkpointsCopied;
        if (!r.backlogRemaining) break;
      }
      const migMs = performance.now() - t0;
      const mem = rss.stop();
      checkpointsInPg += copied;
      row.migrated = copied;
      row.migrationCheckpointsPerSec = round((copied * 1000) / migMs, 1);
      row.migrationPeakRssMB = round(mem.peakRssBytes / 2 ** 20, 1);
      // 4. bytes after migration
      const pb = await savers.pgBytes(tiered.schema);
      row.checkpointsInPostgres = checkpointsInPg;
      row.postgresBytesPerCheckpoint = round(pb.total / checkpointsInPg, 1);
      row.postgresTables = pb.tables;
      const left = await savers.redisBytes(tiered.prefix);
      row.redisBytesLeftAfterMigration = left.bytes;
      row.redisKeysLeftAfterMigration = left.keys;
      // 5. checked cold reads across all waves so far
      const random = rng(seed + w);
      const byId = new Samples();
      const latest = new Samples();
      for (let k = 0; k < readsPerWave; k += 1) {
        const rec = sampled[Math.floor(random() * sampled.length)];
        const older = rec.steps[Math.floor(random() * (rec.length - 1))];
        const cfg = { configurable: { thread_id: rec.thread.threadId, checkpoint_ns: '' } };
        try {
          let s = performance.now();
          const a = await saver.getTuple({ configurable: { ...cfg.configurable, checkpoint_id: older.id } });
          byId.add(performance.now() - s);
          checkTuple(a, rec, older, { where: `by id ${rec.thread.threadId}` });
          s = performance.now();
          const b = await saver.getTuple(cfg);
          latest.add(performance.now() - s);
          checkTuple(b, rec, rec.latest(), { where: `latest ${rec.thread.threadId}` });
        } catch (e) {
          fail(e);
        }
      }
      row.coldGetTupleByIdMs = byId.summary();
      row.coldGetTupleLatestMs = latest.summary();
      row.rssMB = round(process.memoryUsage.rss() / 2 ** 20, 1);
      // With `node --expose-gc`: live heap after a full GC, to tell a leak from an RSS high-water mark.
      if (typeof globalThis.gc === 'function') {
        globalThis.gc();
        row.heapUsedAfterGcMB = round(process.memoryUsage().heapUsed / 2 ** 20, 1);
      }
      row.loadAverage = loadavg()[0];
      rows.push(row);
      log(
        `wave ${row.wave}/${waves}: ${row.checkpointsInPostgres.toLocaleString()} in PG | writes ${fmt(row.stepsPerSec, 0)} steps/s, put p50 ${fmt(row.putMs.p50, 3)} p99 ${fmt(row.putMs.p99, 3)} ms | ` +
          `Redis ${fmt(row.redisBytesPerCheckpoint, 0)} B/cp | migration ${fmt(row.migrationCheckpointsPerSec, 0)} cp/s, peak RSS ${fmt(row.migrationPeakRssMB, 0)} MB | ` +
          `PG ${fmt(row.postgresBytesPerCheckpoint, 0)} B/cp | cold by id p50 ${fmt(row.coldGetTupleByIdMs.p50, 3)} ms, latest p50 ${fmt(row.coldGetTupleLatestMs.p50, 3)} ms | Redis left ${row.redisKeysLeftAfterMigration} keys${row.heapUsedAfterGcMB !== undefined ? ` | heap after GC ${row.heapUsedAfterGcMB} MB` : ''}`,
      );
    }
  } catch (error) {
    result.error = String(error?.stack ?? error);
    console.error(error);
  } finally {
    result.failures = { total: failures, first: firstFailures };
    result.finishedAt = new Date().toISOString();
    const errors = await savers.cleanup();
    if (errors.length) console.error('cleanup problems:', errors.map((e) => e.message));
  }

  if (rows.length > 0) {
    log('\nhow latency and bytes grow with data size:');
    log(
      table(
        ['checkpoints in PG', 'put p50 ms', 'put p99 ms', 'steps/s', 'migration cp/s', 'peak RSS MB', 'PG B/cp', 'Redis B/cp (wave)', 'Redis keys left', 'cold by id p50', 'cold latest p50'],
        rows.map((r) => [
          r.checkpointsInPostgres.toLocaleString(),
          fmt(r.putMs.p50, 3),
          fmt(r.putMs.p99, 3),
          fmt(r.stepsPerSec, 0),
          fmt(r.migrationCheckpointsPerSec, 0),
          fmt(r.migrationPeakRssMB, 0),
          fmt(r.postgresBytesPerCheckpoint, 0),
          fmt(r.redisBytesPerCheckpoint, 0),
          r.redisKeysLeftAfterMigration,
          fmt(r.coldGetTupleByIdMs.p50, 3),
          fmt(r.coldGetTupleLatestMs.p50, 3),
        ]),
      ),
    );
    // Growth: median of the first three waves vs the last three (single waves are noisy on a shared box).
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const k = Math.min(3, Math.floor(rows.length / 2)) || 1;
    const head = rows.slice(0, k);
    const tail = rows.slice(-k);
    const growth = (f) => `${fmt(med(tail.map(f)) / med(head.map(f)), 2)}x`;
    log(
      `last ${k} waves vs first ${k} (medians): data ${growth((r) => r.checkpointsInPostgres)}, put p50 ${growth((r) => r.putMs.p50)}, put p99 ${growth((r) => r.putMs.p99)}, ` +
        `migration rate ${growth((r) => r.migrationCheckpointsPerSec)}, cold by id p50 ${growth((r) => r.coldGetTupleByIdMs.p50)}, cold latest p50 ${growth((r) => r.coldGetTupleLatestMs.p50)}, ` +
        `PG bytes/checkpoint ${growth((r) => r.postgresBytesPerCheckpoint)}, Redis bytes/checkpoint ${growth((r) => r.redisBytesPerCheckpoint)}, peak RSS ${growth((r) => r.migrationPeakRssMB)}` +
        (rows[0].heapUsedAfterGcMB !== undefined ? `, heap after GC ${growth((r) => r.heapUsedAfterGcMB)}` : ''),
    );
  }
  log(`correctness: ${failures === 0 ? 'every read matched what was written' : `${failures} FAILURES`}`);
  mkdirSync(baseArgs.out, { recursive: true });
  const file = join(baseArgs.out ?? join(ROOT, 'bench-results'), `${startedAt.toISOString().replace(/[:.]/g, '-')}-million.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  log(`results: ${file}`);
  return failures > 0 ? 1 : result.error ? 2 : 0;
}
