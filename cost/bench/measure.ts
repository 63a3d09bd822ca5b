/**
 * One measurement run of one workload profile, on its own PostgreSQL database and (by default)
 * its own redis-server:
 *
 * 0. set-up: `CREATE DATABASE tc_cost_<random>`, pg_walinspect in it, PostgresSaver tables in
 *    schema `pgonly`, the cold tier's tables in schema `tiered` (each set up through a
 *    connection that is closed again, so no set-up statistics leak into a phase);
 * A. the workload through `PostgresSaver` (synchronous PostgreSQL-only path);
 * B. the same workload through `TieredCheckpointSaver` (Redis only; PostgreSQL must see nothing);
 * C. migration of everything (`migrate({ now })` past the hot window) in batches;
 * D. cold reads: the latest checkpoint of every thread, now served by PostgreSQL;
 * E. lever runs (`levers.ts`): a smaller copy of the workload migrated once per lever setting
 *    (compression, retention, batch size, copy/evict split, thread TTL), unless `levers` is false;
 * then the database is dropped and the private Redis stopped (also on failure).
 */
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { profileHash, type RawMeasurement, type TableBytes, type WorkloadProfile } from '../../src/cost/measurement.js';
import { LEVER_SCHEMA, measureLevers, type LeverPlan } from './levers.js';
import { PgProbe, withClient, withDatabase } from './pg-probe.js';
import { CommandCounter, PrivateRedis, RedisProbe } from './redis-probe.js';
import { runWorkload, threadId } from './workload.js';
import type { Progress } from './progress.js';

/** Where and how to measure. */
export interface MeasureOptions {
  /** Any database on the PostgreSQL server (the run creates and drops its own). */
  databaseUrl: string;
  /** `private`: start a throw-away redis-server; `shared`: use `redisUrl` with an own key prefix. */
  redis: 'private' | 'shared';
  redisUrl: string;
  progress: Progress;
  /** Lever runs to make (phase E); false skips them. */
  levers: LeverPlan | false;
}

const HOT_WINDOW_MS = 24 * 3600_000;
const COLD_SCHEMA = 'tiered';
const PG_ONLY_SCHEMA = 'pgonly';

/** Counts calls to the cold store's query methods (own properties shadow the class methods). */
function countColdCalls(cold: ColdTierStore): Record<string, number> {
  const counts: Record<string, number> = {};
  const target = cold as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const m of ['getTuple', 'getBlobs', 'list', 'latestCheckpointId', 'readThreadEpochs', 'writeMigrationBatch', 'deleteThread', 'stats']) {
    const original = target[m]!;
    target[m] = (...args: unknown[]) => {
      counts[m] = (counts[m] ?? 0) + 1;
      return original.apply(cold, args);
    };
  }
  return counts;
}

function toTableBytes(tables: Record<string, { tableBytes: number; indexBytes: number; toastBytes: number; totalBytes: number }>, rows: Record<string, number>): Record<string, TableBytes> {
  return Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, { ...t, rows: rows[name] ?? 0 }]));
}

/** Measures one profile. Always cleans up what it created. */
export async function measureProfile(profile: WorkloadProfile, options: MeasureOptions): Promise<RawMeasurement> {
  const { progress } = options;
  const database = `tc_cost_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const keyPrefix = `tccost_${randomBytes(4).toString('hex')}`;
  const dbUrl = withDatabase(options.databaseUrl, database);
  const monitor = new pg.Client({ connectionString: options.databaseUrl });
  let privateRedis: PrivateRedis | undefined;
  let productRedis: Redis | undefined;
  let probeRedis: Redis | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  const notes: string[] = [];

  // One clean-up for the normal end, a failure and Ctrl-C: drop the database, remove our keys,
  // stop the private redis-server. Idempotent.
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      for (const c of cleanups) await c().catch(() => undefined);
      productRedis?.disconnect();
      probeRedis?.disconnect();
      await privateRedis?.stop();
      await monitor.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((error: Error) => progress.info(`could not drop database ${database}: ${error.message} — drop it by hand`));
      await monitor.end().catch(() => undefined);
      progress.info(`cleaned up: database ${database} dropped, Redis keys ${keyPrefix}:* removed${privateRedis ? ', private redis-server stopped' : ''}`);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    progress.info(`${signal}: cleaning up before exit`);
    // Dropping the database terminates the workload's connections mid-query; their clients then
    // emit errors nobody waits for any more. The process exits right after the clean-up.
    process.on('uncaughtException', (error: Error & { code?: string }) => {
      if (error.code !== '57P01' && error.code !== 'ECONNRESET') progress.info(`ignored while exiting: ${error.message}`);
    });
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await monitor.connect();
  try {
    await monitor.query(`CREATE DATABASE "${database}"`);
    progress.info(`database ${database} created on ${new URL(options.databaseUrl).host}`);
    const probe = new PgProbe(monitor, database, dbUrl);
    notes.push(...(await probe.init()));

    let redisUrl = options.redisUrl;
    if (options.redis === 'private') {
      privateRedis = await PrivateRedis.start();
      redisUrl = privateRedis.url;
    } else {
      notes.push(`Redis: the shared server at ${new URL(redisUrl).host} (key prefix ${keyPrefix}); INFO deltas include other clients' traffic.`);
    }
    productRedis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    probeRedis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const counter = new CommandCounter(productRedis);
    const redisProbe = new RedisProbe(probeRedis);
    const redisVersion = await redisProbe.version();
    progress.info(`Redis ${redisVersion} ${options.redis === 'private' ? `(private redis-server at ${new URL(redisUrl).host})` : '(shared server)'}, key prefix ${keyPrefix}`);
    cleanups.push(() => redisProbe.deletePrefix(keyPrefix));

    // --- 0. set-up through connections that are closed again
    const setupPool = new pg.Pool({ connectionString: dbUrl, max: 2 });
    await new PostgresSaver(setupPool, undefined, { schema: PG_ONLY_SCHEMA }).setup();
    await setupPool.end();
    const setupCold = new ColdTierStore({ databaseUrl: dbUrl, schema: COLD_SCHEMA });
    await setupCold.setup();
    await setupCold.close();
    if (options.levers) {
      const setupLevers = new ColdTierStore({ databaseUrl: dbUrl, schema: LEVER_SCHEMA });
      await setupLevers.setup();
      await setupLevers.close();
    }
    await probe.disableAutovacuum();
    const postgresVersion = (await monitor.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;

    const turnsTotal = profile.threads * profile.turnsPerThread;
    const turnProgress = (label: string) => (done: number, total: number) => progress.step(label, done, total, 'turns');

    // --- A. PostgresSaver, synchronous
    progress.info(`A. PostgresSaver: ${profile.threads} threads × ${profile.turnsPerThread} turns, ${profile.concurrency} at a time, durability "sync"`);
    const pool = new pg.Pool({ connectionString: dbUrl, max: profile.concurrency + 2 });
    const pgSaver = new PostgresSaver(pool, undefined, { schema: PG_ONLY_SCHEMA });
    let before = await probe.snapshot(PG_ONLY_SCHEMA, 'start');
    let cpu = probe.startCpu();
    await cpu.begin();
    const countsA = await runWorkload(pgSaver, profile, turnProgress('PostgresSaver'));
    await cpu.stop();
    await pool.end();
    let after = await probe.snapshot(PG_ONLY_SCHEMA, 'end');
    const pgOnlyPhase = await probe.phase(before, after, cpu);
    const pgOnlyTables = await probe.tableSizes(PG_ONLY_SCHEMA);
    progress.done(`A. PostgresSaver: ${countsA.puts} checkpoints in ${pgOnlyPhase.durationSec.toFixed(1)} s, ${pgOnlyPhase.writeCommits ?? '?'} write commits, ${((pgOnlyPhase.walBytes ?? pgOnlyPhase.walBytesRaw) / 1e6).toFixed(2)} MB WAL`);

    // --- B. tiered saver, writes and hot reads (Redis only)
    progress.info('B. TieredCheckpointSaver: the same workload (Redis only)');
    const hot = new HotTierStore({ redis: productRedis, keyPrefix });
    const savingOptions = { keyPrefix, schema: COLD_SCHEMA, hotWindowMs: HOT_WINDOW_MS, migrationBatchSize: profile.migrationBatchSize, migrationMaxBatchesPerRun: 1_000_000 };
    let cold = new ColdTierStore({ databaseUrl: dbUrl, schema: COLD_SCHEMA });
    const coldCalls = countColdCalls(cold);
    let tiered = new TieredCheckpointSaver(hot, cold, savingOptions);
    await hot.connect();
    before = await probe.snapshot(COLD_SCHEMA, 'start');
    let redisBefore = await redisProbe.snapshot();
    counter.reset();
    cpu = probe.startCpu();
    await cpu.begin();
    const countsB = await runWorkload(tiered, profile, turnProgress('tiered'));
    await cpu.stop();
    let redisAfter = await redisProbe.snapshot();
    const putsRedis = redisProbe.phase(redisBefore, redisAfter, counter);
    await cold.close(); // backends exit and flush their statistics into this phase
    after = await probe.snapshot(COLD_SCHEMA, 'end');
    const putsPg = await probe.phase(before, after, cpu);
    const footprint = await redisProbe.footprint(keyPrefix);
    if (countsB.puts !== countsA.puts || countsB.writes !== countsA.writes) notes.push(`The two savers saw different call counts (puts ${countsA.puts} vs ${countsB.puts}, writes ${countsA.writes} vs ${countsB.writes}).`);
    const coldCallsB = { ...coldCalls };
    progress.done(
      `B. tiered: ${countsB.puts} checkpoints in ${putsRedis.durationSec.toFixed(1)} s, ${Object.values(putsRedis.clientCommands).reduce((a, b) => a + b, 0)} Redis commands, ${(footprint.bytes / 1e6).toFixed(2)} MB in Redis, ${putsPg.transactions} PostgreSQL transactions (cold-store calls: ${JSON.stringify(coldCallsB)})`,
    );

    // --- C. migration (everything is past the window as of now + window)
    progress.info(`C. migration in batches of ${profile.migrationBatchSize}`);
    cold = new ColdTierStore({ databaseUrl: dbUrl, schema: COLD_SCHEMA });
    tiered = new TieredCheckpointSaver(hot, cold, savingOptions);
    const migrationTotals = { batches: 0, checkpointsCopied: 0, writesCopied: 0, blobsCopied: 0, bytesCopied: 0, entriesEvicted: 0 };
    before = await probe.snapshot(COLD_SCHEMA, 'start');
    redisBefore = await redisProbe.snapshot();
    counter.reset();
    cpu = probe.startCpu();
    await cpu.begin();
    for (;;) {
      const report = await tiered.migrate({ now: Date.now() + HOT_WINDOW_MS + 60_000 });
      for (const k of Object.keys(migrationTotals) as Array<keyof typeof migrationTotals>) migrationTotals[k] += report[k];
      progress.step('migration', migrationTotals.checkpointsCopied, countsB.puts, 'checkpoints');
      if (!report.backlogRemaining) break;
    }
    await cpu.stop();
    redisAfter = await redisProbe.snapshot();
    const migrationRedis = redisProbe.phase(redisBefore, redisAfter, counter);
    await cold.close();
    after = await probe.snapshot(COLD_SCHEMA, 'end');
    const migrationPg = await probe.phase(before, after, cpu);
    const footprintAfter = await redisProbe.footprint(keyPrefix);
    progress.done(`C. migration: ${migrationTotals.checkpointsCopied} checkpoints in ${migrationTotals.batches} batches, ${migrationPg.durationSec.toFixed(1)} s, ${migrationPg.writeCommits ?? '?'} write commits`);

    // --- D. cold reads
    const repeats = 5;
    progress.info(`D. cold reads: latest checkpoint of each thread × ${repeats}`);
    cold = new ColdTierStore({ databaseUrl: dbUrl, schema: COLD_SCHEMA });
    tiered = new TieredCheckpointSaver(hot, cold, savingOptions);
    before = await probe.snapshot(COLD_SCHEMA, 'start');
    redisBefore = await redisProbe.snapshot();
    counter.reset();
    cpu = probe.startCpu();
    await cpu.begin();
    let reads = 0;
    for (let r = 0; r < repeats; r += 1) {
      for (let i = 0; i < profile.threads; i += 1) {
        const tuple = await tiered.getTuple({ configurable: { thread_id: threadId(i), checkpoint_ns: '' } });
        const messages = (tuple?.checkpoint.channel_values as { messages?: unknown[] } | undefined)?.messages;
        if (!tuple || messages?.length !== countsB.messagesPerThread) {
          throw new Error(`Cold read of ${threadId(i)} returned ${messages?.length ?? 'no'} messages, expected ${countsB.messagesPerThread}: migration lost data, no report is written.`);
        }
        reads += 1;
      }
      progress.step('cold reads', reads, repeats * profile.threads, 'reads');
    }
    await cpu.stop();
    redisAfter = await redisProbe.snapshot();
    const readsRedis = redisProbe.phase(redisBefore, redisAfter, counter);
    await cold.close();
    after = await probe.snapshot(COLD_SCHEMA, 'end');
    const readsPg = await probe.phase(before, after, cpu);
    progress.done(`D. cold reads: ${reads} reads, ${readsPg.transactions} PostgreSQL transactions`);

    // Cold-tier sizes through the product's own accounting (ColdTierStore.stats()).
    const statsStore = new ColdTierStore({ databaseUrl: dbUrl, schema: COLD_SCHEMA });
    const coldStats = await statsStore.stats();
    await statsStore.close();
    const coldTables = toTableBytes(coldStats.tables, { checkpoints: coldStats.checkpoints, checkpoint_blobs: coldStats.blobs, checkpoint_writes: coldStats.writes });

    // --- E. lever runs
    const levers = options.levers
      ? await measureLevers(profile, options.levers, { probe, databaseUrl: dbUrl, redis: productRedis, redisProbe, keyPrefix, progress, onCleanup: (fn) => cleanups.push(fn) })
      : undefined;

    return {
      schema: 'tiered-checkpointer/cost-measurement@1',
      measuredAt: new Date().toISOString(),
      environment: {
        node: process.version,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        cpus: cpus().length,
        redisVersion,
        redisServer: options.redis,
        postgresVersion,
        notes,
      },
      profile,
      profileHash: profileHash(profile),
      workload: {
        threads: profile.threads,
        turns: turnsTotal,
        checkpoints: countsA.puts,
        putWritesCalls: countsA.putWritesCalls,
        writes: countsA.writes,
        getTupleCalls: countsA.getTuples,
        messagesPerThread: countsA.messagesPerThread,
      },
      pgOnly: { pg: pgOnlyPhase, tables: pgOnlyTables, checkpointsPerSec: countsA.puts / pgOnlyPhase.durationSec },
      tieredPuts: { pg: putsPg, redis: putsRedis, footprint, checkpointsPerSec: countsB.puts / putsRedis.durationSec, coldCalls: coldCallsB },
      migration: {
        batchSize: profile.migrationBatchSize,
        report: migrationTotals,
        pg: migrationPg,
        redis: migrationRedis,
        coldTables,
        footprintAfter,
        checkpointsPerSec: migrationTotals.checkpointsCopied / migrationPg.durationSec,
      },
      coldReads: { reads, pg: readsPg, redis: readsRedis },
      ...(levers ? { levers } : {}),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp();
  }
}

/** Reads a measurement file back (what `--measurement` and `--reuse` load). */
export function isRawMeasurement(v: unknown): v is RawMeasurement {
  return typeof v === 'object' && v !== null && (v as { schema?: unknown }).schema === 'tiered-checkpointer/cost-measurement@1';
}

export { withClient };
