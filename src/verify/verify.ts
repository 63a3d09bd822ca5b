/**
 * `npm run verify`: the oracle against a live deployment.
 *
 * Connects to the deployment's Redis and PostgreSQL (REDIS_URL, DATABASE_URL, CHECKPOINT_SCHEMA;
 * default the local servers and `public`), and — under a Redis key prefix of its own and thread
 * ids of its own — runs a seeded workload (threads, namespaces, forks, pending writes with
 * special channels and repeated (task, idx), deletes), migrates with a clock shifted past the
 * copy and hot windows, and checks everything it wrote with the oracle
 * (`src/verify/oracle-check.ts`, the same checks the tests run) while the data is split across
 * the tiers, after a full drain to PostgreSQL, and after deleting its threads. Then it looks for
 * anything its threads left behind (Redis keys by exact name, PostgreSQL rows by thread id),
 * removes the few global keys of its own prefix, prints a summary and exits 0 when everything
 * agreed, 1 otherwise (problems found, or it could not run: the summary says which).
 *
 * It never touches data outside its own prefix and threads: its migration runs read only its
 * prefix's indexes (and take its prefix's lease, not the service's), `list` is always called with
 * one of its thread ids, and clean-up deletes its own threads only. The one thing it leaves in
 * PostgreSQL is a tombstone row per deleted thread (`checkpoint_thread_tombstones`), which is how
 * the cold tier keeps a concurrent migration from resurrecting a deleted thread.
 *
 * Settings (environment): VERIFY_SEED (replay a run; default random, printed), VERIFY_OPS
 * (default 240), VERIFY_THREADS (default 4), HOT_WINDOW_HOURS / COPY_AFTER_HOURS (default 24 /
 * the window, as the service reads them), VERIFY_SCAN=1 (also SCAN the run's own prefix for
 * unknown keys), VERIFY_VERBOSE=1 (print the op log), VERIFY_SETUP=1 (create the cold-tier tables
 * when the schema has none; by default a schema without them is an error, and an existing
 * schema is never migrated: the deployment owns it).
 */
import { randomBytes } from 'node:crypto';
import type { RunnableConfig } from '@langchain/core/runnables';
import { v6 } from '@langchain/core/utils/uuid';
import { WRITES_IDX_MAP, type ChannelVersions, type Checkpoint, type CheckpointMetadata, type PendingWrite } from '@langchain/langgraph-checkpoint';
import pg from 'pg';
import { quoteSchema } from '../cold-tier/cold-tier.sql.js';
import { describeDatabaseUrl } from '../cold-tier/prisma-client.factory.js';
import { ManualClock } from '../core/clock.js';
import { TieredCheckpointSaver } from '../tiering/tiered-checkpoint.saver.js';
import type { MigrationReport } from '../tiering/migration.runner.js';
import { CheckpointOracle, checkOracle, compareTuple, recordingSaver, type RecordedCheckpoint } from './oracle-check.js';
import { seededRandom } from '../core/seeded-random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMA = process.env.CHECKPOINT_SCHEMA ?? 'public';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

const seeded = seededRandom;

function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || '6379'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(REDIS_URL is not a valid URL)';
  }
}

const NAMESPACES = ['', '', 'child:1'];
const CHANNELS = ['messages', 'topic', 'counter', 'notes'];
const SPECIAL = Object.keys(WRITES_IDX_MAP);
const TASKS: Record<string, string | undefined> = { 'task-a': '~__pregel_pull, agent', 'task-b': '~__pregel_pull, tools', 'task-c': '~__pregel_push, 0, agent, 1' };
const FILTERS: Array<Record<string, unknown>> = [{ source: 'fork' }, { owner: 'alice' }];

/** Cold-tier tables the schema lacks (read-only catalog query). */
async function missingTables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const tables = ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes', 'checkpoint_thread_tombstones'];
    const { rows } = await client.query<{ name: string; found: string | null }>(
      `SELECT t AS name, to_regclass(format('%I.%I', $1::text, t)) AS found FROM unnest($2::text[]) AS t`,
      [SCHEMA, tables],
    );
    return rows.filter((r) => r.found === null).map((r) => r.name);
  } finally {
    await client.end();
  }
}

class Verification {
  readonly runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  readonly prefix = `verify-${this.runId}`;
  readonly threads: string[];
  readonly random: () => number;
  readonly clock = new ManualClock(Date.now());
  readonly oracle = new CheckpointOracle();
  readonly log: string[] = [];
  readonly problems: string[] = [];
  readonly counts = { ops: 0, puts: 0, putWrites: 0, writes: 0, deletes: 0, reads: 0, migrations: 0 };
  readonly migrated = { checkpoints: 0, writes: 0, blobs: 0, evicted: 0, changed: 0, batches: 0 };
  saver!: TieredCheckpointSaver;
  recorded!: TieredCheckpointSaver;
  /** Set once the prefix is known to be this run's alone: only then are its keys removed. */
  ownsPrefix = false;
  private idCounter = 0;
  private versionCounter = 0;
  private readonly idEpoch = Date.now();
  private readonly node = new Uint8Array(randomBytes(6));

  constructor(
    readonly seed: number,
    readonly ops: number,
    threadCount: number,
    readonly hotWindowMs: number,
    readonly copyAfterMs: number,
  ) {
    this.random = seeded(seed);
    this.threads = Array.from({ length: threadCount }, (_, i) => `verify:${this.runId}:t${i}`);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
  nextId(): string {
    this.idCounter += 1;
    return v6({ msecs: this.idEpoch + this.idCounter, nsecs: 0, clockseq: 0x0abc, node: this.node });
  }
  nextVersion(): string {
    this.versionCounter += 1;
    return `${String(this.versionCounter).padStart(32, '0')}.${Math.floor(this.random() * 2 ** 48).toString(16).padStart(16, '0')}`;
  }
  value(): unknown {
    const n = Math.floor(this.random() * 1000);
    switch (Math.floor(this.random() * 5)) {
      case 0:
        return n;
      case 1:
        return `value ✓ ${n}`;
      case 2:
        return [`m-${n}`, { role: 'ai', content: `answer ${n}` }];
      case 3:
        return { nested: { n, ok: n % 2 === 0 }, list: [n, n + 1] };
      default:
        return 'x'.repeat(1000 + (n % 2000));
    }
  }

  async setup(): Promise<void> {
    this.saver = TieredCheckpointSaver.fromConfig({
      redisUrl: REDIS_URL,
      databaseUrl: DATABASE_URL,
      schema: SCHEMA,
      keyPrefix: this.prefix,
      clock: this.clock,
      hotWindowMs: this.hotWindowMs,
      copyAfterMs: this.copyAfterMs,
      migrationEnabled: false,
      migrationBatchSize: 50,
    });
    this.recorded = recordingSaver(this.saver, this.oracle);
    // What saver.setup() does, in two steps, so that a failure in between still cleans up.
    await this.saver.hot.connect();
    // Refuse to run over anything that already exists under our names.
    if ((await this.saver.hot.client.exists(`${this.prefix}:threads:age`, `${this.prefix}:threads:copied`)) > 0) throw new Error(`key prefix ${this.prefix} is already in use`);
    this.ownsPrefix = true;
    // The deployment owns its schema: never migrate it. Only create the tables when asked to.
    const missing = await missingTables();
    if (missing.length > 0) {
      if (process.env.VERIFY_SETUP !== '1') {
        throw new Error(`schema "${SCHEMA}" has no cold-tier tables (${missing.join(', ')}): point CHECKPOINT_SCHEMA at the deployment's schema, or set VERIFY_SETUP=1 to create them`);
      }
      console.log(`  schema "${SCHEMA}" has no cold-tier tables: creating them (VERIFY_SETUP=1)`);
      await this.saver.cold.setup();
    }
    for (const t of this.threads) {
      if ((await this.saver.cold.list({ threadId: t, limit: 1 })).length > 0) throw new Error(`thread ${t} already exists in PostgreSQL`);
    }
  }

  // ---- workload ------------------------------------------------------------------------------

  async put(): Promise<void> {
    const threadId = this.pick(this.threads);
    const ns = this.pick(NAMESPACES);
    const chain = this.oracle.checkpointsOf(threadId, ns);
    let parent: RecordedCheckpoint | undefined;
    let source = 'input';
    if (chain.length > 0 && !this.chance(0.08)) {
      if (this.chance(0.75)) {
        parent = chain[0];
        source = 'loop';
      } else {
        parent = this.pick(chain);
        source = parent === chain[0] ? 'loop' : 'fork';
      }
    }
    const values: Record<string, unknown> = { ...(parent?.checkpoint.channel_values ?? {}) };
    const versions: ChannelVersions = { ...(parent?.checkpoint.channel_versions ?? {}) };
    const newVersions: ChannelVersions = {};
    for (let i = 0, n = 1 + Math.floor(this.random() * 2); i < n; i += 1) {
      const channel = this.pick(CHANNELS);
      const version = this.nextVersion();
      newVersions[channel] = version;
      versions[channel] = version;
      values[channel] = this.value();
    }
    const checkpoint: Checkpoint = {
      v: 4,
      id: this.nextId(),
      ts: new Date(this.clock.now()).toISOString(),
      channel_values: values,
      channel_versions: versions,
      versions_seen: { ...(parent?.checkpoint.versions_seen ?? {}), agent: { ...newVersions } },
    };
    const step = parent ? Number((parent.metadata as { step?: number }).step ?? -1) + 1 : -1;
    const metadata = { source, step, parents: {}, owner: this.pick(['alice', 'bob']) } as CheckpointMetadata;
    const config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns, ...(parent ? { checkpoint_id: parent.checkpointId } : {}) } };
    this.log.push(`put ${source} ${threadId}/"${ns}" ${checkpoint.id} parent=${parent?.checkpointId ?? '-'}`);
    await this.recorded.put(config, checkpoint, metadata, newVersions);
    this.counts.puts += 1;
  }

  async putWrites(): Promise<void> {
    const current = this.threads.flatMap((t) => this.oracle.checkpointsOf(t));
    if (current.length === 0) return this.put();
    const target = this.chance(0.5) ? this.pick(current) : (this.oracle.checkpointsOf(this.pick(this.threads))[0] ?? this.pick(current));
    const taskId = this.pick(Object.keys(TASKS));
    const writes: PendingWrite[] = [];
    const used = new Set<string>();
    for (let i = 0, n = 1 + Math.floor(this.random() * 3); i < n; i += 1) {
      if (this.chance(0.3)) {
        const special = this.pick(SPECIAL);
        if (!used.has(special)) writes.push([special, this.value()]);
        used.add(special);
      } else {
        writes.push([this.pick(CHANNELS), this.value()]);
      }
    }
    const config = { configurable: { thread_id: target.threadId, checkpoint_ns: target.checkpointNs, checkpoint_id: target.checkpointId } };
    this.log.push(`putWrites ${target.threadId}/"${target.checkpointNs}"/${target.checkpointId} ${taskId} [${writes.map((w) => w[0]).join(',')}]`);
    await this.recorded.putWrites(config, writes, taskId, TASKS[taskId]);
    this.counts.putWrites += 1;
    this.counts.writes += writes.length;
  }

  /** Reads one thing and compares it with the oracle's expectation right away. */
  async spotRead(): Promise<void> {
    const threadId = this.pick(this.threads);
    const ns = this.pick(NAMESPACES);
    this.counts.reads += 1;
    const chain = this.oracle.checkpointsOf(threadId, ns);
    const byId = chain.length > 0 && this.chance(0.5) ? this.pick(chain) : undefined;
    const config = byId ? { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: byId.checkpointId } } : { configurable: { thread_id: threadId, checkpoint_ns: ns } };
    const expected = byId ?? chain[0];
    this.log.push(`getTuple ${threadId}/"${ns}"/${byId?.checkpointId ?? 'latest'}`);
    const got = await this.saver.getTuple(config);
    if (!expected) {
      if (got) this.problems.push(`op ${this.counts.ops}: getTuple ${threadId}/"${ns}" returned ${String(got.config.configurable?.checkpoint_id)} from an empty namespace`);
      return;
    }
    if (!got) {
      this.problems.push(`op ${this.counts.ops}: getTuple ${threadId}/"${ns}"/${byId ? expected.checkpointId : 'latest'}: acknowledged checkpoint not found`);
      return;
    }
    const d = compareTuple(this.oracle.expected(expected), got);
    if (d) this.problems.push(`op ${this.counts.ops}: getTuple ${threadId}/"${ns}"/${byId ? expected.checkpointId : 'latest'}: ${d}`);
  }

  async deleteOne(): Promise<void> {
    const threadId = this.pick(this.threads);
    this.log.push(`deleteThread ${threadId}`);
    await this.recorded.deleteThread(threadId);
    this.counts.deletes += 1;
  }

  async migrateAll(label: string): Promise<void> {
    for (let run = 0; run < 100; run += 1) {
      const report: MigrationReport = await this.saver.migrate();
      this.counts.migrations += 1;
      this.migrated.checkpoints += report.checkpointsCopied;
      this.migrated.writes += report.writesCopied;
      this.migrated.blobs += report.blobsCopied;
      this.migrated.evicted += report.entriesEvicted;
      this.migrated.changed += report.entriesChanged;
      this.migrated.batches += report.batches;
      this.log.push(`migrate (${label}): copied ${report.checkpointsCopied} checkpoints, ${report.writesCopied} writes, evicted ${report.entriesEvicted}, backlog ${report.backlogRemaining}`);
      if (!report.leaseAcquired) throw new Error(`migration of prefix ${this.prefix} could not take its own lease`);
      if (!report.backlogRemaining) return;
    }
    this.problems.push(`${label}: migration still reports a backlog after 100 runs`);
  }

  async check(stage: string): Promise<void> {
    const found = await checkOracle(this.saver, this.oracle, { filters: FILTERS, pageSize: 2 });
    for (const p of found) this.problems.push(`${stage}: ${p}`);
    this.log.push(`check (${stage}): ${found.length} problem(s)`);
  }

  async workload(): Promise<void> {
    const rounds = 3;
    const perRound = Math.max(1, Math.ceil(this.ops / rounds));
    for (let round = 1; round <= rounds; round += 1) {
      for (let i = 0; i < perRound && this.counts.ops < this.ops; i += 1) {
        this.counts.ops += 1;
        const roll = this.random();
        if (roll < 0.45) await this.put();
        else if (roll < 0.78) await this.putWrites();
        else if (roll < 0.97) await this.spotRead();
        else await this.deleteOne();
        if (this.chance(0.15)) this.clock.advance(this.pick([5 * MINUTE, 30 * MINUTE, 2 * HOUR]));
      }
      // Shift the clock so that part of what was written is due: past the copy age, and on
      // even rounds past the hot window too.
      const shift = round % 2 === 0 ? this.hotWindowMs + HOUR : this.copyAfterMs + MINUTE;
      this.clock.advance(shift);
      this.log.push(`advance ${Math.round(shift / MINUTE)} min`);
      await this.migrateAll(`round ${round}`);
      await this.check(`round ${round} (tiers split)`);
    }
    this.clock.advance(this.hotWindowMs + this.copyAfterMs + 2 * HOUR);
    await this.migrateAll('drain');
    await this.check('after a full drain');
  }

  // ---- clean-up and leftovers ---------------------------------------------------------------

  /** Deletes every thread of this run (also after a failure), then checks nothing is readable or left. */
  async deleteAll(): Promise<void> {
    for (const t of this.threads) await this.recorded.deleteThread(t);
    await this.check('after deleting every thread');
    await this.leftovers();
  }

  /** Our threads' Redis keys by exact name (no SCAN unless asked) and PostgreSQL rows by thread id. */
  async leftovers(): Promise<void> {
    const k = this.saver.hot.keys;
    const redis = this.saver.hot.client;
    const names = new Set<string>();
    for (const t of this.threads) {
      for (const key of [k.namespaces(t), k.age(t), k.copied(t), k.versions(t), k.coldMax(t)]) names.add(key);
      for (const ns of new Set([...NAMESPACES, ...this.oracle.namespacesOf(t)])) {
        for (const key of [k.index(t, ns), k.blobs(t, ns), k.blobRefs(t, ns)]) names.add(key);
      }
      for (const c of this.oracle.everCheckpointsOf(t)) {
        names.add(k.checkpoint(t, c.checkpointNs, c.checkpointId));
        names.add(k.writes(t, c.checkpointNs, c.checkpointId));
      }
    }
    const list = [...names];
    const exists = await Promise.all(list.map((key) => redis.exists(key)));
    list.forEach((key, i) => {
      if (exists[i]) this.problems.push(`leftover Redis key of a deleted thread: ${key}`);
    });
    for (const index of [k.threadsByAge, k.threadsCopied]) {
      const members = await redis.zrange(index, 0, -1);
      if (members.length > 0) this.problems.push(`leftover members in ${index}: ${members.join(', ')}`);
    }
    if (process.env.VERIFY_SCAN === '1') {
      const stream = (redis as unknown as { scanStream(o: object): AsyncIterable<string[]> }).scanStream({ match: `${this.prefix}:*`, count: 1000 });
      for await (const batch of stream) {
        for (const key of batch) if (key !== k.dataMarker && key !== k.migrationLease) this.problems.push(`leftover Redis key (scan): ${key}`);
      }
    }
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const s = quoteSchema(SCHEMA);
      const { rows } = await client.query<{ table_name: string; n: number }>(
        `SELECT 'checkpoints' AS table_name, count(*)::int AS n FROM ${s}."checkpoints" WHERE thread_id = ANY($1::text[])
         UNION ALL SELECT 'checkpoint_blobs', count(*)::int FROM ${s}."checkpoint_blobs" WHERE thread_id = ANY($1::text[])
         UNION ALL SELECT 'checkpoint_writes', count(*)::int FROM ${s}."checkpoint_writes" WHERE thread_id = ANY($1::text[])`,
        [this.threads],
      );
      for (const r of rows) if (r.n > 0) this.problems.push(`leftover PostgreSQL rows of deleted threads: ${r.table_name} x ${r.n}`);
    } finally {
      await client.end();
    }
  }

  /** Removes the global keys of this run's own prefix (marker, lease, empty indexes). */
  async removeOwnKeys(): Promise<void> {
    const k = this.saver.hot.keys;
    await this.saver.hot.client.del(k.dataMarker, k.migrationLease, k.threadsByAge, k.threadsCopied);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const seed = process.env.VERIFY_SEED !== undefined ? Number(process.env.VERIFY_SEED) : Math.floor(Math.random() * 2 ** 31);
  let v: Verification;
  try {
    const hotWindowMs = envNumber('HOT_WINDOW_HOURS', 24) * HOUR;
    const copyAfterMs = process.env.COPY_AFTER_HOURS ? envNumber('COPY_AFTER_HOURS', 24) * HOUR : hotWindowMs;
    if (!Number.isSafeInteger(seed)) throw new Error(`VERIFY_SEED must be an integer, got "${process.env.VERIFY_SEED}"`);
    v = new Verification(seed, Math.floor(envNumber('VERIFY_OPS', 240)), Math.max(1, Math.floor(envNumber('VERIFY_THREADS', 4))), Math.round(hotWindowMs), Math.round(copyAfterMs));
  } catch (error) {
    console.error(`verify: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  console.log(`verify: seed ${seed} (replay with VERIFY_SEED=${seed})`);
  console.log(`  redis ${describeRedisUrl(REDIS_URL)}, key prefix ${v.prefix}`);
  console.log(`  postgres ${describeDatabaseUrl(DATABASE_URL)}, schema ${SCHEMA}`);
  console.log(`  hot window ${v.hotWindowMs / HOUR} h, copy after ${v.copyAfterMs / HOUR} h; ${v.ops} ops on ${v.threads.length} threads`);

  let setUp = false;
  let fatal: unknown;
  try {
    await v.setup();
    setUp = true;
    await v.workload();
  } catch (error) {
    fatal = error;
  }
  if (setUp) {
    try {
      await v.deleteAll();
    } catch (error) {
      fatal ??= error;
      v.problems.push(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (v.ownsPrefix) await v.removeOwnKeys().catch(() => undefined);
  await v.saver?.close().catch(() => undefined);

  const live = v.oracle.counts;
  const acknowledged = v.oracle.threadIds().reduce((n, t) => n + v.oracle.everCheckpointsOf(t).length, 0);
  console.log(`  ops: ${v.counts.ops} (puts ${v.counts.puts}, putWrites ${v.counts.putWrites}, spot reads ${v.counts.reads}, deletes ${v.counts.deletes}) + final delete of ${v.threads.length} threads`);
  console.log(`  checkpoints: ${acknowledged} acknowledged; writes: ${v.counts.writes} in ${v.counts.putWrites} putWrites; not acknowledged: ${live.maybe}`);
  console.log(
    `  migrated: ${v.migrated.checkpoints} checkpoints, ${v.migrated.writes} writes, ${v.migrated.blobs} values in ${v.migrated.batches} batches over ${v.counts.migrations} runs; evicted ${v.migrated.evicted}, re-queued ${v.migrated.changed}`,
  );
  if (fatal) {
    const detail = fatal instanceof Error ? (process.env.VERIFY_VERBOSE === '1' ? (fatal.stack ?? fatal.message) : `${fatal.name}: ${fatal.message}`) : String(fatal);
    console.log(`  could not finish: ${detail}`);
  }
  console.log(`  problems: ${v.problems.length}`);
  for (const p of v.problems.slice(0, 50)) console.log(`    - ${p}`);
  if (v.problems.length > 50) console.log(`    … and ${v.problems.length - 50} more`);
  if (process.env.VERIFY_VERBOSE === '1' || (v.problems.length > 0 && v.log.length > 0)) {
    const tail = process.env.VERIFY_VERBOSE === '1' ? v.log : v.log.slice(-40);
    console.log(`  op log${tail.length < v.log.length ? ` (last ${tail.length} of ${v.log.length})` : ''}:\n    ${tail.join('\n    ')}`);
  }
  const verdict = fatal && !setUp ? 'ERROR' : v.problems.length === 0 && !fatal ? 'PASS' : 'FAIL';
  console.log(`verify: ${verdict} in ${((Date.now() - started) / 1000).toFixed(1)} s${setUp ? `; threads of ${v.prefix} deleted` : ''}`);
  return verdict === 'PASS' ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
