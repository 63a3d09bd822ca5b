/**
 * What the cost tool measures, and the per-checkpoint figures the cost model multiplies by
 * prices.
 *
 * {@link RawMeasurement} is what `npm run cost` writes after running the workload against
 * `PostgresSaver` and the tiered saver (and what `--measurement <file>` reads back).
 * {@link deriveMeasuredInputs} divides it by the number of checkpoints (or reads), giving
 * {@link MeasuredInputs}: the only workload-dependent numbers the cost model uses. Pure.
 */

/** One entry of a size mix: messages of `bytes` characters, picked with relative `weight`. */
export interface SizeMixEntry {
  bytes: number;
  weight: number;
}

/**
 * Shape of the measured LangGraph workload: `threads` conversations of `turnsPerThread` turns;
 * each turn is a human message, `toolCallsPerTurn` tool calls (AI message with a tool call, then
 * a tool result) and an answer, all appended to the `messages` channel.
 */
export interface WorkloadProfile {
  name: string;
  threads: number;
  turnsPerThread: number;
  toolCallsPerTurn: number;
  /** Threads run at the same time. */
  concurrency: number;
  /** Seed of the deterministic text generator. */
  seed: number;
  /** Characters of each message kind (pseudo-English text, so compression behaves like prose). */
  messageBytes: { human: SizeMixEntry[]; toolResult: SizeMixEntry[]; answer: SizeMixEntry[] };
  /** Batch size of the measured migration (`migrationBatchSize`). */
  migrationBatchSize: number;
}

/** Default measured workload: a support agent with one tool call per turn. */
export const DEFAULT_PROFILE: WorkloadProfile = {
  name: 'support-agent',
  threads: 48,
  turnsPerThread: 6,
  toolCallsPerTurn: 1,
  concurrency: 8,
  seed: 7,
  messageBytes: {
    human: [
      { bytes: 120, weight: 3 },
      { bytes: 600, weight: 1 },
    ],
    toolResult: [
      { bytes: 800, weight: 3 },
      { bytes: 4000, weight: 1 },
    ],
    answer: [
      { bytes: 500, weight: 2 },
      { bytes: 1500, weight: 1 },
    ],
  },
  migrationBatchSize: 500,
};

/** On-disk size of one table (heap incl. FSM/VM, indexes, TOAST incl. its index). */
export interface TableBytes {
  tableBytes: number;
  indexBytes: number;
  toastBytes: number;
  totalBytes: number;
  rows: number;
}

/** PostgreSQL activity of one phase, from the measurement database's own statistics. */
export interface PgPhase {
  durationSec: number;
  /** `pg_stat_database.xact_commit` delta of the throw-away database (read-only transactions included). */
  transactions: number;
  /** COMMIT records in WAL of transactions that wrote this database (pg_walinspect); null if unavailable. */
  writeCommits: number | null;
  /** WAL bytes of records touching this database plus their commit records (pg_walinspect); null if unavailable. */
  walBytes: number | null;
  /** Part of {@link walBytes} that is full-page images. */
  walFpiBytes: number | null;
  /** `pg_wal_lsn_diff` over the phase: the whole cluster's WAL, other sessions included. */
  walBytesRaw: number;
  /** `pg_stat_user_tables` deltas over the measured tables. */
  rows: { inserted: number; updated: number; deleted: number };
  /** User + system CPU of this database's backends (`/proc/<pid>/stat`); null if unreadable. */
  backendCpuSec: number | null;
}

/** Redis activity of one phase. */
export interface RedisPhase {
  durationSec: number;
  /** Commands the product's client sent (counted in the client: exact even on a shared server). */
  clientCommands: Record<string, number>;
  /** Bytes of command arguments the client sent. */
  clientArgBytes: number;
  /** `INFO commandstats` delta, measurement commands excluded; other clients included on a shared server. */
  serverCommands: Record<string, { calls: number; usec: number }>;
  /** `INFO memory` `used_memory` delta. */
  usedMemoryDelta: number;
}

/** `MEMORY USAGE` summed over the product's keys, split by key kind (`cp`, `b`, `w`, `idx`, …). */
export interface RedisFootprint {
  bytes: number;
  keys: number;
  byKind: Record<string, { keys: number; bytes: number }>;
}

/** Everything one measurement run recorded. */
export interface RawMeasurement {
  schema: 'tiered-checkpointer/cost-measurement@1';
  measuredAt: string;
  environment: {
    node: string;
    cpuModel: string;
    cpus: number;
    redisVersion: string;
    /** `private`: a throw-away redis-server started for the run (server-side deltas exact); `shared`: the shared server (deltas include other clients). */
    redisServer: 'private' | 'shared';
    postgresVersion: string;
    notes: string[];
  };
  profile: WorkloadProfile;
  profileHash: string;
  workload: {
    threads: number;
    turns: number;
    /** `put` calls, the same for both savers. */
    checkpoints: number;
    putWritesCalls: number;
    writes: number;
    getTupleCalls: number;
    /** Messages in each thread's state at the end. */
    messagesPerThread: number;
  };
  pgOnly: { pg: PgPhase; tables: Record<string, TableBytes>; checkpointsPerSec: number };
  tieredPuts: {
    pg: PgPhase;
    redis: RedisPhase;
    footprint: RedisFootprint;
    checkpointsPerSec: number;
    /** Cold-store calls the tiered saver made while the workload ran (a new thread's first read asks PostgreSQL). */
    coldCalls: Record<string, number>;
  };
  migration: {
    batchSize: number;
    report: { batches: number; checkpointsCopied: number; writesCopied: number; blobsCopied: number; bytesCopied: number; entriesEvicted: number };
    pg: PgPhase;
    redis: RedisPhase;
    coldTables: Record<string, TableBytes>;
    footprintAfter: RedisFootprint;
    checkpointsPerSec: number;
  };
  coldReads: { reads: number; pg: PgPhase; redis: RedisPhase };
  /** The lever runs (`cost/bench/levers.ts`); absent in measurements taken before they existed or with `--skip-levers`. */
  levers?: RawLeverMeasurement;
}

/** The product's `retention` option as the cost tool names it (mirrors `RetentionPolicy` in `src/tiering/retention.ts`). */
export type RetentionLever = { mode: 'all' } | { mode: 'keepLast'; keepLast: number } | { mode: 'finalOnly' };

/** Stable key of a retention setting: `all`, `keepLast:3`, `finalOnly`. */
export function retentionKey(r: RetentionLever): string {
  return r.mode === 'keepLast' ? `keepLast:${r.keepLast}` : r.mode;
}

/** The saver settings of one lever run. */
export interface LeverSetting {
  coldCompression: 'none' | 'gzip';
  /** The hot tier's `hotCompression` (absent in measurements made before the lever existed: none). */
  hotCompression?: 'none' | 'deflate';
  retention: RetentionLever;
  migrationBatchSize: number;
  hotWindowMs: number;
  /** < hotWindowMs: copied entries stay hot until the window passes (the copy/evict split). */
  copyAfterMs: number;
  /** 0 = off. */
  threadTtlMs: number;
}

/** Latency and CPU of `getTuple` calls that PostgreSQL answers. */
export interface ColdReadSample {
  reads: number;
  /** Wall time per `getTuple` seen by the caller. */
  latencyMs: { p50: number; p90: number; mean: number };
  /** `process.cpuUsage()` of the measuring process (the application side: drivers, deserialization, inflating). */
  clientCpuSec: number;
  pg: PgPhase;
}

/**
 * One lever run: the lever workload (the scenario's profile with fewer threads) written to
 * Redis through the tiered saver, then migrated with one setting; each run starts from empty
 * tables and its own key prefix.
 */
export interface LeverRun {
  /** `baseline`, `gzip`, `keepLast:N`, `finalOnly`, `batch:N`, `threadTtl`. */
  label: string;
  setting: LeverSetting;
  threads: number;
  checkpoints: number;
  migration: {
    report: { batches: number; checkpointsCopied: number; checkpointsPruned: number; writesCopied: number; bytesCopied: number };
    pg: PgPhase;
    /** CPU of the measuring process during the migration (the migration job's own CPU: serializing, compressing). */
    clientCpuSec: number;
  };
  /** `MEMORY USAGE` of the run's keys: all hot and uncopied; copied but still hot (copy/evict split only); after eviction. */
  redis: { beforeCopy: RedisFootprint; copiedStillHot: RedisFootprint | null; afterEvict: RedisFootprint };
  /** Right after the migration (dead rows of a prune included). */
  coldTables: Record<string, TableBytes>;
  /** After `VACUUM FULL`: live data only, what steady state holds before the model's bloat factor. */
  coldTablesVacuumed: Record<string, TableBytes>;
  coldReads: ColdReadSample | null;
  /** The thread-TTL run: every thread expired by a migration run past the TTL. */
  threadTtl: {
    threadsExpired: number;
    pg: PgPhase;
    /** Vacuumed sizes and rows after the expiry (before = {@link coldTablesVacuumed}). */
    coldTablesAfter: Record<string, TableBytes>;
    redisBefore: RedisFootprint;
    redisAfter: RedisFootprint;
  } | null;
}

/** Everything the lever runs recorded. */
export interface RawLeverMeasurement {
  /** The workload of the lever runs: the measured profile with `threads` lowered. */
  profile: WorkloadProfile;
  runs: LeverRun[];
  durationSec: number;
}

/** Per-checkpoint figures the cost model uses (one design's "unit costs" before prices). */
export interface MeasuredInputs {
  /** Where the figures come from, printed in the report. */
  source: string;
  profileName: string;
  profileHash: string;
  checkpointsMeasured: number;
  checkpointsPerThread: number;
  /** `getTuple` calls per checkpoint (LangGraph reads the latest checkpoint at each invoke). */
  readsPerCheckpoint: number;
  /** Serialized bytes per checkpoint (values, writes, skeleton, metadata) as the migration counted them. */
  serializedBytesPerCheckpoint: number;
  pgOnly: {
    diskBytesPerCheckpoint: number;
    heapBytesPerCheckpoint: number;
    indexBytesPerCheckpoint: number;
    toastBytesPerCheckpoint: number;
    writeCommitsPerCheckpoint: number;
    transactionsPerCheckpoint: number;
    rowsPerCheckpoint: number;
    walBytesPerCheckpoint: number;
    /** Backend CPU seconds per checkpoint (local machine), null when not measured. */
    cpuSecPerCheckpoint: number | null;
    localCheckpointsPerSec: number;
  };
  hot: {
    /** `MEMORY USAGE` of the product's keys per checkpoint, while everything is hot. */
    redisBytesPerCheckpoint: number;
    /** `used_memory` delta per checkpoint (includes allocator overhead; noisy on a shared server). */
    usedMemoryBytesPerCheckpoint: number;
    /** Commands per checkpoint on the write + read path (client-side count). */
    commandsPerCheckpoint: number;
    argBytesPerCheckpoint: number;
    /** Server µs per checkpoint (`INFO commandstats`), null when not usable. */
    serverUsecPerCheckpoint: number | null;
    /** `INFO commandstats` calls per checkpoint, commands run inside Lua scripts included; null on a shared server. */
    serverCallsPerCheckpoint: number | null;
    /** PostgreSQL transactions while the workload ran on the tiered saver (connection start-up included). */
    pgTransactionsDuringPuts: number;
    /** PostgreSQL write commits (from WAL) and rows written in that phase: the design says 0. */
    pgWriteCommitsDuringPuts: number | null;
    pgRowsDuringPuts: number;
    pgWalBytesDuringPuts: number | null;
    /** Cold-store queries per checkpoint on the hot path (e.g. the first `getTuple` of a new thread, which Redis cannot answer alone). */
    pgQueriesPerCheckpoint: number;
    /** Bytes left in Redis per thread after everything migrated (high-water marks). */
    residualBytesPerThread: number;
  };
  migration: {
    batchSize: number;
    writeCommitsPerCheckpoint: number;
    transactionsPerCheckpoint: number;
    rowsPerCheckpoint: number;
    walBytesPerCheckpoint: number;
    cpuSecPerCheckpoint: number | null;
    bytesCopiedPerCheckpoint: number;
    diskBytesPerCheckpoint: number;
    heapBytesPerCheckpoint: number;
    indexBytesPerCheckpoint: number;
    toastBytesPerCheckpoint: number;
    redisCommandsPerCheckpoint: number;
    redisUsecPerCheckpoint: number | null;
    localCheckpointsPerSec: number;
  };
  coldRead: {
    pgTransactionsPerRead: number;
    cpuSecPerRead: number | null;
  };
  /** Measured effect of each product lever on the lever workload; null when the measurement has no lever runs. */
  levers: MeasuredLevers | null;
  /** Caveats the report prints (noise, unavailable probes). */
  notes: string[];
}

/** PostgreSQL figures of one migration, per copied checkpoint. */
export interface MigrationFigures {
  writeCommitsPerCheckpoint: number;
  walBytesPerCheckpoint: number;
  cpuSecPerCheckpoint: number | null;
  rowsPerCheckpoint: number;
}

/** What one cold `getTuple` costs. */
export interface ColdReadCost {
  p50Ms: number;
  p90Ms: number;
  /** Application-side CPU per read (drivers, deserialization, inflating gzip). Not priced: the model has no application servers. */
  clientCpuMsPerRead: number;
  backendCpuMsPerRead: number | null;
}

/** A retention setting's measured effect (lever run ÷ baseline run, same workload). */
export interface MeasuredRetention {
  key: string;
  policy: RetentionLever;
  /** Checkpoints left in PostgreSQL ÷ checkpoints copied. */
  keptFraction: number;
  /** Cold bytes (table + index + TOAST, after VACUUM FULL) with retention ÷ without: the kept checkpoints are the newest, largest ones. */
  keptBytesFraction: number;
  coldBytesPerThread: { all: number; kept: number; keptBeforeVacuum: number };
  /** The migration with retention: copy everything, then prune (per copied checkpoint). */
  migration: MigrationFigures;
  /** Migration WAL and backend CPU per copied checkpoint, with retention ÷ without. */
  walRatio: number;
  cpuRatio: number | null;
  /** Commits the prune adds per copied checkpoint (one transaction per thread and run). */
  extraCommitsPerCheckpoint: number;
}

/** Per-lever figures derived from the lever runs. */
export interface MeasuredLevers {
  threads: number;
  checkpoints: number;
  checkpointsPerThread: number;
  baselineBatchSize: number;
  /** The baseline run (no lever): what the ratios are relative to. */
  baseline: MigrationFigures & { coldBytesPerCheckpoint: number; coldBytesPerCheckpointVacuumed: number };
  compression: {
    mode: 'gzip';
    /** Cold bytes per checkpoint (table + index + TOAST) without and with gzip. */
    bytesPerCheckpoint: { none: number; gzip: number };
    /** gzip ÷ none: feeds the tiered cold compression ratio. */
    bytesRatio: number;
    walBytesPerCheckpoint: { none: number; gzip: number };
    walRatio: number;
    migrationCpuSecPerCheckpoint: { none: number | null; gzip: number | null };
    /** The migration job's own CPU per checkpoint (compressing happens there). */
    migrationClientCpuMsPerCheckpoint: { none: number; gzip: number };
    coldRead: { none: ColdReadCost | null; gzip: ColdReadCost | null };
  } | null;
  /** Redis bytes per hot checkpoint (before any copy) without and with `hotCompression: 'deflate'`. */
  hotCompression?: { bytesPerCheckpoint: { none: number; deflate: number }; bytesRatio: number } | null;
  retention: MeasuredRetention[];
  /** Migration figures at each measured batch size (ascending). */
  batch: Array<MigrationFigures & { batchSize: number }>;
  /** Redis bytes per checkpoint before and after the copy of the copy/evict split (copyAfter < hot window). */
  hot: { bytesPerCheckpointUncopied: number; bytesPerCheckpointCopied: number; copiedRatio: number; residualBytesPerThread: number } | null;
  threadTtl: {
    threads: number;
    threadsExpired: number;
    coldRowsBefore: number;
    coldRowsAfter: number;
    /** Rows removed ÷ rows the expired threads had: the share of an expired thread's cold data the TTL frees. */
    rowsRemovedFraction: number;
    coldBytesPerThread: number;
    coldBytesFreedPerThread: number;
    redisBytesFreedPerThread: number;
    /** The tombstone an expired thread leaves in Redis (kept threadTombstoneMs, refuses late writes). */
    tombstoneBytesPerThread: number;
  } | null;
}

/** Redis commands the measurement itself sends; never counted as the product's. */
export const MEASUREMENT_COMMANDS = new Set(['info', 'memory', 'scan', 'client', 'hello', 'ping', 'select', 'config', 'dbsize', 'flushall', 'command']);

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function tableSums(tables: Record<string, TableBytes>): { total: number; heap: number; index: number; toast: number } {
  const t = Object.values(tables);
  return {
    total: sum(t.map((x) => x.totalBytes)),
    heap: sum(t.map((x) => x.tableBytes)),
    index: sum(t.map((x) => x.indexBytes)),
    toast: sum(t.map((x) => x.toastBytes)),
  };
}

/**
 * Server µs of the commands the product's client sent. Commands a Lua script runs are counted in
 * `commandstats` too, and the script's own µs already include them; so only command names the
 * client sent count, each prorated by client calls ÷ server calls (a `zadd` sent by the client
 * and `zadd`s run inside scripts share one counter).
 */
export function clientServerUsec(phase: RedisPhase): number {
  let usec = 0;
  for (const [name, calls] of Object.entries(phase.clientCommands)) {
    const server = phase.serverCommands[name];
    if (!server || server.calls === 0) continue;
    usec += server.usec * Math.min(1, calls / server.calls);
  }
  return usec;
}

/** Divides a raw measurement by its checkpoint (or read) count. */
export function deriveMeasuredInputs(raw: RawMeasurement): MeasuredInputs {
  const n = raw.workload.checkpoints;
  if (!(n > 0)) throw new Error('The measurement holds no checkpoints; re-run `npm run cost` to measure.');
  const notes: string[] = [...raw.environment.notes];
  const pgTables = tableSums(raw.pgOnly.tables);
  const coldTables = tableSums(raw.migration.coldTables);
  const wal = (phase: PgPhase, what: string) => {
    if (phase.walBytes !== null) return phase.walBytes;
    notes.push(`${what}: WAL not attributable per database (pg_walinspect unavailable); used the cluster-wide LSN difference, which includes other sessions.`);
    return phase.walBytesRaw;
  };
  const commits = (phase: PgPhase, fallback: number, what: string) => {
    if (phase.writeCommits !== null) return phase.writeCommits;
    notes.push(`${what}: write commits not read from WAL; used ${fallback} (transactions that write, by construction).`);
    return fallback;
  };
  const usecPuts = clientServerUsec(raw.tieredPuts.redis);
  const usecMigration = clientServerUsec(raw.migration.redis);
  const sharedRedis = raw.environment.redisServer === 'shared';
  if (sharedRedis) notes.push('Redis server-side figures (commandstats µs, used_memory delta) came from a shared server and include other clients; the model uses the fallback µs per checkpoint instead.');
  const rows = (p: PgPhase) => p.rows.inserted + p.rows.updated + p.rows.deleted;
  const cpu = (p: PgPhase, count: number) => (p.backendCpuSec === null ? null : p.backendCpuSec / count);
  const reads = Math.max(1, raw.coldReads.reads);
  const m = raw.migration;
  return {
    source: `measured ${raw.measuredAt} (${raw.environment.cpuModel}, ${raw.environment.cpus} CPUs; Redis ${raw.environment.redisVersion} ${raw.environment.redisServer}; PostgreSQL ${raw.environment.postgresVersion})`,
    profileName: raw.profile.name,
    profileHash: raw.profileHash,
    checkpointsMeasured: n,
    checkpointsPerThread: n / raw.workload.threads,
    readsPerCheckpoint: raw.workload.getTupleCalls / n,
    serializedBytesPerCheckpoint: m.report.bytesCopied / n,
    pgOnly: {
      diskBytesPerCheckpoint: pgTables.total / n,
      heapBytesPerCheckpoint: pgTables.heap / n,
      indexBytesPerCheckpoint: pgTables.index / n,
      toastBytesPerCheckpoint: pgTables.toast / n,
      writeCommitsPerCheckpoint: commits(raw.pgOnly.pg, raw.workload.checkpoints + raw.workload.putWritesCalls, 'PostgresSaver') / n,
      transactionsPerCheckpoint: raw.pgOnly.pg.transactions / n,
      rowsPerCheckpoint: rows(raw.pgOnly.pg) / n,
      walBytesPerCheckpoint: wal(raw.pgOnly.pg, 'PostgresSaver') / n,
      cpuSecPerCheckpoint: cpu(raw.pgOnly.pg, n),
      localCheckpointsPerSec: raw.pgOnly.checkpointsPerSec,
    },
    hot: {
      redisBytesPerCheckpoint: raw.tieredPuts.footprint.bytes / n,
      usedMemoryBytesPerCheckpoint: raw.tieredPuts.redis.usedMemoryDelta / n,
      commandsPerCheckpoint: sum(Object.values(raw.tieredPuts.redis.clientCommands)) / n,
      argBytesPerCheckpoint: raw.tieredPuts.redis.clientArgBytes / n,
      serverUsecPerCheckpoint: sharedRedis ? null : usecPuts / n,
      serverCallsPerCheckpoint: sharedRedis ? null : sum(Object.values(raw.tieredPuts.redis.serverCommands).map((c) => c.calls)) / n,
      pgTransactionsDuringPuts: raw.tieredPuts.pg.transactions,
      pgQueriesPerCheckpoint: sum(Object.values(raw.tieredPuts.coldCalls ?? {})) / n,
      pgWriteCommitsDuringPuts: raw.tieredPuts.pg.writeCommits,
      pgRowsDuringPuts: rows(raw.tieredPuts.pg),
      pgWalBytesDuringPuts: raw.tieredPuts.pg.walBytes,
      residualBytesPerThread: raw.migration.footprintAfter.bytes / raw.workload.threads,
    },
    migration: {
      batchSize: m.batchSize,
      writeCommitsPerCheckpoint: commits(m.pg, m.report.batches, 'migration') / n,
      transactionsPerCheckpoint: m.pg.transactions / n,
      rowsPerCheckpoint: rows(m.pg) / n,
      walBytesPerCheckpoint: wal(m.pg, 'migration') / n,
      cpuSecPerCheckpoint: cpu(m.pg, n),
      bytesCopiedPerCheckpoint: m.report.bytesCopied / n,
      diskBytesPerCheckpoint: coldTables.total / n,
      heapBytesPerCheckpoint: coldTables.heap / n,
      indexBytesPerCheckpoint: coldTables.index / n,
      toastBytesPerCheckpoint: coldTables.toast / n,
      redisCommandsPerCheckpoint: sum(Object.values(m.redis.clientCommands)) / n,
      redisUsecPerCheckpoint: sharedRedis ? null : usecMigration / n,
      localCheckpointsPerSec: m.checkpointsPerSec,
    },
    coldRead: {
      pgTransactionsPerRead: raw.coldReads.pg.transactions / reads,
      cpuSecPerRead: cpu(raw.coldReads.pg, reads),
    },
    levers: raw.levers ? deriveLevers(raw.levers, notes) : null,
    notes,
  };
}

function totalBytes(tables: Record<string, TableBytes>): number {
  return sum(Object.values(tables).map((t) => t.totalBytes));
}

function totalRows(tables: Record<string, TableBytes>): number {
  return sum(Object.values(tables).map((t) => t.rows));
}

function migrationFigures(run: LeverRun): MigrationFigures {
  const n = Math.max(1, run.migration.report.checkpointsCopied);
  const p = run.migration.pg;
  return {
    writeCommitsPerCheckpoint: (p.writeCommits ?? p.transactions) / n,
    walBytesPerCheckpoint: (p.walBytes ?? p.walBytesRaw) / n,
    cpuSecPerCheckpoint: p.backendCpuSec === null ? null : p.backendCpuSec / n,
    rowsPerCheckpoint: (p.rows.inserted + p.rows.updated + p.rows.deleted) / n,
  };
}

function readCost(sample: ColdReadSample | null): ColdReadCost | null {
  if (!sample || sample.reads === 0) return null;
  return {
    p50Ms: sample.latencyMs.p50,
    p90Ms: sample.latencyMs.p90,
    clientCpuMsPerRead: (sample.clientCpuSec * 1000) / sample.reads,
    backendCpuMsPerRead: sample.pg.backendCpuSec === null ? null : (sample.pg.backendCpuSec * 1000) / sample.reads,
  };
}

const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || !(b > 0) ? null : a / b);

/** Lever runs → per-lever figures, each relative to the baseline run of the same workload. */
export function deriveLevers(raw: RawLeverMeasurement, notes: string[] = []): MeasuredLevers | null {
  const base = raw.runs.find((r) => r.label === 'baseline');
  if (!base) {
    notes.push('The lever runs have no baseline run: no lever figure is used.');
    return null;
  }
  const baseFig = migrationFigures(base);
  const baseBytes = totalBytes(base.coldTables);
  const baseVacuumed = totalBytes(base.coldTablesVacuumed);
  const n = base.checkpoints;
  const gzip = raw.runs.find((r) => r.label === 'gzip');
  const perCp = (r: LeverRun) => Math.max(1, r.migration.report.checkpointsCopied);
  let compression: MeasuredLevers['compression'] = null;
  if (gzip) {
    const g = migrationFigures(gzip);
    const gBytes = totalBytes(gzip.coldTables) / perCp(gzip);
    const bBytes = baseBytes / perCp(base);
    compression = {
      mode: 'gzip',
      bytesPerCheckpoint: { none: bBytes, gzip: gBytes },
      bytesRatio: gBytes / bBytes,
      walBytesPerCheckpoint: { none: baseFig.walBytesPerCheckpoint, gzip: g.walBytesPerCheckpoint },
      walRatio: g.walBytesPerCheckpoint / baseFig.walBytesPerCheckpoint,
      migrationCpuSecPerCheckpoint: { none: baseFig.cpuSecPerCheckpoint, gzip: g.cpuSecPerCheckpoint },
      migrationClientCpuMsPerCheckpoint: { none: (base.migration.clientCpuSec * 1000) / perCp(base), gzip: (gzip.migration.clientCpuSec * 1000) / perCp(gzip) },
      coldRead: { none: readCost(base.coldReads), gzip: readCost(gzip.coldReads) },
    };
  }
  const deflate = raw.runs.find((r) => r.label === 'deflate');
  const hotCompression: MeasuredLevers['hotCompression'] = deflate
    ? {
        bytesPerCheckpoint: { none: base.redis.beforeCopy.bytes / n, deflate: deflate.redis.beforeCopy.bytes / deflate.checkpoints },
        bytesRatio: deflate.redis.beforeCopy.bytes / deflate.checkpoints / (base.redis.beforeCopy.bytes / n),
      }
    : null;
  const retention: MeasuredRetention[] = [];
  for (const run of raw.runs) {
    if (run.setting.retention.mode === 'all' || run.label === 'threadTtl') continue;
    const f = migrationFigures(run);
    const copied = perCp(run);
    const kept = run.coldTablesVacuumed.checkpoints?.rows ?? 0;
    retention.push({
      key: retentionKey(run.setting.retention),
      policy: run.setting.retention,
      keptFraction: kept / copied,
      keptBytesFraction: totalBytes(run.coldTablesVacuumed) / baseVacuumed,
      coldBytesPerThread: { all: baseVacuumed / base.threads, kept: totalBytes(run.coldTablesVacuumed) / run.threads, keptBeforeVacuum: totalBytes(run.coldTables) / run.threads },
      migration: f,
      walRatio: f.walBytesPerCheckpoint / baseFig.walBytesPerCheckpoint,
      cpuRatio: ratio(f.cpuSecPerCheckpoint, baseFig.cpuSecPerCheckpoint),
      extraCommitsPerCheckpoint: Math.max(0, f.writeCommitsPerCheckpoint - baseFig.writeCommitsPerCheckpoint),
    });
  }
  const batch = raw.runs
    .filter((r) => r.label === 'baseline' || r.label.startsWith('batch:'))
    .map((r) => ({ batchSize: r.setting.migrationBatchSize, ...migrationFigures(r) }))
    .sort((a, b) => a.batchSize - b.batchSize);
  const hot =
    base.redis.copiedStillHot === null
      ? null
      : {
          bytesPerCheckpointUncopied: base.redis.beforeCopy.bytes / n,
          bytesPerCheckpointCopied: base.redis.copiedStillHot.bytes / n,
          copiedRatio: base.redis.copiedStillHot.bytes / base.redis.beforeCopy.bytes,
          residualBytesPerThread: base.redis.afterEvict.bytes / base.threads,
        };
  const ttlRun = raw.runs.find((r) => r.threadTtl !== null);
  let threadTtl: MeasuredLevers['threadTtl'] = null;
  if (ttlRun?.threadTtl) {
    const t = ttlRun.threadTtl;
    const expired = Math.max(1, t.threadsExpired);
    const rowsBefore = totalRows(ttlRun.coldTablesVacuumed);
    const rowsAfter = totalRows(t.coldTablesAfter);
    const tomb = t.redisAfter.byKind.expired;
    threadTtl = {
      threads: ttlRun.threads,
      threadsExpired: t.threadsExpired,
      coldRowsBefore: rowsBefore,
      coldRowsAfter: rowsAfter,
      rowsRemovedFraction: rowsBefore > 0 ? (rowsBefore - rowsAfter) / rowsBefore : 0,
      coldBytesPerThread: totalBytes(ttlRun.coldTablesVacuumed) / ttlRun.threads,
      coldBytesFreedPerThread: (totalBytes(ttlRun.coldTablesVacuumed) - totalBytes(t.coldTablesAfter)) / expired,
      redisBytesFreedPerThread: (t.redisBefore.bytes - t.redisAfter.bytes) / expired,
      tombstoneBytesPerThread: (tomb ? tomb.bytes : t.redisAfter.bytes) / expired,
    };
  }
  return {
    threads: base.threads,
    checkpoints: n,
    checkpointsPerThread: n / base.threads,
    baselineBatchSize: base.setting.migrationBatchSize,
    baseline: { ...baseFig, coldBytesPerCheckpoint: baseBytes / perCp(base), coldBytesPerCheckpointVacuumed: baseVacuumed / perCp(base) },
    compression,
    hotCompression,
    retention,
    batch,
    hot,
    threadTtl,
  };
}

/** Stable key of a workload profile (FNV-1a of its canonical JSON): measurements are reused per profile. */
export function profileHash(profile: WorkloadProfile): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v && typeof v === 'object') {
      return `{${Object.keys(v as object)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  };
  let h = 0x811c9dc5;
  for (const ch of canonical(profile)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
