#!/usr/bin/env node
/**
 * Profiles one operation of one saver on the bench workload, with the V8 CPU profiler running
 * only around the measured loop (setup, data loading and migration before a cold read are not
 * in the profile). Prints wall time vs client CPU (the rest is waiting on the servers), where
 * the CPU goes by module and function, and writes the .cpuprofile (open it in Chrome DevTools).
 *
 *   node bench/profile.mjs --op write      --saver tiered [--threads 64] [--conc 1]
 *   node bench/profile.mjs --op hot-read   --saver raw-redis [--reads latest,byid,list]
 *   node bench/profile.mjs --op cold-read  --saver tiered --reads byid
 *   node bench/profile.mjs --op migrate    --saver tiered --threads 200
 *   node bench/profile.mjs --op write --saver tiered --commands   (no profiler: Redis commands,
 *        sequential Redis round trips and bytes sent per operation, PostgreSQL calls per operation)
 *
 * Savers: tiered, raw-redis, postgres-saver, raw-pg, memory. Run `npm run build` first.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Dataset, ThreadRecord, checkList, checkTuple, collect, rng, runStep } from './lib/workload.mjs';
import { Savers } from './lib/savers.mjs';
import { runPool, Samples } from './lib/measure.mjs';
import { printSummary, summarize } from './tools/cpuprofile-summary.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    op: { type: 'string', default: 'write' },
    saver: { type: 'string', default: 'tiered' },
    threads: { type: 'string', default: '64' },
    steps: { type: 'string', default: '12' },
    conc: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '300' },
    reads: { type: 'string', default: 'latest,byid,list' },
    seed: { type: 'string', default: '20261203' },
    out: { type: 'string', default: join(ROOT, 'bench-results', 'profiles') },
    top: { type: 'string', default: '30' },
    commands: { type: 'boolean', default: false },
  },
});

const savers = await Savers.create([a.saver]);
const entry = savers.get(a.saver);
const dataset = new Dataset({ seed: Number(a.seed), prefix: 'prof', threads: Number(a.threads), steps: Number(a.steps), startIndex: 5000 });
const records = dataset.threads.map((t) => new ThreadRecord(t));
const conc = Number(a.conc);
const steps = Number(a.steps);
const lat = new Map();
const onOp = (kind, ms) => (lat.get(kind) ?? lat.set(kind, new Samples()).get(kind)).add(ms);
const writeAll = () => runPool(records.map((rec) => async () => { for (let i = 0; i < steps; i += 1) await runStep(entry.saver, rec, i, onOp); }), conc);

/**
 * --commands: counts what each saver operation sends. Commands issued in the same synchronous
 * run go out back to back (one round trip); a command issued after awaiting a reply starts a new
 * round trip. Per operation kind: commands by name, round trips, bytes of arguments.
 */
const tally = new Map();
let currentOp;
if (a.commands) {
  const clients = [entry.saver.hot?.client, entry.saver.client].filter(Boolean);
  for (const client of clients) {
    const original = client.sendCommand.bind(client);
    let inBatch = false;
    client.sendCommand = (command, stream) => {
      if (currentOp) {
        const t = currentOp;
        t.commands[command.name] = (t.commands[command.name] ?? 0) + 1;
        if (!inBatch) {
          t.roundTrips += 1;
          inBatch = true;
          queueMicrotask(() => (inBatch = false));
        }
        for (const arg of command.args) t.bytes += typeof arg === 'string' ? Buffer.byteLength(arg) : (arg?.length ?? 0);
      }
      return original(command, stream);
    };
  }
  if (entry.saver.cold) {
    for (const m of ['getTuple', 'getBlobs', 'list', 'readThreadEpochs', 'writeMigrationBatch']) {
      const orig = entry.saver.cold[m].bind(entry.saver.cold);
      entry.saver.cold[m] = (...args) => {
        if (currentOp) currentOp.postgres[m] = (currentOp.postgres[m] ?? 0) + 1;
        return orig(...args);
      };
    }
  }
  for (const m of ['put', 'putWrites', 'getTuple', 'migrate']) {
    if (typeof entry.saver[m] !== 'function') continue;
    const orig = entry.saver[m].bind(entry.saver);
    entry.saver[m] = async (...args) => {
      if (a.op === 'migrate' && m !== 'migrate') return orig(...args);
      const kind = m === 'getTuple' ? (args[0]?.configurable?.checkpoint_id ? 'getTuple by id' : 'getTuple latest') : m;
      const t = tally.get(kind) ?? tally.set(kind, { n: 0, commands: {}, roundTrips: 0, bytes: 0, postgres: {} }).get(kind);
      t.n += 1;
      currentOp = t;
      try {
        return await orig(...args);
      } finally {
        currentOp = undefined;
      }
    };
  }
  const origList = entry.saver.list.bind(entry.saver);
  entry.saver.list = async function* (...args) {
    const t = tally.get('list 10') ?? tally.set('list 10', { n: 0, commands: {}, roundTrips: 0, bytes: 0, postgres: {} }).get('list 10');
    t.n += 1;
    currentOp = t;
    try {
      const all = await collect(origList(...args));
      currentOp = undefined;
      yield* all;
    } finally {
      currentOp = undefined;
    }
  };
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });

let work;
let units;
if (a.op === 'write') {
  work = writeAll;
  units = () => records.length * steps;
} else {
  await runPool(records.map((rec) => async () => { for (let i = 0; i < steps; i += 1) await runStep(entry.saver, rec, i, () => undefined); }), 8);
  if (a.op === 'cold-read' || a.op === 'migrate') {
    if (a.saver !== 'tiered') throw new Error(`--op ${a.op} needs --saver tiered`);
  }
  if (a.op === 'cold-read') {
    const now = Date.now() + entry.saver.options.hotWindowMs + 3600_000;
    while ((await entry.saver.migrate({ now })).backlogRemaining);
  }
  if (a.op === 'migrate') {
    const now = Date.now() + entry.saver.options.hotWindowMs + 3600_000;
    let copied = 0;
    work = async () => {
      const t0 = performance.now();
      for (;;) {
        const r = await entry.saver.migrate({ now });
        copied += r.checkpointsCopied;
        if (!r.backlogRemaining) break;
      }
      return performance.now() - t0;
    };
    units = () => copied;
  } else {
    const reads = new Set(a.reads.split(','));
    const random = rng(Number(a.seed));
    const n = Number(a.rounds);
    const tasks = Array.from({ length: n }, () => {
      const rec = records[Math.floor(random() * records.length)];
      const older = rec.steps[Math.floor(random() * (rec.length - 1))];
      return async () => {
        const cfg = { configurable: { thread_id: rec.thread.threadId, checkpoint_ns: '' } };
        let t0 = performance.now();
        if (reads.has('latest')) {
          const t = await entry.saver.getTuple(cfg);
          onOp('getTuple latest', performance.now() - t0);
          checkTuple(t, rec, rec.latest(), { where: 'latest' });
        }
        if (reads.has('byid')) {
          t0 = performance.now();
          const t = await entry.saver.getTuple({ configurable: { ...cfg.configurable, checkpoint_id: older.id } });
          onOp('getTuple by id', performance.now() - t0);
          checkTuple(t, rec, older, { where: 'by id' });
        }
        if (reads.has('list')) {
          t0 = performance.now();
          const page = await collect(entry.saver.list(cfg, { limit: 10 }));
          onOp('list 10', performance.now() - t0);
          checkList(page, rec, rec.steps.slice(-10).reverse(), { where: 'list' });
        }
      };
    });
    work = () => runPool(tasks, conc);
    units = () => n;
  }
}

if (a.commands) {
  await work();
  console.log(`${a.op} on ${a.saver} (concurrency ${conc}; sequential = commands issued after awaiting a reply):`);
  for (const [kind, t] of tally) {
    const per = (x) => (x / t.n).toFixed(2);
    const cmds = Object.entries(t.commands).map(([c, n]) => `${c} ${per(n)}`).join(', ');
    const pgCalls = Object.entries(t.postgres).map(([c, n]) => `${c} ${per(n)}`).join(', ');
    console.log(`  ${kind} (n=${t.n}): ${per(t.roundTrips)} Redis round trips, commands/op: ${cmds || 'none'}; ${per(t.bytes)} bytes sent${pgCalls ? `; PostgreSQL calls/op: ${pgCalls}` : ''}`);
  }
  await savers.cleanup();
  process.exit(0);
}

const cpu0 = process.cpuUsage();
await session.post('Profiler.start');
const wall = await work();
const { profile } = await session.post('Profiler.stop');
const cpu = process.cpuUsage(cpu0);
session.disconnect();

mkdirSync(a.out, { recursive: true });
const file = join(a.out, `${a.op}-${a.saver}-${Date.now()}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(`${a.op} on ${a.saver}: ${units()} units in ${wall.toFixed(0)} ms wall, client CPU ${cpuMs.toFixed(0)} ms (${((100 * cpuMs) / wall).toFixed(0)}% busy); per unit: ${(wall / units()).toFixed(3)} ms wall, ${(cpuMs / units()).toFixed(3)} ms CPU`);
for (const [k, s] of lat) console.log(`  ${k}: ${JSON.stringify(s.summary())}`);
printSummary(
  summarize(profile, {
    top: Number(a.top),
    focus: [
      'put', 'putWrites', 'getTuple', 'list', 'encodePut', 'encodeWrites', 'putCheckpoint', 'indexAfter', 'decodeHot', 'decodeCold', 'assemble', 'decodeWrites',
      'getTuples', 'resolveLookup', 'fromHot', 'listHot', 'hotPageIsComplete', 'coldMaxes', 'listIds', 'dumpsTyped', 'loadsTyped', '_dumps', '_loads', 'load',
      'toColdCheckpoint', '$queryRawUnsafe', '$executeRawUnsafe', '$transaction', 'writeMigrationBatch', 'insertPrepared', 'readBatch', 'readEntries', 'toBatch',
      'toColdRow', 'prepareBatch', 'finishCopy', 'reindexThread', 'toBase64', 'jsonFromSerde', 'sendCommand', 'pack', 'unpack', 'decode', 'stringify', 'parse',
    ],
  }),
);
console.log(`profile: ${file}`);
const errors = await savers.cleanup();
if (errors.length) console.error(errors);
