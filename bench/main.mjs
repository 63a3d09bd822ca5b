#!/usr/bin/env node
/**
 * Benchmark harness: one process, one LangGraph-shaped workload, every saver side by side.
 *
 *   npm run bench                  default run (~3-5 min)
 *   npm run bench -- --scale 10    10x the threads of the write-capacity set
 *   npm run bench -- --million     1M-checkpoint migration run with small payloads (see million.mjs)
 *   npm run bench:smoke            tiny run; exits non-zero only on a correctness failure
 *
 * Savers: the tiered saver (hot, then cold after migration, then mixed after resuming threads),
 * PostgresSaver, MemorySaver, and raw floors on the same servers (RawRedisSaver, RawPostgresSaver,
 * the bulk-insert floor). Phases are interleaved round-robin (saver order rotated per round) so
 * drifting background load affects every saver alike; every target is a ratio within this run.
 * Results: printed summary + bench-results/<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ClientMeter, RssSampler, Samples, ServerCpu, procCpuMs, redisBackgroundRate, round, runPool } from './lib/measure.mjs';
import { CheckFailure, Dataset, ThreadRecord, checkList, checkTuple, collect, runStep, rng } from './lib/workload.mjs';
import { Savers, runId } from './lib/savers.mjs';
import { bulkInsertFloor } from './lib/floors.mjs';
import { fmt, table, target, targetLine } from './lib/report.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    scale: { type: 'string', default: '1' },
    million: { type: 'boolean', default: false },
    'million-size': { type: 'string', default: '1000000' },
    'million-wave': { type: 'string', default: '100000' },
    seed: { type: 'string', default: '20261203' },
    rounds: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench-results') },
    phases: { type: 'string' },
    savers: { type: 'string' },
    'tiered-options': { type: 'string' },
  },
  allowPositionals: false,
});


async function main() {
  const smoke = args.smoke;
  const scale = Number(args.scale);
  if (!(scale >= 1)) throw new Error('--scale must be >= 1');
  const seed = Number(args.seed);
  const C = smoke
    ? { warm: 1, warmReads: 4, threads: 8, conc1Threads: 2, steps: 6, rounds: 1, read1: 6, read16: 32, cold1: 6, cold16: 32, mixedThreads: 4, mixedSteps: 3, pings: 20, conc: 16 }
    : { warm: 32, warmReads: 40, threads: 160 * scale, conc1Threads: 24, steps: 12, rounds: 6, read1: 40, read16: 56, cold1: 40, cold16: 56, mixedThreads: 64, mixedSteps: 6, pings: 200, conc: 16 };
  if (args.rounds) C.rounds = Number(args.rounds);
  const phasesWanted = args.phases ? new Set(args.phases.split(',')) : undefined;
  const want = (p) => !phasesWanted || phasesWanted.has(p);
  const saverNames = args.savers ? args.savers.split(',') : ['tiered', 'raw-redis', 'postgres-saver', 'memory', 'raw-pg'];

  const startedAt = new Date();
  const log = (...a) => console.log(...a);
  log(`bench ${smoke ? '(smoke) ' : ''}run ${runId}: ${C.threads} threads x ${C.steps} steps (+${C.conc1Threads} unloaded, +${C.warm} warm-up), ${C.rounds} interleaved rounds, concurrency ${C.conc}`);
  log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores`);

  const failures = new Failures();
  const tieredOptions = args['tiered-options'] ? JSON.parse(args['tiered-options']) : {};
  if (Object.keys(tieredOptions).length > 0) log(`tiered saver options: ${JSON.stringify(tieredOptions)}`);
  const savers = await Savers.create(saverNames, { tieredOptions });
  const cleanup = async () => {
    const errors = await savers.cleanup();
    if (errors.length > 0) console.error('cleanup problems:', errors.map((e) => e.message));
  };
  process.once('SIGINT', () => {
    console.error('\ninterrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  const results = { runId, startedAt: startedAt.toISOString(), smoke, scale, config: C, tieredOptions, env: await environment(savers), phases: {}, targets: [] };
  try {
    const cpuMeter = new ServerCpu({ redisPid: savers.redisPid, pgMonitor: savers.admin, appNames: savers.appNames });
    const totalSteps = C.steps + C.mixedSteps;
    const warm = new Dataset({ seed, prefix: 'warm', threads: C.warm, steps: totalSteps, startIndex: 0 });
    const main = new Dataset({ seed, prefix: 'main', threads: C.threads, steps: totalSteps, startIndex: 1000 });
    const unloaded = new Dataset({ seed, prefix: 'solo', threads: C.conc1Threads, steps: totalSteps, startIndex: 900_000 });
    /** saver -> threadIndex -> ThreadRecord */
    const records = new Map(saverNames.map((n) => [n, new Map()]));
    const ctx = { savers, cpuMeter, failures, records, C, seed, log };

    // ---- writes ---------------------------------------------------------------------------
    await writePhase(ctx, 'warm-up', saverNames, [warm.threads], C.conc, { measure: false });
    results.redisBackgroundCoreFraction = round(await redisBackgroundRate(savers.redisPid, smoke ? 200 : 1000), 4);
    log(`redis-server background CPU (other clients): ${fmt(results.redisBackgroundCoreFraction * 100, 1)}% of a core`);
    results.phases.writes16 = await writePhase(ctx, 'write capacity (conc 16, writes only)', saverNames, split(main.threads, C.rounds), C.conc);
    results.phases.writes1 = await writePhase(ctx, 'unloaded writes (conc 1)', saverNames, split(unloaded.threads, C.rounds), 1);

    // ---- correctness of everything written (deep compare, untimed) -----------------------
    const allThreads = [...warm.threads, ...main.threads, ...unloaded.threads];
    for (const name of saverNames) await verifyAll(ctx, name, allThreads, 'after writes');

    // ---- bytes per checkpoint -------------------------------------------------------------
    results.bytes = {};
    for (const name of saverNames) {
      const e = savers.get(name);
      const checkpoints = countCheckpoints(records.get(name));
      if (e.prefix) {
        const r = await savers.redisBytes(e.prefix);
        results.bytes[name] = { tier: 'redis', checkpoints, ...r, perCheckpoint: round(r.bytes / checkpoints, 1), keysPerCheckpoint: round(r.keys / checkpoints, 2) };
      } else if (e.schema) {
        const r = await savers.pgBytes(e.schema);
        results.bytes[name] = { tier: 'postgres', checkpoints, bytes: r.total, tables: r.tables, perCheckpoint: round(r.total / checkpoints, 1) };
      }
    }

    // ---- hot reads ------------------------------------------------------------------------
    const readers = saverNames;
    if (want('hot')) {
      results.phases.hotReads1 = await readPhase(ctx, 'hot reads (conc 1)', readers, main.threads, C.rounds, C.read1, 1, seed + 1);
      results.phases.hotReads16 = await readPhase(ctx, 'hot reads (conc 16)', readers, main.threads, C.rounds, C.read16, C.conc, seed + 2);
    }

    // ---- migration ------------------------------------------------------------------------
    if (saverNames.includes('tiered') && want('cold')) {
      results.phases.migration = await migrationPhase(ctx, results);
      await verifyAll(ctx, 'tiered', allThreads, 'after migration (cold)');
      const tiered = savers.get('tiered');
      const after = await savers.redisBytes(tiered.prefix);
      results.bytes['tiered:redis-after-migration'] = { tier: 'redis', ...after };
      const pgb = await savers.pgBytes(tiered.schema);
      const checkpoints = countCheckpoints(records.get('tiered'));
      results.bytes['tiered:postgres'] = { tier: 'postgres', checkpoints, bytes: pgb.total, tables: pgb.tables, perCheckpoint: round(pgb.total / checkpoints, 1) };

      // ---- cold reads ---------------------------------------------------------------------
      const coldReaders = ['tiered', 'postgres-saver', 'raw-pg'].filter((n) => saverNames.includes(n));
      tiered.tiers.reset();
      results.phases.coldReads1 = await readPhase(ctx, 'cold reads (conc 1)', coldReaders, main.threads, C.rounds, C.cold1, 1, seed + 3, { ping: C.pings });
      results.phases.coldReads1.tiersAnswering = { ...tiered.tiers.reads };
      tiered.tiers.reset();
      results.phases.coldReads16 = await readPhase(ctx, 'cold reads (conc 16)', coldReaders, main.threads, C.rounds, C.cold16, C.conc, seed + 4);
      results.phases.coldReads16.tiersAnswering = { ...tiered.tiers.reads };

      // ---- mixed: resume threads whose history is in PostgreSQL -----------------------------
      if (want('mixed')) {
        const resumed = main.threads.slice(0, Math.min(C.mixedThreads, main.threads.length));
        const resumers = ['tiered', 'postgres-saver'].filter((n) => saverNames.includes(n));
        results.phases.resumeWrites = await writePhase(ctx, 'resumed threads, history cold (conc 16)', resumers, split(resumed, C.rounds), C.conc, {
          fromStep: C.steps,
          toStep: C.steps + C.mixedSteps,
        });
        for (const name of resumers) await verifyAll(ctx, name, resumed, 'after resuming (mixed)');
        tiered.tiers.reset();
        results.phases.mixedReads1 = await readPhase(ctx, 'mixed reads (conc 1)', resumers, resumed, C.rounds, C.cold1, 1, seed + 5);
        results.phases.mixedReads1.tiersAnswering = { ...tiered.tiers.reads };
        tiered.tiers.reset();
        results.phases.mixedReads16 = await readPhase(ctx, 'mixed reads (conc 16)', resumers, resumed, C.rounds, C.cold16, C.conc, seed + 6);
        results.phases.mixedReads16.tiersAnswering = { ...tiered.tiers.reads };
      }
    }
    results.failures = failures.toJSON();
    results.targets = evaluateTargets(results);
  } catch (error) {
    results.error = String(error?.stack ?? error);
    console.error(error);
  } finally {
    results.loadAverageAtEnd = loadavg();
    results.finishedAt = new Date().toISOString();
    results.failures = failures.toJSON();
    await cleanup();
  }

  printSummary(results, log);
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `${startedAt.toISOString().replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  log(`\nresults: ${file}`);
  if (failures.total > 0) {
    console.error(`CORRECTNESS FAILURES: ${failures.total} (see "failures" in the JSON)`);
    return 1;
  }
  if (results.error) return 2;
  return 0;
}

// ---- phases -------------------------------------------------------------------------------

class Failures {
  constructor() {
    this.bySaver = {};
    this.total = 0;
  }
  add(saver, phase, error) {
    const k = `${saver} / ${phase}`;
    const e = (this.bySaver[k] ??= { count: 0, first: [] });
    e.count += 1;
    this.total += 1;
    if (e.first.length < 5) e.first.push(error instanceof CheckFailure ? error.message : `threw: ${error?.stack ?? error}`);
    if (this.total <= 3) console.error(`  correctness failure [${k}]: ${e.first[e.first.length - 1]}`);
  }
  toJSON() {
    return { total: this.total, bySaver: this.bySaver };
  }
}

function split(items, parts) {
  const out = Array.from({ length: parts }, () => []);
  items.forEach((x, i) => out[i % parts].push(x));
  return out;
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function countCheckpoints(recs) {
  let n = 0;
  for (const r of recs.values()) n += r.length;
  return n;
}

/** Per-saver accumulator of one phase. */
function newAcc() {
  return { wallMs: 0, clientCpuMs: 0, redisCpuMs: 0, pgCpuMs: 0, units: 0, ops: 0, samples: {}, eld: [], perRound: [], slice: {}, sliceUnits: 0 };
}
/** Adds to the phase's samples and to the current round's (for the per-round spread of ratios). */
function sample(acc, kind) {
  const all = (acc.samples[kind] ??= new Samples());
  const slice = (acc.slice[kind] ??= new Samples());
  return { add: (ms) => (all.add(ms), slice.add(ms)) };
}

async function measured(ctx, entry, fn) {
  const meter = new ClientMeter();
  await ctx.cpuMeter.start();
  meter.start();
  const wall = await fn();
  const client = meter.stop();
  const server = await ctx.cpuMeter.stop();
  return {
    wallMs: wall,
    clientCpuMs: client.cpuMs,
    eld: client.eventLoopDelayMs,
    redisCpuMs: server.redisMs ?? 0,
    pgCpuMs: entry.appNames.reduce((n, a) => n + (server.pgByApp[a] ?? 0), 0),
  };
}

function accumulate(acc, m) {
  const units = acc.units - acc.sliceUnits;
  acc.perRound.push({ unitsPerSec: round((units * 1000) / m.wallMs, 1), p50: Object.fromEntries(Object.entries(acc.slice).map(([k, v]) => [k, round(v.percentile(50))])) });
  acc.slice = {};
  acc.sliceUnits = acc.units;
  acc.wallMs += m.wallMs;
  acc.clientCpuMs += m.clientCpuMs;
  acc.redisCpuMs += m.redisCpuMs;
  acc.pgCpuMs += m.pgCpuMs;
  acc.eld.push(m.eld);
}

function finish(acc, unitName, redisBackground) {
  const perUnit = (x) => (acc.units > 0 ? round(x / acc.units, 4) : undefined);
  const redisNet = Math.max(0, acc.redisCpuMs - (redisBackground ?? 0) * acc.wallMs);
  return {
    [unitName]: acc.units,
    ops: acc.ops,
    wallMs: round(acc.wallMs, 1),
    [`${unitName}PerSec`]: round((acc.units * 1000) / acc.wallMs, 1),
    opsPerSec: round((acc.ops * 1000) / acc.wallMs, 1),
    latencyMs: Object.fromEntries(Object.entries(acc.samples).map(([k, s]) => [k, s.summary()])),
    cpuMsPer: {
      unit: unitName,
      client: perUnit(acc.clientCpuMs),
      redis: perUnit(redisNet),
      redisRaw: perUnit(acc.redisCpuMs),
      postgres: perUnit(acc.pgCpuMs),
    },
    perRound: acc.perRound,
    eventLoopDelayMs: {
      p50: round(Math.max(...acc.eld.map((e) => e.p50)), 3),
      p99: round(Math.max(...acc.eld.map((e) => e.p99)), 3),
      max: round(Math.max(...acc.eld.map((e) => e.max)), 3),
    },
  };
}

/**
 * Writes `slices[r]` (threads) on every saver in round r. Each thread's steps run in order; up to
 * `concurrency` threads are in flight. Records what each saver was given in ctx.records.
 */
async function writePhase(ctx, title, names, slices, concurrency, { measure = true, fromStep = 0, toStep = ctx.C.steps } = {}) {
  ctx.log(`\n== ${title}`);
  const phaseStart = performance.now();
  const accs = new Map(names.map((n) => [n, newAcc()]));
  const redisBackground = await redisBackgroundRate(ctx.savers.redisPid, ctx.C.rounds > 1 ? 300 : 100);
  for (let r = 0; r < slices.length; r += 1) {
    for (const name of rotate(names, r)) {
      const entry = ctx.savers.get(name);
      const acc = accs.get(name);
      const recs = ctx.records.get(name);
      const onOp = (kind, ms) => {
        sample(acc, kind).add(ms);
        acc.ops += 1;
      };
      const tasks = slices[r].map((thread) => async () => {
        let rec = recs.get(thread.index);
        if (!rec) recs.set(thread.index, (rec = new ThreadRecord(thread)));
        for (let i = fromStep; i < toStep; i += 1) {
          const t0 = performance.now();
          try {
            await runStep(entry.saver, rec, i, onOp);
          } catch (error) {
            ctx.failures.add(name, title, error);
            return;
          }
          sample(acc, 'step').add(performance.now() - t0);
          acc.units += 1;
        }
      });
      const m = await measured(ctx, entry, () => runPool(tasks, concurrency));
      accumulate(acc, m);
    }
  }
  if (!measure) return undefined;
  const out = {};
  for (const [name, acc] of accs) out[name] = finish(acc, 'steps', redisBackground);
  out.redisBackgroundCpuMsPerMs = round(redisBackground, 4);
  out.phaseSeconds = round((performance.now() - phaseStart) / 1000, 1);
  printWriteTable(ctx.log, out, names);
  ctx.log(`   (phase took ${out.phaseSeconds} s)`);
  return out;
}

/** Deep check of every checkpoint of every thread (one list per thread, plus latest). */
async function verifyAll(ctx, name, threads, when) {
  const entry = ctx.savers.get(name);
  const recs = ctx.records.get(name);
  const tasks = threads.map((thread) => async () => {
    const rec = recs.get(thread.index);
    if (!rec) return;
    const cfg = { configurable: { thread_id: thread.threadId, checkpoint_ns: '' } };
    try {
      const all = await collect(entry.saver.list(cfg));
      checkList(all, rec, [...rec.steps].reverse(), { deep: true, where: `${name} list ${thread.threadId}` });
      const latest = await entry.saver.getTuple(cfg);
      checkTuple(latest, rec, rec.latest(), { deep: true, where: `${name} latest ${thread.threadId}` });
    } catch (error) {
      ctx.failures.add(name, `verify ${when}`, error);
    }
  });
  const t0 = performance.now();
  await runPool(tasks, 8);
  ctx.log(`   verified ${name} ${when}: ${threads.length} threads, every checkpoint deep-compared (${fmt((performance.now() - t0) / 1000, 1)} s)`);
}

/**
 * Read rounds: latest getTuple, getTuple of an older checkpoint by id, list({limit: 10}), each
 * checked against what was written. The picks (thread, older step) come from a seeded RNG per
 * round, so every saver reads the same checkpoints. `ping`: also time that many Redis PINGs
 * (one round trip) per round.
 */
async function readPhase(ctx, title, names, threads, rounds, perSlice, concurrency, seed, { ping = 0, warm = ctx.C.warmReads, quiet = false } = {}) {
  if (!quiet) ctx.log(`\n== ${title}`);
  const phaseStart = performance.now();
  // Unmeasured warm-up rounds per saver (JIT, pools, prepared statements), checked like the rest.
  if (warm > 0) {
    await readPhase(ctx, `${title} (warm-up)`, names, threads, 1, warm, 4, seed + 7777, { warm: 0, quiet: true });
    for (const n of names) ctx.savers.get(n).tiers?.reset();
  }
  const accs = new Map(names.map((n) => [n, newAcc()]));
  const pingSamples = new Samples();
  const redisBackground = quiet ? 0 : await redisBackgroundRate(ctx.savers.redisPid, rounds > 1 ? 300 : 100);
  for (let r = 0; r < rounds; r += 1) {
    const random = rng(seed * 31 + r);
    const picks = Array.from({ length: perSlice }, () => ({ t: Math.floor(random() * threads.length), k: random() }));
    for (const name of rotate(names, r)) {
      const entry = ctx.savers.get(name);
      const acc = accs.get(name);
      const recs = ctx.records.get(name);
      const tasks = picks.map(({ t, k }) => async () => {
        const rec = recs.get(threads[t].index);
        const saver = entry.saver;
        const threadId = rec.thread.threadId;
        const older = rec.steps[Math.floor(k * (rec.length - 1))];
        const cfg = { configurable: { thread_id: threadId, checkpoint_ns: '' } };
        let spent = 0;
        try {
          let t0 = performance.now();
          const latest = await saver.getTuple(cfg);
          let ms = performance.now() - t0;
          sample(acc, 'getTuple latest').add(ms);
          spent += ms;
          checkTuple(latest, rec, rec.latest(), { where: `${name} latest ${threadId}` });

          t0 = performance.now();
          const byId = await saver.getTuple({ configurable: { ...cfg.configurable, checkpoint_id: older.id } });
          ms = performance.now() - t0;
          sample(acc, 'getTuple by id').add(ms);
          spent += ms;
          checkTuple(byId, rec, older, { where: `${name} by id ${threadId}` });

          t0 = performance.now();
          const page = await collect(saver.list(cfg, { limit: 10 }));
          ms = performance.now() - t0;
          sample(acc, 'list 10').add(ms);
          spent += ms;
          checkList(page, rec, rec.steps.slice(-10).reverse(), { where: `${name} list ${threadId}` });
          sample(acc, 'round').add(spent);
        } catch (error) {
          ctx.failures.add(name, title, error);
        }
        acc.units += 1;
        acc.ops += 3;
      });
      const m = await measured(ctx, entry, () => runPool(tasks, concurrency));
      accumulate(acc, m);
    }
    for (let i = 0; i < ping; i += 1) {
      const t0 = performance.now();
      await ctx.savers.redis.ping();
      pingSamples.add(performance.now() - t0);
    }
  }
  const out = {};
  for (const [name, acc] of accs) out[name] = finish(acc, 'rounds', redisBackground);
  if (ping > 0) out.redisPing = { latencyMs: { ping: pingSamples.summary() } };
  out.redisBackgroundCpuMsPerMs = round(redisBackground, 4);
  out.phaseSeconds = round((performance.now() - phaseStart) / 1000, 1);
  if (quiet) return out;
  printReadTable(ctx.log, out, names);
  ctx.log(`   (phase took ${out.phaseSeconds} s)`);
  return out;
}

/** Migrates everything the tiered saver holds (clock far past the window), then the bulk floor. */
async function migrationPhase(ctx, results) {
  ctx.log('\n== migration (everything hot -> PostgreSQL) vs bulk-insert floor');
  const tiered = ctx.savers.get('tiered');
  const now = Date.now() + tiered.saver.options.hotWindowMs + 3600_000;
  const rss = new RssSampler();
  const totals = { runs: 0, batches: 0, checkpointsCopied: 0, writesCopied: 0, blobsCopied: 0, bytesCopied: 0, entriesEvicted: 0 };
  rss.start();
  const m = await measured(ctx, tiered, async () => {
    const t0 = performance.now();
    for (;;) {
      const report = await tiered.saver.migrate({ now });
      totals.runs += 1;
      for (const k of Object.keys(totals)) if (k !== 'runs') totals[k] += report[k] ?? 0;
      if (!report.backlogRemaining) break;
    }
    return performance.now() - t0;
  });
  const mem = rss.stop();
  const migration = {
    ...totals,
    ms: round(m.wallMs, 1),
    checkpointsPerSec: round((totals.checkpointsCopied * 1000) / m.wallMs, 1),
    cpuMsPerCheckpoint: {
      client: round(m.clientCpuMs / totals.checkpointsCopied, 4),
      redis: round(m.redisCpuMs / totals.checkpointsCopied, 4),
      postgres: round(m.pgCpuMs / totals.checkpointsCopied, 4),
    },
    rss: mem,
    eventLoopDelayMs: m.eld,
  };

  const bulk = await ctx.savers.bulkFloorSchema();
  ctx.cpuMeter.appNames.push(bulk.appName);
  const bm = await measured(ctx, { appNames: [bulk.appName] }, async () => {
    const r = await bulkInsertFloor(bulk.pool, tiered.schema, bulk.schema, tiered.saver.options.migrationBatchSize);
    migration.floor = r;
    return r.ms;
  });
  migration.floor.checkpointsPerSec = round((migration.floor.checkpoints * 1000) / bm.wallMs, 1);
  migration.floor.cpuMsPerCheckpoint = { client: round(bm.clientCpuMs / migration.floor.checkpoints, 4), postgres: round(bm.pgCpuMs / migration.floor.checkpoints, 4) };
  const fb = await ctx.savers.pgBytes(bulk.schema);
  migration.floor.bytes = fb.total;
  results.bytes['bulk-floor:postgres'] = { tier: 'postgres', checkpoints: migration.floor.checkpoints, bytes: fb.total, tables: fb.tables, perCheckpoint: round(fb.total / migration.floor.checkpoints, 1) };

  ctx.log(
    table(
      ['', 'checkpoints', 'ms', 'checkpoints/s', 'client CPU ms/cp', 'redis CPU ms/cp', 'pg CPU ms/cp', 'peak RSS MB (+delta)'],
      [
        [
          'tiered migrate()',
          totals.checkpointsCopied,
          fmt(m.wallMs, 0),
          fmt(migration.checkpointsPerSec, 0),
          fmt(migration.cpuMsPerCheckpoint.client, 3),
          fmt(migration.cpuMsPerCheckpoint.redis, 3),
          fmt(migration.cpuMsPerCheckpoint.postgres, 3),
          `${fmt(mem.peakRssBytes / 2 ** 20, 0)} (+${fmt(mem.peakDeltaBytes / 2 ** 20, 0)})`,
        ],
        ['bulk-insert floor', migration.floor.checkpoints, fmt(bm.wallMs, 0), fmt(migration.floor.checkpointsPerSec, 0), fmt(migration.floor.cpuMsPerCheckpoint.client, 3), '–', fmt(migration.floor.cpuMsPerCheckpoint.postgres, 3), '–'],
      ],
    ),
  );
  return migration;
}

// ---- targets & printing ---------------------------------------------------------------------

function p50(phase, saver, op) {
  return phase?.[saver]?.latencyMs?.[op]?.p50;
}

/** min..max over the interleaved rounds of a per-round ratio (how robust a verdict is). */
function spread(phase, a, b, metric) {
  const ra = phase?.[a]?.perRound ?? [];
  const rb = phase?.[b]?.perRound ?? [];
  const ratios = ra.map((x, i) => (rb[i] ? metric(x, rb[i]) : NaN)).filter(Number.isFinite);
  if (ratios.length < 2) return '';
  return `per round ${fmt(Math.min(...ratios), 2)}..${fmt(Math.max(...ratios), 2)}`;
}
const tput = (x, y) => x.unitsPerSec / y.unitsPerSec;
const p50r = (op) => (x, y) => x.p50[op] / y.p50[op];
const p50inv = (op) => (x, y) => y.p50[op] / x.p50[op];
const both = (...parts) => parts.filter(Boolean).join('; ');

function evaluateTargets(R) {
  const P = R.phases;
  const T = [];
  const w16 = P.writes16;
  if (w16) {
    T.push(target('write-capacity-vs-raw-redis', 'write capacity, conc 16 (steps/s) vs raw Redis floor', w16.tiered?.stepsPerSec / w16['raw-redis']?.stepsPerSec, '>=', 0.8, both(`${fmt(w16.tiered?.stepsPerSec, 0)} vs ${fmt(w16['raw-redis']?.stepsPerSec, 0)} steps/s`, spread(w16, 'tiered', 'raw-redis', tput))));
    T.push(target('write-capacity-vs-postgres-saver', 'write capacity, conc 16 (steps/s) vs PostgresSaver', w16.tiered?.stepsPerSec / w16['postgres-saver']?.stepsPerSec, '>=', 3, both(`${fmt(w16.tiered?.stepsPerSec, 0)} vs ${fmt(w16['postgres-saver']?.stepsPerSec, 0)} steps/s`, spread(w16, 'tiered', 'postgres-saver', tput))));
  }
  if (P.writes1) {
    T.push(target('put-p50-vs-raw-redis', 'unloaded put p50 (conc 1) / raw Redis floor put p50', p50(P.writes1, 'tiered', 'put') / p50(P.writes1, 'raw-redis', 'put'), '<=', 1.5, both(`${fmt(p50(P.writes1, 'tiered', 'put'), 3)} ms vs ${fmt(p50(P.writes1, 'raw-redis', 'put'), 3)} ms`, spread(P.writes1, 'tiered', 'raw-redis', p50r('put')))));
  }
  if (P.hotReads1) {
    const t = p50(P.hotReads1, 'tiered', 'round');
    T.push(target('hot-read-round-vs-raw-redis', 'hot read round p50 (latest + by id + list 10, conc 1) / raw Redis floor', t / p50(P.hotReads1, 'raw-redis', 'round'), '<=', 1.3, both(`${fmt(t, 3)} ms vs ${fmt(p50(P.hotReads1, 'raw-redis', 'round'), 3)} ms`, spread(P.hotReads1, 'tiered', 'raw-redis', p50r('round')))));
    T.push(target('hot-read-round-vs-postgres-saver', 'hot read round speed-up over PostgresSaver (its p50 / ours)', p50(P.hotReads1, 'postgres-saver', 'round') / t, '>=', 3, both(`${fmt(p50(P.hotReads1, 'postgres-saver', 'round'), 3)} ms vs ${fmt(t, 3)} ms`, spread(P.hotReads1, 'tiered', 'postgres-saver', p50inv('round')))));
  }
  if (P.coldReads1) {
    const ping = P.coldReads1.redisPing?.latencyMs?.ping?.p50;
    for (const op of ['getTuple by id', 'getTuple latest']) {
      const ours = p50(P.coldReads1, 'tiered', op);
      const floor = p50(P.coldReads1, 'raw-pg', op) + ping;
      T.push(target(`cold-${op.replace(/ /g, '-')}-vs-floor`, `cold ${op} p50 / (raw PostgreSQL floor + one Redis round trip)`, ours / floor, '<=', 1.2, both(`${fmt(ours, 3)} ms vs ${fmt(p50(P.coldReads1, 'raw-pg', op), 3)} + ${fmt(ping, 3)} ms`, spread(P.coldReads1, 'tiered', 'raw-pg', (x, y) => x.p50[op] / (y.p50[op] + ping)))));
      T.push(target(`cold-${op.replace(/ /g, '-')}-vs-postgres-saver`, `cold ${op} p50 / PostgresSaver's`, ours / p50(P.coldReads1, 'postgres-saver', op), '<', 1, both(`${fmt(ours, 3)} ms vs ${fmt(p50(P.coldReads1, 'postgres-saver', op), 3)} ms`, spread(P.coldReads1, 'tiered', 'postgres-saver', p50r(op)))));
    }
  }
  if (P.migration) {
    T.push(
      target('migration-vs-bulk-floor', 'migration checkpoints/s / bulk-insert floor', P.migration.checkpointsPerSec / P.migration.floor.checkpointsPerSec, '>=', 0.5, `${fmt(P.migration.checkpointsPerSec, 0)}/s vs ${fmt(P.migration.floor.checkpointsPerSec, 0)}/s; peak RSS ${fmt(P.migration.rss.peakRssBytes / 2 ** 20, 0)} MB (+${fmt(P.migration.rss.peakDeltaBytes / 2 ** 20, 0)} MB during migration)`),
    );
  }
  const B = R.bytes ?? {};
  if (B.tiered && B['raw-redis']) {
    T.push(target('redis-bytes-vs-raw-floor', 'Redis bytes per checkpoint / raw floor (whole checkpoint per put)', B.tiered.perCheckpoint / B['raw-redis'].perCheckpoint, '<=', 1, `${fmt(B.tiered.perCheckpoint, 0)} B vs ${fmt(B['raw-redis'].perCheckpoint, 0)} B`));
  }
  if (B['tiered:postgres'] && B['postgres-saver']) {
    T.push(target('postgres-bytes-vs-postgres-saver', 'PostgreSQL bytes per checkpoint / PostgresSaver', B['tiered:postgres'].perCheckpoint / B['postgres-saver'].perCheckpoint, '<=', 1, `${fmt(B['tiered:postgres'].perCheckpoint, 0)} B vs ${fmt(B['postgres-saver'].perCheckpoint, 0)} B`));
  }
  return T;
}

function printWriteTable(log, out, names) {
  const rows = names.map((n) => {
    const r = out[n];
    const put = r.latencyMs.put ?? {};
    const pw = r.latencyMs.putWrites ?? {};
    return [n, fmt(r.stepsPerSec, 0), fmt(r.opsPerSec, 0), `${fmt(put.p50, 3)}/${fmt(put.p95, 3)}/${fmt(put.p99, 3)}`, `${fmt(pw.p50, 3)}/${fmt(pw.p95, 3)}/${fmt(pw.p99, 3)}`, fmt(r.cpuMsPer.client, 3), fmt(r.cpuMsPer.redis, 3), fmt(r.cpuMsPer.postgres, 3), fmt(r.eventLoopDelayMs.p99, 1)];
  });
  log(table(['saver', 'steps/s', 'ops/s', 'put p50/p95/p99 ms', 'putWrites p50/p95/p99 ms', 'client CPU ms/step', 'redis CPU ms/step', 'pg CPU ms/step', 'ELD p99 ms'], rows));
  ratioLines(log, out, names, (r) => r.stepsPerSec, 'steps/s', true);
  ratioLines(log, out, names, (r) => r.latencyMs.put?.p50, 'put p50', false);
}

function printReadTable(log, out, names) {
  const rows = [];
  for (const n of names) {
    const r = out[n];
    const l = r.latencyMs;
    const pct = (s) => (s ? `${fmt(s.p50, 3)}/${fmt(s.p95, 3)}/${fmt(s.p99, 3)}` : '–');
    rows.push([n, fmt(r.roundsPerSec, 0), fmt(r.opsPerSec, 0), pct(l['round']), pct(l['getTuple latest']), pct(l['getTuple by id']), pct(l['list 10']), fmt(r.cpuMsPer.client, 3), fmt(r.cpuMsPer.redis, 3), fmt(r.cpuMsPer.postgres, 3), fmt(r.eventLoopDelayMs.p99, 1)]);
  }
  if (out.redisPing) rows.push(['redis PING', '', '', '', `${fmt(out.redisPing.latencyMs.ping.p50, 3)} (p50)`, '', '', '', '', '', '']);
  log(table(['saver', 'rounds/s', 'ops/s', 'round p50/p95/p99 ms', 'latest p50/p95/p99', 'by id p50/p95/p99', 'list 10 p50/p95/p99', 'client CPU ms/round', 'redis CPU ms/round', 'pg CPU ms/round', 'ELD p99 ms'], rows));
  ratioLines(log, out, names, (r) => r.latencyMs.round?.p50, 'round p50', false);
}

/** "x anchor" ratios of every saver against every other (lower-is-better metrics as ours/anchor). */
function ratioLines(log, out, names, metric, label, higherIsBetter) {
  const anchors = names.filter((n) => out[n] && Number.isFinite(metric(out[n])));
  if (anchors.length < 2) return;
  const rows = anchors.map((n) => [n, ...anchors.map((a) => (a === n ? '1' : `${fmt(metric(out[n]) / metric(out[a]), 2)}x`))]);
  log(`   ${label} relative to each anchor (row / column; ${higherIsBetter ? 'higher is better' : 'lower is better'}):`);
  log(
    table([label, ...anchors], rows)
      .split('\n')
      .map((l) => `   ${l}`)
      .join('\n'),
  );
}

function printSummary(R, log) {
  log('\n================ SUMMARY ================');
  log(`run ${R.runId}${R.smoke ? ' (smoke)' : ''}, scale ${R.scale}, ${R.config.threads} threads x ${R.config.steps} steps, node ${R.env?.node}, ${R.env?.cpus} cores, load avg ${R.env?.loadAverage?.map((x) => x.toFixed(2)).join(' ')} -> ${R.loadAverageAtEnd?.map((x) => x.toFixed(2)).join(' ')}`);
  if (R.bytes) {
    log('\nbytes per checkpoint:');
    const rows = Object.entries(R.bytes)
      .filter(([, b]) => b.perCheckpoint !== undefined)
      .map(([name, b]) => [name, b.tier, b.checkpoints, b.bytes, fmt(b.perCheckpoint, 0), b.keysPerCheckpoint !== undefined ? fmt(b.keysPerCheckpoint, 2) : '']);
    log(table(['store', 'tier', 'checkpoints', 'bytes', 'bytes/checkpoint', 'keys/checkpoint'], rows));
    for (const [name, b] of Object.entries(R.bytes)) {
      if (b.byKind && b.checkpoints) {
        const parts = Object.entries(b.byKind)
          .sort((x, y) => y[1].bytes - x[1].bytes)
          .map(([k, v]) => `${k} ${fmt(v.bytes / b.checkpoints, 0)} B (${v.keys} keys)`);
        log(`   ${name} Redis bytes/checkpoint by key kind: ${parts.join(', ')}`);
      }
      if (b.tables && b.checkpoints) {
        const parts = Object.entries(b.tables)
          .filter(([, v]) => v.total > 0)
          .sort((x, y) => y[1].total - x[1].total)
          .map(([k, v]) => `${k} ${fmt(v.total / b.checkpoints, 0)} B (heap ${fmt(v.heap / b.checkpoints, 0)}, idx ${fmt(v.indexes / b.checkpoints, 0)}, toast ${fmt(v.toast / b.checkpoints, 0)})`);
        log(`   ${name} PostgreSQL bytes/checkpoint by table: ${parts.join('; ')}`);
      }
    }
    const after = R.bytes['tiered:redis-after-migration'];
    if (after) log(`   tiered Redis after migration: ${after.keys} keys, ${after.bytes} bytes left`);
  }
  for (const [name, phase] of Object.entries(R.phases ?? {})) {
    if (phase?.tiersAnswering) log(`tier that answered tiered reads in ${name}: ${JSON.stringify(phase.tiersAnswering)}`);
  }
  log('\ntargets (ratios within this run):');
  for (const t of R.targets ?? []) log(`  ${targetLine(t)}`);
  const passed = (R.targets ?? []).filter((t) => t.pass).length;
  log(`  ${passed}/${(R.targets ?? []).length} targets met`);
  log(`correctness: ${R.failures?.total === 0 ? 'every read matched what was written' : `${R.failures?.total} FAILURES`}`);
  if (R.error) log(`run aborted: ${R.error.split('\n')[0]}`);
}

async function environment(savers) {
  const redisInfo = await savers.redis.info('server');
  const pgv = await savers.admin.query('SHOW server_version');
  const sync = await savers.admin.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers')");
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemBytes: totalmem(),
    loadAverage: loadavg(),
    redisVersion: /redis_version:(\S+)/.exec(redisInfo)?.[1],
    redisPid: savers.redisPid,
    redisCpuReadable: savers.redisPid ? procCpuMs(savers.redisPid) !== undefined : false,
    postgresVersion: pgv.rows[0].server_version,
    postgresSettings: Object.fromEntries(sync.rows.map((r) => [r.name, r.setting])),
  };
}

// Last, so every class and function above is initialized.
if (args.million) {
  const { runMillion } = await import('./million.mjs');
  process.exitCode = await runMillion(args);
} else {
  process.exitCode = await main();
}
