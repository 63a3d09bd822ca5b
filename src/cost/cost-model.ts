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
import { profileHash, type MeasuredInputs } from './measurement.js';
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

function pgOnlyDesign(s: Scenario, m: MeasuredInputs, prices: PriceSheet, warnings: string[]): DesignCost {
  const { averageCheckpointsPerSec: A, peakCheckpointsPerSec: P, peakHourCheckpointsPerSec: Ph } = s.load;
  const pg = s.sizing.postgres;
  const R = effectiveRetentionDays(s);
  const c = s.pgOnly.compressionRatio;
  const disk = m.pgOnly.diskBytesPerCheckpoint * c;
  const wal = m.pgOnly.walBytesPerCheckpoint * c;
  const cpuMeasured = m.pgOnly.cpuSecPerCheckpoint !== null;
  const cpu = m.pgOnly.cpuSecPerCheckpoint ?? pg.fallbackCpuMsPerCheckpointSync / 1000;
  const cpuFactor = pg.cpuSpeedFactor * pg.backgroundCpuFactor;
  const storedCheckpoints = A * R * DAY * s.pgOnly.keptFraction;
  const storedBytes = storedCheckpoints * disk * pg.bloatFactor;
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

/** f after the thread-TTL lever: threads that end before they are copied never reach PostgreSQL. */
function effectiveKeptColdFraction(s: Scenario): number {
  const ttlHours = s.retention.threadTtlDays === null ? Infinity : s.retention.threadTtlDays * 24;
  return ttlHours > s.tiered.copyAfterHours ? s.tiered.keptColdFraction : 0;
}

function tieredDesign(s: Scenario, m: MeasuredInputs, prices: PriceSheet, warnings: string[]): DesignCost {
  const { averageCheckpointsPerSec: A, peakCheckpointsPerSec: P, peakHourCheckpointsPerSec: Ph, coldReadFraction } = s.load;
  const t = s.tiered;
  const pg = s.sizing.postgres;
  const R = effectiveRetentionDays(s);
  const ttlHours = s.retention.threadTtlDays === null ? Infinity : s.retention.threadTtlDays * 24;
  const f = effectiveKeptColdFraction(s);
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
  const bytesPerCheckpoint = m.hot.redisBytesPerCheckpoint * t.hotCompressionRatio;
  const threadsRetained = f > 0 ? (A * R * DAY) / m.checkpointsPerThread : 0;
  const residualBytes = threadsRetained * m.hot.residualBytesPerThread;
  const usecMeasured = m.hot.serverUsecPerCheckpoint !== null;
  const usecPerCheckpoint = m.hot.serverUsecPerCheckpoint ?? s.sizing.redis.fallbackUsecPerCheckpoint;
  const migrationUsec = m.migration.redisUsecPerCheckpoint ?? 0;
  const ecpuPerCheckpoint = m.hot.commandsPerCheckpoint + m.hot.argBytesPerCheckpoint / 1024 + m.migration.redisCommandsPerCheckpoint + m.migration.bytesCopiedPerCheckpoint / 1024;
  const redisRequirement: RedisRequirement = {
    datasetBytes: held * bytesPerCheckpoint + residualBytes,
    averageStoredBytes: HOUR * A * (Math.min(t.hotWindowHours, ttlHours) + I / 2) * bytesPerCheckpoint + residualBytes,
    peakCpuCores: (P * usecPerCheckpoint + migrationRate * migrationUsec) / 1e6,
    ecpuPerMonth: A * prices.hoursPerMonth * HOUR * ecpuPerCheckpoint,
  };
  const redisSizing = sizeRedis(redisRequirement, prices, t.redis, s.sizing);
  warnings.push(...redisSizing.warnings.map((w) => `Tiered: ${w}`));
  if (t.redis.replicas === 0 && redisSizing.deployment === 'nodes') {
    warnings.push(`Tiered: the hot tier has no replica; until a checkpoint is copied Redis holds its only copy (up to ${fmtNum(t.copyAfterHours + I)} h of checkpoints are lost with the node).`);
  }

  // --- cold PostgreSQL
  const c = t.coldCompressionRatio;
  const disk = m.migration.diskBytesPerCheckpoint * c;
  const wal = m.migration.walBytesPerCheckpoint * c;
  const commitsPerCheckpoint = (m.migration.writeCommitsPerCheckpoint * m.migration.batchSize) / t.batchSize;
  const cpuMeasured = m.migration.cpuSecPerCheckpoint !== null;
  const cpu = m.migration.cpuSecPerCheckpoint ?? pg.fallbackCpuMsPerCheckpointBatched / 1000;
  const readCpu = m.coldRead.cpuSecPerRead ?? pg.fallbackCpuMsPerColdRead / 1000;
  const cpuFactor = pg.cpuSpeedFactor * pg.backgroundCpuFactor;
  // Reads that miss Redis, plus the queries the hot path itself sends (a new thread's first read).
  const coldReadsPerCheckpoint = m.readsPerCheckpoint * coldReadFraction + m.hot.pgQueriesPerCheckpoint;
  const coldReadsPeak = P * coldReadsPerCheckpoint;
  const coldReadsAverage = A * coldReadsPerCheckpoint;
  const storedCheckpoints = A * DAY * Math.max(R - t.copyAfterHours / 24, 0) * f;
  const storedBytes = storedCheckpoints * disk * pg.bloatFactor;
  const iops = {
    commits: (migrationRate * commitsPerCheckpoint) / pg.groupCommitFactor,
    wal: (migrationRate * wal) / pg.walIoBytes,
    data: (migrationRate * disk * pg.dataPageWritesPerPage) / pg.dataPageBytes,
    reads: coldReadsPeak * pg.pageReadsPerColdRead,
  };
  const requirement: PostgresRequirement = {
    peakCpuVcpu: (migrationRate * cpu + coldReadsPeak * readCpu) * cpuFactor,
    averageCpuVcpu: (A * f * cpu + coldReadsAverage * readCpu) * cpuFactor,
    ramGiB: (checkpointsInWindow(t.postgres.cacheHours, A, Ph) * f * disk) / pg.ramCacheFraction / GiB,
    peakIops: iops.commits + iops.wal + iops.data + iops.reads,
    peakThroughputMiBps: (migrationRate * (wal + disk * pg.dataPageWritesPerPage)) / MiB,
    storedGB: storedBytes / GB,
    backupGB: (storedBytes + pg.backupRetentionDays * A * DAY * f * (disk + wal)) / GB,
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

function buildTraces(s: Scenario, m: MeasuredInputs, pgOnly: DesignCost, tiered: DesignCost): Trace[] {
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
  return [
    {
      design: 'pgOnly',
      figure: 'PostgreSQL bytes on disk per checkpoint (heap + index + TOAST, 3 tables)',
      measured: `${fmtBytes(m.pgOnly.diskBytesPerCheckpoint)} (heap ${fmtBytes(m.pgOnly.heapBytesPerCheckpoint)}, index ${fmtBytes(m.pgOnly.indexBytesPerCheckpoint)}, TOAST ${fmtBytes(m.pgOnly.toastBytesPerCheckpoint)})`,
      becomes: `× ${fmtNum(A)}/s × ${fmtNum(effectiveRetentionDays(s))} d × kept ${fmtNum(s.pgOnly.keptFraction)} × compression ${fmtNum(s.pgOnly.compressionRatio)} × bloat ${s.sizing.postgres.bloatFactor} = ${fmtNum(pr.storedGB)} GB stored`,
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
      becomes: `× ${fmtNum(rl.checkpointsHeld)} held (${fmtNum(rl.holdHours)} h) × compression ${fmtNum(s.tiered.hotCompressionRatio)} + ${fmtBytes(rl.residualBytes)} residual = ${fmtBytes(rr.datasetBytes)} (× fragmentation ${s.sizing.redis.fragmentationFactor}, ÷ ${1 - s.sizing.redis.reservedMemoryFraction} usable)`,
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
      becomes: `× ${m.migration.batchSize}/${s.tiered.batchSize} batch ratio × ${fmtNum(tl.writeRateCheckpointsPerSec)}/s during runs = ${fmtNum(tl.writeCommitsPerSec)} commits/s`,
      pricedAs: lineFor(tiered, 'postgres', iopsLine),
    },
    {
      design: 'tiered',
      figure: 'Migration WAL per checkpoint',
      measured: fmtBytes(m.migration.walBytesPerCheckpoint),
      becomes: `× ${fmtNum(tl.writeRateCheckpointsPerSec)}/s = ${fmtNum(tl.walBytesPerSec / MiB)} MiB/s during runs; backups ${fmtNum(tr.backupGB)} GB`,
      pricedAs: lineFor(tiered, 'postgres', backup),
    },
    {
      design: 'tiered',
      figure: 'Cold-tier bytes on disk per checkpoint (heap + index + TOAST)',
      measured: `${fmtBytes(m.migration.diskBytesPerCheckpoint)} (heap ${fmtBytes(m.migration.heapBytesPerCheckpoint)}, index ${fmtBytes(m.migration.indexBytesPerCheckpoint)}, TOAST ${fmtBytes(m.migration.toastBytesPerCheckpoint)})`,
      becomes: `× ${fmtNum(tl.storedCheckpoints)} kept cold (f = ${fmtNum(effectiveKeptColdFraction(s))}) × compression ${fmtNum(s.tiered.coldCompressionRatio)} × bloat ${s.sizing.postgres.bloatFactor} = ${fmtNum(tr.storedGB)} GB stored`,
      pricedAs: lineFor(tiered, 'postgres', storage),
    },
    {
      design: 'tiered',
      figure: 'Migration backend CPU per checkpoint; cold-read CPU per read',
      measured: `${fmtNum(tl.cpuSecPerCheckpoint * 1000)} ms (${cpuNote(tl.cpuMeasured)}); ${m.coldRead.cpuSecPerRead === null ? 'read CPU not measured' : `${fmtNum(m.coldRead.cpuSecPerRead * 1000)} ms per cold read`}`,
      becomes: `${fmtNum(tr.peakCpuVcpu)} vCPU during runs (${fmtNum(tr.averageCpuVcpu)} average), ${fmtNum(tl.readsPerSec)} cold reads/s`,
      pricedAs: lineFor(tiered, 'postgres', instance),
    },
  ];
}

/** Costs both designs for one scenario. Pure. */
export function computeCost(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet): CostResult {
  const warnings: string[] = [];
  const pgOnly = pgOnlyDesign(scenario, measured, prices, warnings);
  const tiered = tieredDesign(scenario, measured, prices, warnings);
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
    { label: 'kept cold, tiered (f, effective)', value: fmtNum(effectiveKeptColdFraction(s)) },
    { label: 'kept, PostgreSQL-only', value: fmtNum(s.pgOnly.keptFraction) },
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
    traces: buildTraces(scenario, measured, pgOnly, tiered),
    warnings,
    facts,
  };
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
    const r = computeCost(scaleLoad(scenario, rate / base), measured, prices);
    out.push({ averageCheckpointsPerSec: rate, pgOnlyUsd: r.pgOnly.monthlyUsd, tieredUsd: r.tiered.monthlyUsd, pgOnlyFeasible: r.pgOnly.feasible, tieredFeasible: r.tiered.feasible });
  }
  return out;
}

/** Rates where the cheaper design flips, refined by bisection on the model itself. */
export function findBreakEvens(scenario: Scenario, measured: MeasuredInputs, prices: PriceSheet, sweep: SweepPoint[]): BreakEven[] {
  const base = scenario.load.averageCheckpointsPerSec;
  const diff = (rate: number) => {
    const r = computeCost(scaleLoad(scenario, rate / base), measured, prices);
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
