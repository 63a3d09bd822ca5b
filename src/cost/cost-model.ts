/**
 * The cost model: monthly cost of a PostgreSQL-only checkpoint store (`PostgresSaver`) and of
 * the tiered store (Redis hot tier + PostgreSQL cold tier) for one scenario. Pure: the same
 * scenario, measured inputs and prices always give the same result, and nothing is hard-coded —
 * every dollar is `quantity × unit price` of a {@link CostLine}, every quantity comes from the
 * scenario, a measured per-checkpoint figure and a sizing rule (`sizing-model.ts`).
 *
 * ## Load formulas (A = average, P = peak, Pₕ = peak-hour checkpoints/s; R = retention days)
 *
 * PostgreSQL-only (every step commits synchronously, so PostgreSQL is sized for P):
 * - CPU (vCPU) = rate × measured backend CPU-s per checkpoint × cpuSpeedFactor × backgroundCpuFactor,
 *   at P for the peak and at A for burstable baselines;
 * - IOPS = P × commits/checkpoint ÷ groupCommitFactor + P × WAL bytes ÷ walIoBytes
 *   + P × disk bytes × dataPageWritesPerPage ÷ dataPageBytes;
 * - stored = A × R × 86,400 × keptFraction × disk bytes/checkpoint × compression × bloatFactor;
 * - RAM = checkpoints written in the last cacheHours × disk bytes ÷ ramCacheFraction;
 * - backup = stored + backupRetentionDays × A × 86,400 × (disk + WAL bytes per checkpoint).
 *
 * Tiered (writes and hot reads go to Redis; PostgreSQL only sees hourly batched copies and cold
 * reads):
 * - Redis holds every checkpoint until the first migration run after it ages past the window:
 *   hold = window + interval hours; checkpoints held = {@link checkpointsInWindow}(hold) (a 25 h
 *   hold = 24 h × A + one busiest hour at Pₕ);
 *   data set = held × `MEMORY USAGE` bytes/checkpoint × compression + retained threads × residual bytes/thread;
 * - Redis CPU = (P × server µs/checkpoint + migration rate × migration µs/checkpoint) ÷ 10⁶;
 * - migration rate = min(Pₕ × 3,600 × interval × f, batches per run × batch size) ÷ (dutyFraction × interval × 3,600),
 *   with f = keptColdFraction (0 when the thread TTL ends threads before they are copied);
 * - cold CPU, IOPS and throughput as above but at the migration rate with the migration's measured
 *   figures (commits per checkpoint scaled by measured batch size ÷ scenario batch size), plus cold
 *   reads = P × (reads/checkpoint × coldReadFraction + measured hot-path PostgreSQL queries/checkpoint);
 * - cold stored = A × 86,400 × (R − copyAfter/24) × f × cold disk bytes × compression × bloatFactor.
 *
 * Not modelled: operations effort of a second store, data transfer, reserved-instance discounts,
 * CPU credits, the deletes of a pruning job, ElastiCache snapshots.
 */
import { fmtBytes, fmtNum, fmtPct, fmtUsd } from './format.js';
import { profileHash, retentionKey, type MeasuredInputs } from './measurement.js';
import { resolveLevers, type LeverEffects, type LeverSource } from './levers.js';
import { describePrice, type PriceSheet } from './price-sheet.js';
import { merge, resolveScenario, scaleLoad, type Scenario, type ScenarioInput } from './scenario.js';
import {
  sizePostgres,
  sizeRedis,
  type PostgresRequirement,
  type PostgresSizing,
  type RedisRequirement,
  type RedisSizing,
  type SizedLine,
} from './sizing-model.js';

/** The two designs compared. */
export type DesignName = 'pgOnly' | 'tiered';

/** One priced line: `monthlyUsd === quantity × price.usd`, always. */
export interface CostLine extends SizedLine {
  design: DesignName;
  monthlyUsd: number;
}

/** Intermediate PostgreSQL load of one design (what the requirement was built from). */
export interface PostgresLoad {
  /** Checkpoints per second PostgreSQL writes at its sizing peak (P, or the migration rate). */
  writeRateCheckpointsPerSec: number;
  writeCommitsPerSec: number;
  walBytesPerSec: number;
  dataBytesPerSec: number;
  readsPerSec: number;
  iops: { commits: number; wal: number; data: number; reads: number };
  storedCheckpoints: number;
  cpuSecPerCheckpoint: number;
  cpuMeasured: boolean;
}

/** Intermediate Redis load of the tiered design. */
export interface RedisLoad {
  checkpointsHeld: number;
  holdHours: number;
  bytesPerCheckpoint: number;
  residualBytes: number;
  threadsRetained: number;
  usecPerCheckpoint: number;
  usecMeasured: boolean;
  commandsPerSecPeak: number;
  ecpuPerCheckpoint: number;
}

/** Cost of one design. */
export interface DesignCost {
  design: DesignName;
  label: string;
  monthlyUsd: number;
  /** False when a requirement exceeds what the price file offers or migration cannot keep up: the total is then understated. */
  feasible: boolean;
  lines: CostLine[];
  postgres: { load: PostgresLoad; requirement: PostgresRequirement; sizing: PostgresSizing };
  redis?: { load: RedisLoad; requirement: RedisRequirement; sizing: RedisSizing };
}

/** One measured figure, what it became, and the price it is multiplied by. */
export interface Trace {
  design: DesignName;
  figure: string;
  measured: string;
  becomes: string;
  pricedAs: string;
}

/** Everything the report prints for one scenario. */
export interface CostResult {
  scenario: Scenario;
  measured: MeasuredInputs;
  prices: { id: string; title: string; compiled: string; hoursPerMonth: number };
  pgOnly: DesignCost;
  tiered: DesignCost;
  /** PostgreSQL-only minus tiered: positive when tiering saves money. */
  savingsUsd: number;
  /** savingsUsd ÷ PostgreSQL-only. */
  savingsFraction: number;
  verdict: string;
  traces: Trace[];
  warnings: string[];
  /** Derived figures worth stating (peak/average ratio, effective f, …). */
  facts: Array<{ label: string; value: string }>;
  /** What each product lever's measured figure became in this scenario (see `levers.ts`). */
  leverEffects: LeverEffects;
  /** Each lever: its setting here, its measured figure, the input it feeds and the price line it changes. */
  levers: LeverLine[];
}

/** One product lever in the report. */
export interface LeverLine {
  /** The product option(s). */
  lever: string;
  /** Its setting in this scenario. */
  setting: string;
  used: boolean;
  /** Whether the figure the model used came from the lever runs. */
  source: LeverSource;
  measured: string;
  feeds: string;
  /** The price line(s) the figure moves. */
  changes: string;
  /** The same scenario with this lever switched (off when used, on when not), where that is meaningful. */
  alternative: { label: string; pgOnlyUsd: number; tieredUsd: number } | null;
}

const HOUR = 3600;
const DAY = 86400;
const MiB = 1024 * 1024;
const GiB = 1024 ** 3;
const GB = 1e9;

function toLines(design: DesignName, lines: SizedLine[]): CostLine[] {
  return lines.map((l) => ({ ...l, design, monthlyUsd: l.quantity * l.price.usd }));
}

function total(lines: CostLine[]): number {
  return lines.reduce((s, l) => s + l.monthlyUsd, 0);
}

/**
 * Most checkpoints any window of `hours` can hold when a day has 24·A checkpoints and its busiest
 * hour Pₕ: whole days hold 24·A each; the remainder holds the busiest hour first, then the average
 * of the other 23 hours. (A 25 h window holds 24·A + Pₕ.)
 */
export function checkpointsInWindow(hours: number, averagePerSec: number, peakHourPerSec: number): number {
  const days = Math.floor(hours / 24);
  const rest = hours - 24 * days;
  const otherHours = Math.max(0, (24 * averagePerSec - peakHourPerSec) / 23);
  const restRate = rest <= 1 ? peakHourPerSec * rest : peakHourPerSec + otherHours * (rest - 1);
  return HOUR * (24 * averagePerSec * days + restRate);
}

function effectiveRetentionDays(s: Scenario): number {
  return s.retention.threadTtlDays === null ? s.retention.days : Math.min(s.retention.days, s.retention.threadTtlDays);
}

/** Days of checkpoints kept: up to the TTL in full, beyond it what the TTL does not remove (measured share removed; 1 when all goes). */
function storedDays(s: Scenario, fx: LeverEffects): number {
  const R = effectiveRetentionDays(s);
  return R + (1 - fx.threadTtl.removedFraction) * Math.max(s.retention.days - R, 0);
}

function pgOnlyDesign(s: Scenario, m: MeasuredInputs, prices: PriceSheet, warnings: string[], fx: LeverEffects): DesignCost {
  const { averageCheckpointsPerSec: A, peakCheckpointsPerSec: P, peakHourCheckpointsPerSec: Ph } = s.load;
  const pg = s.sizing.postgres;
  const c = s.pgOnly.compressionRatio;
  const disk = m.pgOnly.diskBytesPerCheckpoint * c;
  const wal = m.pgOnly.walBytesPerCheckpoint * c;
  const cpuMeasured = m.pgOnly.cpuSecPerCheckpoint !== null;
  const cpu = m.pgOnly.cpuSecPerCheckpoint ?? pg.fallbackCpuMsPerCheckpointSync / 1000;
  const cpuFactor = pg.cpuSpeedFactor * pg.backgroundCpuFactor;
  const days = storedDays(s, fx);
  const storedCheckpoints = A * days * DAY * fx.pgOnlyRetention.keptCheckpointFraction;
  const storedBytes = A * days * DAY * fx.pgOnlyRetention.keptBytesFraction * disk * pg.bloatFactor;
  const iops = {
    commits: (P * m.pgOnly.writeCommitsPerCheckpoint) / pg.groupCommitFactor,
    wal: (P * wal) / pg.walIoBytes,
    data: (P * disk * pg.dataPageWritesPerPage) / pg.dataPageBytes,
    reads: 0,
  };
  const requirement: PostgresRequirement = {
    peakCpuVcpu: P * cpu * cpuFactor,
    averageCpuVcpu: A * cpu * cpuFactor,
    ramGiB: (checkpointsInWindow(s.pgOnly.cacheHours, A, Ph) * disk) / pg.ramCacheFraction / GiB,
    peakIops: iops.commits + iops.wal + iops.data + iops.reads,
    peakThroughputMiBps: (P * (wal + disk * pg.dataPageWritesPerPage)) / MiB,
    storedGB: storedBytes / GB,
    backupGB: (storedBytes + pg.backupRetentionDays * A * DAY * (disk + wal)) / GB,
  };
  const sizing = sizePostgres(requirement, prices, { multiAz: s.pgOnly.multiAz, readReplicas: s.pgOnly.readReplicas, instanceClasses: s.pgOnly.instanceClasses }, s.sizing);
  warnings.push(...sizing.warnings.map((w) => `PostgreSQL-only: ${w}`));
  const lines = toLines('pgOnly', sizing.lines);
  return {
    design: 'pgOnly',
    label: 'PostgreSQL only (PostgresSaver)',
    monthlyUsd: total(lines),
    feasible: sizing.feasible,
    lines,
    postgres: {
      load: {
        writeRateCheckpointsPerSec: P,
        writeCommitsPerSec: P * m.pgOnly.writeCommitsPerCheckpoint,
        walBytesPerSec: P * wal,
        dataBytesPerSec: P * disk,
        readsPerSec: P * m.readsPerCheckpoint,
        iops,
        storedCheckpoints,
        cpuSecPerCheckpoint: cpu,
        cpuMeasured,
      },
      requirement,
      sizing,
    },
  };
}

function tieredDesign(s: Scenario, m: MeasuredInputs, prices: PriceSheet, warnings: string[], fx: LeverEffects): DesignCost {
  const { averageCheckpointsPerSec: A, peakCheckpointsPerSec: P, peakHourCheckpointsPerSec: Ph, coldReadFraction } = s.load;
  const t = s.tiered;
  const pg = s.sizing.postgres;
  const R = effectiveRetentionDays(s);
  const ttlHours = s.retention.threadTtlDays === null ? Infinity : s.retention.threadTtlDays * 24;
  // f: copied (the retention lever copies everything, then prunes); kept: checkpoints and bytes left cold.
  const f = fx.retention.copiedFraction;
  const keptCheckpoints = fx.retention.keptCheckpointFraction;
  const keptBytes = fx.retention.keptBytesFraction;
  const I = t.migrationIntervalHours;

  // --- migration: what one run copies, and how fast PostgreSQL must take it
  const budget = t.maxBatchesPerRun * t.batchSize;
  const perRunPeak = Math.min(Ph * HOUR * I * f, budget);
  const migrationRate = perRunPeak / (s.sizing.migration.dutyFraction * I * HOUR);
  const perRunAverage = A * HOUR * I * f;
  const migrationKeepsUp = perRunAverage <= budget;
  if (!migrationKeepsUp) {
    warnings.push(
      `Tiered: migration cannot keep up — ${fmtNum(perRunAverage)} checkpoints fall due per run on average but a run copies at most ${fmtNum(budget)} (${t.maxBatchesPerRun} batches × ${t.batchSize}); the Redis backlog grows without bound. Raise batchSize/maxBatchesPerRun or run migration more often.`,
    );
  } else if (Ph * HOUR * I * f > budget) {
    warnings.push(`Tiered: the busiest hour leaves ${fmtNum(Ph * HOUR * I * f - budget)} checkpoints for later runs (budget ${fmtNum(budget)} per run); Redis holds them a little longer.`);
  }

  // --- Redis
  const hold = Math.min(t.hotWindowHours, ttlHours) + I;
  const held = checkpointsInWindow(hold, A, Ph);
  // Copy/evict split: checkpoints past copyAfter are copied but stay hot until the window passes (measured bytes ratio).
  const uncopiedHeld = Math.min(held, checkpointsInWindow(Math.min(t.copyAfterHours, ttlHours) + I, A, Ph));
  const copiedHeld = held - uncopiedHeld;
  const kappa = fx.hot.copiedBytesRatio;
  const bytesPerCheckpoint = m.hot.redisBytesPerCheckpoint * fx.hotCompression.bytesFactor;
  const threadsRetained = f > 0 ? (A * R * DAY) / m.checkpointsPerThread : 0;
  const residualBytes = threadsRetained * m.hot.residualBytesPerThread;
  // Thread TTL: each expired thread leaves a tombstone for threadTombstoneDays (threads expire as fast as they start).
  const tombstones = s.retention.threadTtlDays === null ? 0 : ((A * DAY) / m.checkpointsPerThread) * s.retention.threadTombstoneDays;
  const tombstoneBytes = tombstones * fx.threadTtl.tombstoneBytesPerThread;
  const usecMeasured = m.hot.serverUsecPerCheckpoint !== null;
  const usecPerCheckpoint = m.hot.serverUsecPerCheckpoint ?? s.sizing.redis.fallbackUsecPerCheckpoint;
  const migrationUsec = m.migration.redisUsecPerCheckpoint ?? 0;
  const ecpuPerCheckpoint = m.hot.commandsPerCheckpoint + m.hot.argBytesPerCheckpoint / 1024 + m.migration.redisCommandsPerCheckpoint + m.migration.bytesCopiedPerCheckpoint / 1024;
  const redisRequirement: RedisRequirement = {
    datasetBytes: (uncopiedHeld + copiedHeld * kappa) * bytesPerCheckpoint + residualBytes + tombstoneBytes,
    averageStoredBytes:
      HOUR * A * (Math.min(t.copyAfterHours, ttlHours) + I / 2 + (Math.min(t.hotWindowHours, ttlHours) - Math.min(t.copyAfterHours, ttlHours)) * kappa) * bytesPerCheckpoint + residualBytes + tombstoneBytes,
    peakCpuCores: (P * usecPerCheckpoint + migrationRate * migrationUsec) / 1e6,
    ecpuPerMonth: A * prices.hoursPerMonth * HOUR * ecpuPerCheckpoint,
  };
  const redisSizing = sizeRedis(redisRequirement, prices, t.redis, s.sizing);
  warnings.push(...redisSizing.warnings.map((w) => `Tiered: ${w}`));
  if (t.redis.replicas === 0 && redisSizing.deployment === 'nodes') {
    warnings.push(`Tiered: the hot tier has no replica; until a checkpoint is copied Redis holds its only copy (up to ${fmtNum(t.copyAfterHours + I)} h of checkpoints are lost with the node).`);
  }

  // --- cold PostgreSQL
  const disk = m.migration.diskBytesPerCheckpoint * fx.compression.bytesFactor;
  const wal = m.migration.walBytesPerCheckpoint * fx.compression.walFactor * fx.batch.walFactor * fx.retention.walFactor;
  const commitsPerCheckpoint = (m.migration.writeCommitsPerCheckpoint * m.migration.batchSize) / t.batchSize + fx.retention.extraCommitsPerCheckpoint;
  const cpuMeasured = m.migration.cpuSecPerCheckpoint !== null;
  const cpu = (m.migration.cpuSecPerCheckpoint ?? pg.fallbackCpuMsPerCheckpointBatched / 1000) * fx.batch.cpuFactor * fx.retention.cpuFactor;
  const readCpu = m.coldRead.cpuSecPerRead ?? pg.fallbackCpuMsPerColdRead / 1000;
  const cpuFactor = pg.cpuSpeedFactor * pg.backgroundCpuFactor;
  // Reads that miss Redis, plus the queries the hot path itself sends (a new thread's first read).
  const coldReadsPerCheckpoint = m.readsPerCheckpoint * coldReadFraction + m.hot.pgQueriesPerCheckpoint;
  const coldReadsPeak = P * coldReadsPerCheckpoint;
  const coldReadsAverage = A * coldReadsPerCheckpoint;
  const coldDays = Math.max(R - t.copyAfterHours / 24, 0) + (1 - fx.threadTtl.removedFraction) * Math.max(s.retention.days - R, 0);
  const storedCheckpoints = A * DAY * coldDays * keptCheckpoints;
  const storedBytes = A * DAY * coldDays * keptBytes * disk * pg.bloatFactor;
  const iops = {
    commits: (migrationRate * commitsPerCheckpoint) / pg.groupCommitFactor,
    wal: (migrationRate * wal) / pg.walIoBytes,
    data: (migrationRate * disk * pg.dataPageWritesPerPage) / pg.dataPageBytes,
    reads: coldReadsPeak * pg.pageReadsPerColdRead,
  };
  const requirement: PostgresRequirement = {
    peakCpuVcpu: (migrationRate * cpu + coldReadsPeak * readCpu) * cpuFactor,
    averageCpuVcpu: (A * f * cpu + coldReadsAverage * readCpu) * cpuFactor,
    ramGiB: (checkpointsInWindow(t.postgres.cacheHours, A, Ph) * keptBytes * disk) / pg.ramCacheFraction / GiB,
    peakIops: iops.commits + iops.wal + iops.data + iops.reads,
    peakThroughputMiBps: (migrationRate * (wal + disk * pg.dataPageWritesPerPage)) / MiB,
    storedGB: storedBytes / GB,
    backupGB: (storedBytes + pg.backupRetentionDays * A * DAY * (keptBytes * disk + f * wal)) / GB,
  };
  const pgSizing = sizePostgres(requirement, prices, { multiAz: t.postgres.multiAz, readReplicas: t.postgres.readReplicas, instanceClasses: t.postgres.instanceClasses }, s.sizing);
  warnings.push(...pgSizing.warnings.map((w) => `Tiered (cold PostgreSQL): ${w}`));

  const lines = [...toLines('tiered', redisSizing.lines), ...toLines('tiered', pgSizing.lines)];
  return {
    design: 'tiered',
    label: `Tiered (Redis ${fmtNum(t.hotWindowHours)} h hot + PostgreSQL cold)`,
    monthlyUsd: total(lines),
    feasible: pgSizing.feasible && redisSizing.feasible && migrationKeepsUp,
    lines,
    postgres: {
      load: {
        writeRateCheckpointsPerSec: migrationRate,
        writeCommitsPerSec: migrationRate * commitsPerCheckpoint,
        walBytesPerSec: migrationRate * wal,
        dataBytesPerSec: migrationRate * disk,
        readsPerSec: coldReadsPeak,
        iops,
        storedCheckpoints,
        cpuSecPerCheckpoint: cpu,
        cpuMeasured,
      },
      requirement,
      sizing: pgSizing,
    },
    redis: {
      load: {
        checkpointsHeld: held,
        holdHours: hold,
        bytesPerCheckpoint,
        residualBytes,
        threadsRetained,
        usecPerCheckpoint,
        usecMeasured,
        commandsPerSecPeak: P * m.hot.commandsPerCheckpoint + migrationRate * m.migration.redisCommandsPerCheckpoint,
        ecpuPerCheckpoint,
      },
      requirement: redisRequirement,
      sizing: redisSizing,
    },
  };
}

function lineFor(d: DesignCost, component: 'postgres' | 'redis', match: (l: CostLine) => boolean): string {
  const line = d.lines.find((l) => l.component === component && match(l));
  if (!line) return 'not billed (within what is included)';
  return `${line.item}: ${fmtNum(line.quantity)} ${line.unit} × ${describePrice(line.price)} = ${fmtUsd(line.monthlyUsd)}`;
}


/** Tags of the lever factors a trace shows: measured, assumed (a scenario number), or no lever (the neutral 1). */
function factorTags(s: Scenario, fx: LeverEffects) {
  const neutral = (source: LeverSource, value: number) => (source === 'measured' ? 'measured' : value === 1 ? 'no lever' : 'assumed');
  return {
    retention: fx.retention.measured ? 'measured' : neutral('assumed', s.tiered.keptColdFraction),
    compression: neutral(fx.compression.source, fx.compression.bytesFactor),
    batch: fx.batch.source === 'measured' ? 'measured' : s.tiered.batchSize === fx.batch.batchSize && fx.batch.walFactor === 1 ? 'not measured' : 'assumed',
    pgOnly: fx.pgOnlyRetention.source === 'measured' ? 'measured' : neutral('assumed', fx.pgOnlyRetention.keptBytesFraction),
  };
}

function buildTraces(s: Scenario, m: MeasuredInputs, pgOnly: DesignCost, tiered: DesignCost, fx: LeverEffects): Trace[] {
  const P = s.load.peakCheckpointsPerSec;
  const A = s.load.averageCheckpointsPerSec;
  const pl = pgOnly.postgres.load;
  const pr = pgOnly.postgres.requirement;
  const tl = tiered.postgres.load;
  const tr = tiered.postgres.requirement;
  const rl = tiered.redis!.load;
  const rr = tiered.redis!.requirement;
  const instance = (l: CostLine) => l.unit === 'instance-hours' && !l.item.includes('replica');
  const storage = (l: CostLine) => l.item.startsWith('gp3 storage') && !l.item.includes('replica');
  const iopsLine = (l: CostLine) => l.unit === 'IOPS-months' && !l.item.includes('replica');
  const backup = (l: CostLine) => l.item.startsWith('backup');
  const redisLine = (l: CostLine) => l.component === 'redis';
  const cpuNote = (measured: boolean) => (measured ? 'measured' : 'NOT measured: sizing fallback (U)');
  const tags = factorTags(s, fx);
  return [
    {
      design: 'pgOnly',
      figure: 'PostgreSQL bytes on disk per checkpoint (heap + index + TOAST, 3 tables)',
      measured: `${fmtBytes(m.pgOnly.diskBytesPerCheckpoint)} (heap ${fmtBytes(m.pgOnly.heapBytesPerCheckpoint)}, index ${fmtBytes(m.pgOnly.indexBytesPerCheckpoint)}, TOAST ${fmtBytes(m.pgOnly.toastBytesPerCheckpoint)})`,
      becomes: `× ${fmtNum(A)}/s × ${fmtNum(storedDays(s, fx))} d × kept ${fmtNum(fx.pgOnlyRetention.keptBytesFraction)} of bytes (${tags.pgOnly}) × compression ${fmtNum(s.pgOnly.compressionRatio)} × bloat ${s.sizing.postgres.bloatFactor} = ${fmtNum(pr.storedGB)} GB stored`,
      pricedAs: lineFor(pgOnly, 'postgres', storage),
    },
    {
      design: 'pgOnly',
      figure: 'PostgreSQL backend CPU per checkpoint (synchronous put + putWrites + reads)',
      measured: `${fmtNum(pl.cpuSecPerCheckpoint * 1000)} ms (${cpuNote(pl.cpuMeasured)})`,
      becomes: `× ${fmtNum(P)}/s peak × ${s.sizing.postgres.cpuSpeedFactor} speed × ${s.sizing.postgres.backgroundCpuFactor} background = ${fmtNum(pr.peakCpuVcpu)} vCPU at peak (${fmtNum(pr.averageCpuVcpu)} average)`,
      pricedAs: lineFor(pgOnly, 'postgres', instance),
    },
    {
      design: 'pgOnly',
      figure: 'PostgreSQL write commits per checkpoint',
      measured: `${fmtNum(m.pgOnly.writeCommitsPerCheckpoint)} (all transactions incl. reads: ${fmtNum(m.pgOnly.transactionsPerCheckpoint)}; rows ${fmtNum(m.pgOnly.rowsPerCheckpoint)})`,
      becomes: `× ${fmtNum(P)}/s = ${fmtNum(pl.writeCommitsPerSec)} commits/s → ${fmtNum(pl.iops.commits)} IOPS (of ${fmtNum(pr.peakIops)} total)`,
      pricedAs: lineFor(pgOnly, 'postgres', iopsLine),
    },
    {
      design: 'pgOnly',
      figure: 'PostgreSQL WAL per checkpoint',
      measured: fmtBytes(m.pgOnly.walBytesPerCheckpoint),
      becomes: `× ${fmtNum(P)}/s = ${fmtNum(pl.walBytesPerSec / MiB)} MiB/s WAL; ${fmtNum(pr.peakThroughputMiBps)} MiB/s writes incl. pages; backups ${fmtNum(pr.backupGB)} GB`,
      pricedAs: lineFor(pgOnly, 'postgres', backup),
    },
    {
      design: 'tiered',
      figure: 'Redis bytes per checkpoint (MEMORY USAGE of the product keys, all hot)',
      measured: `${fmtBytes(m.hot.redisBytesPerCheckpoint)} (INFO used_memory delta: ${fmtBytes(m.hot.usedMemoryBytesPerCheckpoint)})`,
      becomes: `× ${fmtNum(rl.checkpointsHeld)} held (${fmtNum(rl.holdHours)} h) × compression ${fmtNum(fx.hotCompression.bytesFactor)} (${fx.hotCompression.source}) + ${fmtBytes(rl.residualBytes)} residual = ${fmtBytes(rr.datasetBytes)} (× fragmentation ${s.sizing.redis.fragmentationFactor}, ÷ ${1 - s.sizing.redis.reservedMemoryFraction} usable)`,
      pricedAs: lineFor(tiered, 'redis', redisLine),
    },
    {
      design: 'tiered',
      figure: 'Redis commands and server time per checkpoint (puts, writes, reads)',
      measured: `${fmtNum(m.hot.commandsPerCheckpoint)} commands sent${m.hot.serverCallsPerCheckpoint === null ? '' : ` (${fmtNum(m.hot.serverCallsPerCheckpoint)} executed incl. inside Lua)`}; ${fmtNum(rl.usecPerCheckpoint)} µs (${rl.usecMeasured ? 'measured' : 'NOT measured: fallback (U)'})`,
      becomes: `× ${fmtNum(P)}/s = ${fmtNum(rl.commandsPerSecPeak)} commands/s, ${fmtNum(rr.peakCpuCores)} Redis cores at peak`,
      pricedAs: `${tiered.redis!.sizing.bindingConstraint}`,
    },
    {
      design: 'tiered',
      figure: 'PostgreSQL queries on the tiered hot path (puts, writes, hot reads)',
      measured: `${fmtNum(m.hot.pgQueriesPerCheckpoint)} per checkpoint (${fmtNum(m.hot.pgQueriesPerCheckpoint * m.checkpointsPerThread)} per thread: a new thread's first read asks PostgreSQL); ${fmtNum(m.hot.pgTransactionsDuringPuts)} transactions in the whole phase incl. connection start-up`,
      becomes: `no PostgreSQL commits on the write path; ${fmtNum(P * m.hot.pgQueriesPerCheckpoint)} reads/s at peak counted as cold reads`,
      pricedAs: lineFor(tiered, 'postgres', instance),
    },
    {
      design: 'tiered',
      figure: `Migration write commits per checkpoint (batch ${m.migration.batchSize})`,
      measured: `${fmtNum(m.migration.writeCommitsPerCheckpoint)} (all transactions: ${fmtNum(m.migration.transactionsPerCheckpoint)}; rows ${fmtNum(m.migration.rowsPerCheckpoint)})`,
      becomes: `× ${m.migration.batchSize}/${s.tiered.batchSize} batch ratio${fx.retention.extraCommitsPerCheckpoint > 0 ? ` + ${fmtNum(fx.retention.extraCommitsPerCheckpoint)} prune commits (measured ${retentionKey(fx.retention.setting)})` : ''} × ${fmtNum(tl.writeRateCheckpointsPerSec)}/s during runs = ${fmtNum(tl.writeCommitsPerSec)} commits/s`,
      pricedAs: lineFor(tiered, 'postgres', iopsLine),
    },
    {
      design: 'tiered',
      figure: 'Migration WAL per checkpoint',
      measured: fmtBytes(m.migration.walBytesPerCheckpoint),
      becomes: `× compression ${fmtNum(fx.compression.walFactor)} (${tags.compression}) × batch ${fmtNum(fx.batch.walFactor)} (${tags.batch}) × retention ${fmtNum(fx.retention.walFactor)} (${fx.retention.measured ? 'measured' : 'no lever'}) × ${fmtNum(tl.writeRateCheckpointsPerSec)}/s = ${fmtNum(tl.walBytesPerSec / MiB)} MiB/s during runs; backups ${fmtNum(tr.backupGB)} GB`,
      pricedAs: lineFor(tiered, 'postgres', backup),
    },
    {
      design: 'tiered',
      figure: 'Cold-tier bytes on disk per checkpoint (heap + index + TOAST)',
      measured: `${fmtBytes(m.migration.diskBytesPerCheckpoint)} (heap ${fmtBytes(m.migration.heapBytesPerCheckpoint)}, index ${fmtBytes(m.migration.indexBytesPerCheckpoint)}, TOAST ${fmtBytes(m.migration.toastBytesPerCheckpoint)})`,
      becomes: `× ${fmtNum(A)}/s × ${fmtNum(Math.max(effectiveRetentionDays(s) - s.tiered.copyAfterHours / 24, 0) + (1 - fx.threadTtl.removedFraction) * Math.max(s.retention.days - effectiveRetentionDays(s), 0))} d after the copy × kept ${fmtNum(fx.retention.keptBytesFraction)} of bytes (${fmtNum(fx.retention.keptCheckpointFraction)} of checkpoints = ${fmtNum(tl.storedCheckpoints)}; ${tags.retention}) × compression ${fmtNum(fx.compression.bytesFactor)} (${tags.compression}) × bloat ${s.sizing.postgres.bloatFactor} = ${fmtNum(tr.storedGB)} GB stored`,
      pricedAs: lineFor(tiered, 'postgres', storage),
    },
    {
      design: 'tiered',
      figure: 'Migration backend CPU per checkpoint; cold-read CPU per read',
      measured: `${fmtNum((m.migration.cpuSecPerCheckpoint ?? tl.cpuSecPerCheckpoint) * 1000)} ms (${cpuNote(tl.cpuMeasured)}) × retention ${fmtNum(fx.retention.cpuFactor)} = ${fmtNum(tl.cpuSecPerCheckpoint * 1000)} ms; ${m.coldRead.cpuSecPerRead === null ? 'read CPU not measured' : `${fmtNum(m.coldRead.cpuSecPerRead * 1000)} ms per cold read`}`,
      becomes: `${fmtNum(tr.peakCpuVcpu)} vCPU during runs (${fmtNum(tr.averageCpuVcpu)} average), ${fmtNum(tl.readsPerSec)} cold reads/s`,
      pricedAs: lineFor(tiered, 'postgres', instance),
    },
  ];
}

/** Both designs and the lever effects behind them (what sweeps and lever alternatives need). */
function costDesigns(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet): { pgOnly: DesignCost; tiered: DesignCost; warnings: string[]; fx: LeverEffects } {
  const fx = resolveLevers(scenario, measured);
  const warnings: string[] = [...fx.warnings];
  const pgOnly = pgOnlyDesign(scenario, measured, prices, warnings, fx);
  const tiered = tieredDesign(scenario, measured, prices, warnings, fx);
  return { pgOnly, tiered, warnings, fx };
}

/** Costs both designs for one scenario. Pure. */
export function computeCost(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet): CostResult {
  const { pgOnly, tiered, warnings, fx } = costDesigns(scenario, measured, prices);
  const savingsUsd = pgOnly.monthlyUsd - tiered.monthlyUsd;
  const savingsFraction = pgOnly.monthlyUsd > 0 ? savingsUsd / pgOnly.monthlyUsd : 0;
  const verdict =
    savingsUsd >= 0
      ? `tiered costs ${fmtPct(savingsFraction)} less (${fmtUsd(tiered.monthlyUsd)} vs ${fmtUsd(pgOnly.monthlyUsd)} per month)`
      : `tiered costs ${fmtPct(-savingsUsd / pgOnly.monthlyUsd)} more (${fmtUsd(tiered.monthlyUsd)} vs ${fmtUsd(pgOnly.monthlyUsd)} per month)`;
  if (measured.profileHash !== profileHash(scenario.profile)) {
    warnings.push(`The measurement is of workload profile "${measured.profileName}" (${measured.profileHash}), not this scenario's "${scenario.profile.name}" (${profileHash(scenario.profile)}): bytes, commits and CPU per checkpoint may not fit this scenario.`);
  }
  const s = scenario;
  const facts = [
    { label: 'checkpoints per day (average)', value: fmtNum(s.load.averageCheckpointsPerSec * DAY) },
    { label: 'peak ÷ average write rate', value: `${fmtNum(s.load.peakCheckpointsPerSec / s.load.averageCheckpointsPerSec)} ×` },
    { label: 'peak-hour ÷ average write rate', value: `${fmtNum(s.load.peakHourCheckpointsPerSec / s.load.averageCheckpointsPerSec)} ×` },
    { label: 'retention (effective)', value: `${fmtNum(effectiveRetentionDays(s))} days` },
    {
      label: 'kept cold, tiered (f, effective)',
      value: fx.retention.measured
        ? `${fmtNum(fx.retention.keptCheckpointFraction)} of checkpoints, ${fmtNum(fx.retention.keptBytesFraction)} of bytes (measured ${retentionKey(fx.retention.setting)}; all ${fmtNum(fx.retention.copiedFraction)} copied first)`
        : fmtNum(fx.retention.keptCheckpointFraction),
    },
    {
      label: 'kept, PostgreSQL-only',
      value: fx.pgOnlyRetention.source === 'measured' ? `${fmtNum(fx.pgOnlyRetention.keptCheckpointFraction)} of checkpoints, ${fmtNum(fx.pgOnlyRetention.keptBytesFraction)} of bytes (pruning job, measured ${retentionKey(s.levers.retention)})` : fmtNum(fx.pgOnlyRetention.keptCheckpointFraction),
    },
    { label: 'hot window / copy after / migration interval', value: `${fmtNum(s.tiered.hotWindowHours)} h / ${fmtNum(s.tiered.copyAfterHours)} h / ${fmtNum(s.tiered.migrationIntervalHours)} h` },
    { label: 'HA: PostgreSQL-only', value: `${s.pgOnly.multiAz ? 'Multi-AZ' : 'Single-AZ'}, ${s.pgOnly.readReplicas} read replica(s)` },
    { label: 'HA: tiered', value: `Redis ${s.tiered.redis.replicas} replica(s) per shard; cold PostgreSQL ${s.tiered.postgres.multiAz ? 'Multi-AZ' : 'Single-AZ'}, ${s.tiered.postgres.readReplicas} read replica(s)` },
  ];
  return {
    scenario,
    measured,
    prices: { id: prices.id, title: prices.title, compiled: prices.compiled, hoursPerMonth: prices.hoursPerMonth },
    pgOnly,
    tiered,
    savingsUsd,
    savingsFraction,
    verdict,
    traces: buildTraces(scenario, measured, pgOnly, tiered, fx),
    warnings,
    facts,
    leverEffects: fx,
    levers: buildLeverLines(scenario, measured, prices, pgOnly, tiered, fx),
  };
}

/** The scenario with `set` merged in (validated), for a lever switched on or off. */
function switched(s: Scenario, set: Record<string, unknown>): Scenario {
  const { sensitivity: _ignored, ...base } = s;
  return { ...resolveScenario(merge(base as unknown as ScenarioInput, set)), sensitivity: [] };
}

function alternative(s: Scenario, m: MeasuredInputs, prices: PriceSheet, label: string, set: Record<string, unknown>): LeverLine['alternative'] {
  const r = costDesigns(switched(s, set), m, prices);
  return { label, pgOnlyUsd: r.pgOnly.monthlyUsd, tieredUsd: r.tiered.monthlyUsd };
}

function buildLeverLines(s: Scenario, m: MeasuredInputs, prices: PriceSheet, pgOnly: DesignCost, tiered: DesignCost, fx: LeverEffects): LeverLine[] {
  const L = m.levers;
  const storage = (l: CostLine) => l.item.startsWith('gp3 storage') && !l.item.includes('replica');
  const instance = (l: CostLine) => l.unit === 'instance-hours' && !l.item.includes('replica');
  const iopsLine = (l: CostLine) => l.unit === 'IOPS-months' && !l.item.includes('replica');
  const redisLine = (l: CostLine) => l.component === 'redis';
  const ms = (sec: number | null) => (sec === null ? '?' : `${fmtNum(sec * 1000)} ms`);
  const lines: LeverLine[] = [];

  // --- cold compression
  const c = L?.compression;
  const gz = s.levers.coldCompression === 'gzip';
  const readText = (r: { p50Ms: number; clientCpuMsPerRead: number; backendCpuMsPerRead: number | null } | null) =>
    r ? `p50 ${fmtNum(r.p50Ms)} ms, client CPU ${fmtNum(r.clientCpuMsPerRead)} ms, backend CPU ${r.backendCpuMsPerRead === null ? '?' : `${fmtNum(r.backendCpuMsPerRead)} ms`}` : 'not measured';
  lines.push({
    lever: 'coldCompression',
    setting: s.levers.coldCompression,
    used: gz,
    source: fx.compression.source,
    measured: c
      ? `cold bytes per checkpoint (table + index + TOAST) ${fmtBytes(c.bytesPerCheckpoint.none)} → ${fmtBytes(c.bytesPerCheckpoint.gzip)} = × ${fmtNum(c.bytesRatio)}; migration WAL ${fmtBytes(c.walBytesPerCheckpoint.none)} → ${fmtBytes(c.walBytesPerCheckpoint.gzip)} = × ${fmtNum(c.walRatio)}; migration job CPU ${fmtNum(c.migrationClientCpuMsPerCheckpoint.none)} → ${fmtNum(c.migrationClientCpuMsPerCheckpoint.gzip)} ms per checkpoint; cold getTuple without: ${readText(c.coldRead.none)}; with gzip: ${readText(c.coldRead.gzip)} (client CPU is not priced: the model has no application servers)`
      : 'not measured',
    feeds: gz
      ? `cold bytes × ${fmtNum(fx.compression.bytesFactor)}, migration WAL × ${fmtNum(fx.compression.walFactor)} (${fx.compression.source}${fx.compression.source === 'measured' ? `, replaces tiered.coldCompressionRatio ${fmtNum(s.tiered.coldCompressionRatio)}` : ''})`
      : `not used: cold bytes and WAL × tiered.coldCompressionRatio ${fmtNum(s.tiered.coldCompressionRatio)} (assumed)`,
    changes: `${lineFor(tiered, 'postgres', storage)}; backups and WAL IOPS`,
    alternative: gz ? alternative(s, m, prices, 'coldCompression none', { levers: { coldCompression: 'none' } }) : c ? alternative(s, m, prices, 'coldCompression gzip', { levers: { coldCompression: 'gzip' } }) : null,
  });

  // --- hot compression
  const hc = L?.hotCompression;
  const deflate = s.levers.hotCompression === 'deflate';
  lines.push({
    lever: 'hotCompression',
    setting: s.levers.hotCompression,
    used: deflate,
    source: fx.hotCompression.source,
    measured: hc
      ? `Redis bytes per hot checkpoint ${fmtBytes(hc.bytesPerCheckpoint.none)} → ${fmtBytes(hc.bytesPerCheckpoint.deflate)} = × ${fmtNum(hc.bytesRatio)} (client CPU per write is not priced: the model has no application servers)`
      : 'not measured',
    feeds: deflate
      ? `Redis bytes × ${fmtNum(fx.hotCompression.bytesFactor)} (${fx.hotCompression.source}${fx.hotCompression.source === 'measured' ? `, replaces tiered.hotCompressionRatio ${fmtNum(s.tiered.hotCompressionRatio)}` : ''})`
      : `not used: Redis bytes × tiered.hotCompressionRatio ${fmtNum(s.tiered.hotCompressionRatio)} (assumed)`,
    changes: lineFor(tiered, 'redis', redisLine),
    alternative: deflate ? alternative(s, m, prices, 'hotCompression none', { levers: { hotCompression: 'none' } }) : hc ? alternative(s, m, prices, 'hotCompression deflate', { levers: { hotCompression: 'deflate' } }) : null,
  });

  // --- retention
  const r = s.levers.retention;
  const retained = r.mode !== 'all';
  const measuredList = (L?.retention ?? [])
    .map(
      (x) =>
        `${x.key}: keeps ${fmtPct(x.keptFraction)} of checkpoints and ${fmtPct(x.keptBytesFraction)} of cold bytes (${fmtBytes(x.coldBytesPerThread.kept)} of ${fmtBytes(x.coldBytesPerThread.all)} per thread after VACUUM FULL; ${fmtBytes(x.coldBytesPerThread.keptBeforeVacuum)} before it); copy + prune: WAL × ${fmtNum(x.walRatio)}, backend CPU × ${x.cpuRatio === null ? '?' : fmtNum(x.cpuRatio)}, + ${fmtNum(x.extraCommitsPerCheckpoint)} commits per copied checkpoint`,
    )
    .join('; ');
  const smallest = (L?.retention ?? []).filter((x) => x.policy.mode === 'keepLast').sort((a, b) => (a.policy as { keepLast: number }).keepLast - (b.policy as { keepLast: number }).keepLast)[0];
  lines.push({
    lever: 'retention',
    setting: `${retentionKey(r)}${retained && s.levers.pgOnlyRetention ? ' (PostgreSQL-only prunes the same with a job)' : ''}`,
    used: retained,
    source: fx.retention.source,
    measured: measuredList === '' ? 'not measured' : `${measuredList} (lever workload: ${fmtNum(L!.checkpointsPerThread)} checkpoints per thread)`,
    feeds: retained
      ? fx.retention.measured
        ? `tiered: all checkpoints copied, then ${fmtNum(fx.retention.keptCheckpointFraction)} of checkpoints / ${fmtNum(fx.retention.keptBytesFraction)} of bytes kept cold (measured; replaces tiered.keptColdFraction ${fmtNum(s.tiered.keptColdFraction)}); migration WAL × ${fmtNum(fx.retention.walFactor)}, CPU × ${fmtNum(fx.retention.cpuFactor)}, + ${fmtNum(fx.retention.extraCommitsPerCheckpoint)} commits${fx.pgOnlyRetention.source === 'measured' ? `; PostgreSQL-only keeps ${fmtNum(fx.pgOnlyRetention.keptCheckpointFraction)} / ${fmtNum(fx.pgOnlyRetention.keptBytesFraction)} (its pruning job's own load is not modelled)` : ''}`
        : `not measured: tiered.keptColdFraction ${fmtNum(s.tiered.keptColdFraction)} (assumed)`
      : `not used: tiered.keptColdFraction ${fmtNum(s.tiered.keptColdFraction)} (assumed), pgOnly.keptFraction ${fmtNum(s.pgOnly.keptFraction)}`,
    changes: `${lineFor(tiered, 'postgres', storage)}; ${lineFor(tiered, 'postgres', instance)}${fx.pgOnlyRetention.source === 'measured' ? `; PostgreSQL-only ${lineFor(pgOnly, 'postgres', storage)}` : ''}`,
    alternative: retained
      ? alternative(s, m, prices, 'retention all (keep everything)', { levers: { retention: { mode: 'all' }, pgOnlyRetention: false } })
      : smallest
        ? alternative(s, m, prices, `retention ${smallest.key} (tiered only)`, { levers: { retention: smallest.policy } })
        : null,
  });

  // --- migration batch size
  const b = s.tiered.batchSize;
  const points = (L?.batch ?? []).map((p) => `batch ${p.batchSize}: ${fmtNum(p.writeCommitsPerCheckpoint)} commits, ${fmtBytes(p.walBytesPerCheckpoint)} WAL, ${ms(p.cpuSecPerCheckpoint)} backend CPU`).join('; ');
  const otherBatch = (L?.batch ?? []).map((p) => p.batchSize).find((x) => x !== b);
  const tl = tiered.postgres.load;
  lines.push({
    lever: 'migrationBatchSize',
    setting: String(b),
    used: true,
    source: fx.batch.source,
    measured: points === '' ? 'not measured (one batch size only)' : `per checkpoint — ${points}`,
    feeds: `commits per checkpoint ${fmtNum(m.migration.writeCommitsPerCheckpoint)} × ${m.migration.batchSize}/${b}${fx.retention.extraCommitsPerCheckpoint > 0 ? ` + ${fmtNum(fx.retention.extraCommitsPerCheckpoint)} prune commits` : ''}; WAL × ${fmtNum(fx.batch.walFactor)} (${fx.batch.source === 'measured' ? `fit a + b ÷ batch through the measured sizes${fx.batch.extrapolated ? ', extrapolated' : ''}` : 'assumed independent of batch size'}); backend CPU per checkpoint not moved (its batch effect is within run-to-run noise) → ${fmtNum(tl.writeCommitsPerSec)} commits/s, ${fmtNum(tl.walBytesPerSec / MiB)} MiB/s WAL during runs`,
    changes: `${lineFor(tiered, 'postgres', iopsLine)}; ${lineFor(tiered, 'postgres', instance)}`,
    alternative: otherBatch ? alternative(s, m, prices, `migrationBatchSize ${otherBatch}`, { tiered: { batchSize: otherBatch } }) : null,
  });

  // --- hot window / copy after
  const rl = tiered.redis!.load;
  const rr = tiered.redis!.requirement;
  const h = L?.hot;
  lines.push({
    lever: 'hotWindowMs / copyAfterMs',
    setting: `hot window ${fmtNum(s.tiered.hotWindowHours)} h, copy after ${fmtNum(s.tiered.copyAfterHours)} h`,
    used: true,
    source: 'measured',
    measured: `${fmtBytes(m.hot.redisBytesPerCheckpoint)} per hot checkpoint (MEMORY USAGE, main run)${h ? `; lever run: ${fmtBytes(h.bytesPerCheckpointUncopied)} before the copy, ${fmtBytes(h.bytesPerCheckpointCopied)} copied but still hot (× ${fmtNum(h.copiedRatio)}), ${fmtNum(h.residualBytesPerThread)} B per thread after eviction` : ''}`,
    feeds: `${fmtNum(rl.checkpointsHeld)} checkpoints held (${fmtNum(rl.holdHours)} h${s.tiered.copyAfterHours < s.tiered.hotWindowHours ? `, copied ones × ${fmtNum(fx.hot.copiedBytesRatio)} (${fx.hot.source})` : ''}) × ${fmtBytes(rl.bytesPerCheckpoint)} + ${fmtBytes(rl.residualBytes)} per-thread keys = ${fmtBytes(rr.datasetBytes)} Redis data set`,
    changes: lineFor(tiered, 'redis', redisLine),
    alternative: null,
  });

  // --- thread TTL
  const t = L?.threadTtl;
  const ttl = s.retention.threadTtlDays;
  lines.push({
    lever: 'threadTtlMs',
    setting: ttl === null ? 'off' : `${fmtNum(ttl)} days`,
    used: ttl !== null,
    source: fx.threadTtl.source,
    measured: t
      ? `${t.threadsExpired} of ${t.threads} idle threads expired by one migration run: ${t.coldRowsBefore - t.coldRowsAfter} of ${t.coldRowsBefore} cold rows removed (${fmtPct(t.rowsRemovedFraction)}), ${fmtBytes(t.coldBytesFreedPerThread)} freed per thread (of ${fmtBytes(t.coldBytesPerThread)} after VACUUM FULL); Redis ${fmtNum(t.redisBytesFreedPerThread)} B freed and a ${fmtNum(t.tombstoneBytesPerThread)} B tombstone left per thread`
      : 'not measured',
    feeds:
      ttl === null
        ? 'not used'
        : `retention min(${fmtNum(s.retention.days)}, ${fmtNum(ttl)}) = ${fmtNum(effectiveRetentionDays(s))} d in both designs, ${fmtPct(fx.threadTtl.removedFraction)} of an expired thread removed (${fx.threadTtl.source}); ${fmtBytes(fx.threadTtl.tombstoneBytesPerThread)} tombstone × ${fmtNum(((s.load.averageCheckpointsPerSec * DAY) / m.checkpointsPerThread) * s.retention.threadTombstoneDays)} threads (${fmtNum(s.retention.threadTombstoneDays)} d) in Redis`,
    changes: `${lineFor(tiered, 'postgres', storage)}; PostgreSQL-only ${lineFor(pgOnly, 'postgres', storage)}; ${lineFor(tiered, 'redis', redisLine)}`,
    alternative: ttl !== null ? alternative(s, m, prices, 'threadTtlMs off', { retention: { threadTtlDays: null } }) : null,
  });
  return lines;
}

/** One point of a write-rate sweep. */
export interface SweepPoint {
  averageCheckpointsPerSec: number;
  pgOnlyUsd: number;
  tieredUsd: number;
  pgOnlyFeasible: boolean;
  tieredFeasible: boolean;
}

/** A write rate where the cheaper design changes. */
export interface BreakEven {
  averageCheckpointsPerSec: number;
  monthlyUsd: number;
  /** What happens to tiered as the rate grows past this point. */
  direction: 'tiered-becomes-cheaper' | 'tiered-becomes-dearer';
  /** False when a design needs more than the price file offers here (its cost is understated, so the crossing is not real). */
  feasible: boolean;
}

/**
 * Both totals at `points` log-spaced average rates between the scenario's chart bounds, scaling
 * average, peak and peak-hour rates together (their ratios kept).
 */
export function sweepWriteRate(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet, points = 81): SweepPoint[] {
  const { minAverageRate: lo, maxAverageRate: hi } = scenario.chart;
  const base = scenario.load.averageCheckpointsPerSec;
  const out: SweepPoint[] = [];
  for (let i = 0; i < points; i += 1) {
    const rate = Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * i) / (points - 1));
    const r = costDesigns(scaleLoad(scenario, rate / base), measured, prices);
    out.push({ averageCheckpointsPerSec: rate, pgOnlyUsd: r.pgOnly.monthlyUsd, tieredUsd: r.tiered.monthlyUsd, pgOnlyFeasible: r.pgOnly.feasible, tieredFeasible: r.tiered.feasible });
  }
  return out;
}

/** Rates where the cheaper design flips, refined by bisection on the model itself. */
export function findBreakEvens(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet, sweep: SweepPoint[]): BreakEven[] {
  const base = scenario.load.averageCheckpointsPerSec;
  const diff = (rate: number) => {
    const r = costDesigns(scaleLoad(scenario, rate / base), measured, prices);
    return { d: r.pgOnly.monthlyUsd - r.tiered.monthlyUsd, usd: r.tiered.monthlyUsd, feasible: r.pgOnly.feasible && r.tiered.feasible };
  };
  const out: BreakEven[] = [];
  for (let i = 1; i < sweep.length; i += 1) {
    const a = sweep[i - 1]!;
    const b = sweep[i]!;
    const da = a.pgOnlyUsd - a.tieredUsd;
    const db = b.pgOnlyUsd - b.tieredUsd;
    if (Math.sign(da) === Math.sign(db) || da === 0) continue;
    let lo = a.averageCheckpointsPerSec;
    let hi = b.averageCheckpointsPerSec;
    for (let k = 0; k < 40; k += 1) {
      const mid = Math.sqrt(lo * hi);
      if (Math.sign(diff(mid).d) === Math.sign(da)) lo = mid;
      else hi = mid;
    }
    const at = diff(hi);
    out.push({ averageCheckpointsPerSec: hi, monthlyUsd: at.usd, direction: db > 0 ? 'tiered-becomes-cheaper' : 'tiered-becomes-dearer', feasible: at.feasible && a.pgOnlyFeasible && a.tieredFeasible });
  }
  return out;
}

/** Live figures the service can read from its stores and metrics. */
export interface LiveFigures {
  /** Product keys in Redis now: their `MEMORY USAGE` sum (or `used_memory` if that is all there is) and how many checkpoints they hold. */
  redis: { bytes: number; checkpoints: number };
  /** Cold tier now: `ColdTierStore.stats()` total bytes of the three tables and the checkpoint count. */
  postgres: { totalBytes: number; checkpoints: number };
  /** Observed write rates (checkpoints/s). */
  rates: { averageCheckpointsPerSec: number; peakCheckpointsPerSec: number; peakHourCheckpointsPerSec?: number };
}

/** Result of {@link estimateFromLive}: the cost result plus which measured figures live data replaced. */
export interface LiveEstimate {
  result: CostResult;
  replaced: Array<{ figure: string; measured: number; live: number }>;
}

/**
 * A cost estimate from live figures: the scenario defaults with the live write rates, and the
 * live bytes per checkpoint of each tier in place of the measured ones (PostgreSQL-only bytes are
 * scaled by the same live ÷ measured ratio as the cold tier, since both use the same tables).
 * Figures that live data cannot give (CPU, commits, WAL per checkpoint) stay as measured. Pure.
 */
export function estimateFromLive(live: LiveFigures, prices: PriceSheet, scenarioDefaults: { scenario: Scenario; measured: MeasuredInputs }): LiveEstimate {
  const { scenario, measured } = scenarioDefaults;
  const replaced: LiveEstimate['replaced'] = [];
  const hot = { ...measured.hot };
  const migration = { ...measured.migration };
  const pgOnly = { ...measured.pgOnly };
  if (live.redis.checkpoints > 0) {
    const liveBytes = live.redis.bytes / live.redis.checkpoints;
    replaced.push({ figure: 'hot.redisBytesPerCheckpoint', measured: hot.redisBytesPerCheckpoint, live: liveBytes });
    hot.redisBytesPerCheckpoint = liveBytes;
  }
  if (live.postgres.checkpoints > 0) {
    const liveBytes = live.postgres.totalBytes / live.postgres.checkpoints;
    const ratio = measured.migration.diskBytesPerCheckpoint > 0 ? liveBytes / measured.migration.diskBytesPerCheckpoint : 1;
    replaced.push({ figure: 'migration.diskBytesPerCheckpoint', measured: migration.diskBytesPerCheckpoint, live: liveBytes });
    replaced.push({ figure: 'pgOnly.diskBytesPerCheckpoint', measured: pgOnly.diskBytesPerCheckpoint, live: pgOnly.diskBytesPerCheckpoint * ratio });
    for (const k of ['diskBytesPerCheckpoint', 'heapBytesPerCheckpoint', 'indexBytesPerCheckpoint', 'toastBytesPerCheckpoint'] as const) {
      migration[k] *= ratio;
      pgOnly[k] *= ratio;
    }
  }
  const peak = Math.max(live.rates.peakCheckpointsPerSec, live.rates.averageCheckpointsPerSec);
  const peakHour = Math.min(Math.max(live.rates.peakHourCheckpointsPerSec ?? peak, live.rates.averageCheckpointsPerSec), peak);
  const liveScenario: Scenario = {
    ...scenario,
    name: `${scenario.name} (live)`,
    load: { ...scenario.load, averageCheckpointsPerSec: live.rates.averageCheckpointsPerSec, peakCheckpointsPerSec: peak, peakHourCheckpointsPerSec: peakHour },
  };
  const liveMeasured: MeasuredInputs = { ...measured, source: `live figures over ${measured.source}`, hot, migration, pgOnly };
  return { result: computeCost(liveScenario, liveMeasured, prices), replaced };
}

/** One "what if this assumption is dropped" variant of a scenario. */
export interface VariantResult {
  label: string;
  pgOnlyUsd: number;
  tieredUsd: number;
  savingsFraction: number;
  verdict: string;
}

/**
 * Costs each of the scenario's `sensitivity` variants (the scenario with the variant's `set`
 * merged in, validated like a scenario file). Pure.
 */
export function computeVariants(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet): VariantResult[] {
  return scenario.sensitivity.map((v) => {
    const { sensitivity: _ignored, ...base } = scenario;
    const variant = resolveScenario(merge(base as unknown as ScenarioInput, v.set));
    const r = computeCost({ ...variant, sensitivity: [] }, measured, prices);
    return { label: v.label, pgOnlyUsd: r.pgOnly.monthlyUsd, tieredUsd: r.tiered.monthlyUsd, savingsFraction: r.savingsFraction, verdict: r.verdict };
  });
}
