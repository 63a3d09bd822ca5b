/**
 * Sizing model: turns a load (vCPU-seconds, IOPS, MiB/s, bytes in RAM and on disk) into the
 * instances, storage and nodes one design must buy. Pure: no I/O, no clock, no randomness.
 *
 * ## PostgreSQL (RDS for PostgreSQL, gp3)
 *
 * An instance class fits when, at its price-file size,
 *
 * - `peakCpuVcpu ≤ vcpu × targetCpuUtilization` (the sizing peak leaves headroom), and
 * - for a burstable class also `averageCpuVcpu ≤ vcpu × baselineCpuFraction × targetCpuUtilization`
 *   (CPU credits accrue at the baseline, so a t-class can absorb peaks only while its average
 *   stays below it), and
 * - `ramGiB ≤ memoryGiB`.
 *
 * The cheapest fitting class (for the chosen Single-/Multi-AZ price) wins. Nothing fits ⇒ the
 * largest class in the file is priced and the sizing is flagged infeasible.
 *
 * Storage: `allocatedGB = max(minStorageGB, ⌈storedGB ÷ (1 − storageFreeSpaceFraction)⌉)`. gp3
 * includes 3,000 IOPS / 125 MiB/s below 400 GB and 12,000 IOPS / 500 MiB/s from 400 GB; more IOPS
 * or throughput can only be bought from 400 GB, so a volume that needs more is grown to 400 GB
 * first, then extra IOPS (and, above 500 MiB/s, extra throughput) are bought.
 *
 * Backup: RDS gives backup storage up to 100 % of provisioned storage for free;
 * `billableBackupGB = max(0, backupGB − freeFraction × provisionedGB)`.
 *
 * Read replicas: same class, Single-AZ price, their own storage and IOPS at Single-AZ prices.
 *
 * ## Redis (ElastiCache)
 *
 * Node-based: a shard of node type `n` holds `memoryGiB × (1 − reservedMemoryFraction)` of data
 * and serves `targetCpuUtilization × cpuSpeedFactor` cores of Redis main-thread time (Redis runs
 * commands on one thread per shard). `shards = max(⌈dataset ÷ usable⌉, ⌈peakCpuCores ÷ cores⌉, 1)`,
 * `nodes = shards × (1 + replicas)`; the cheapest node type wins.
 *
 * Serverless: `max(averageStoredGB, minimumGB)` GB-hours plus ECPUs (≈ 1 ECPU per command and per
 * KB moved, per the vendor's metering note).
 *
 * Every constant the rules use is in {@link SizingParameters} with its default and confidence;
 * a scenario may override any of them (`"sizing": { ... }`).
 */
import type { CacheEngine, CacheNodePrice, Confidence, PriceEntry, PriceSheet, RdsInstancePrice } from './price-sheet.js';

/** Constants of the sizing rules. Every default is an assumption; the tag says how good. */
export interface SizingParameters {
  postgres: {
    /** Highest CPU utilisation the sizing peak may reach. Default 0.6 (U). */
    targetCpuUtilization: number;
    /** RDS vCPU-seconds per backend CPU-second measured on the local machine. Default 1.25 (U). */
    cpuSpeedFactor: number;
    /** Multiplier for WAL writer, checkpointer, autovacuum and the OS beyond backend CPU. Default 1.3 (U). */
    backgroundCpuFactor: number;
    /** Backend CPU ms per checkpoint when it was not measured (synchronous PostgresSaver path). Default 1.5 (U). */
    fallbackCpuMsPerCheckpointSync: number;
    /** Backend CPU ms per checkpoint when it was not measured (batched migration). Default 0.5 (U). */
    fallbackCpuMsPerCheckpointBatched: number;
    /** Backend CPU ms per cold read when it was not measured. Default 2 (U). */
    fallbackCpuMsPerColdRead: number;
    /** Commits per WAL flush (group commit). 1 = every commit flushes on its own. Default 1 (U, conservative). */
    groupCommitFactor: number;
    /** Bytes of WAL one write I/O carries (sequential WAL writes merge). Default 262144 = 256 KiB (U). */
    walIoBytes: number;
    /** PostgreSQL page size. Default 8192 (A, PostgreSQL docs). */
    dataPageBytes: number;
    /** Times each new heap/index/TOAST page is written before it settles (checkpoints, index splits, hint bits). Default 2 (U). */
    dataPageWritesPerPage: number;
    /** Page reads per cold read that misses the cache (index descent + heap + TOAST). Default 6 (U). */
    pageReadsPerColdRead: number;
    /** Free space kept on the volume: allocated = used ÷ (1 − this). Default 0.2 (U). */
    storageFreeSpaceFraction: number;
    /** Dead tuples and free space left by deletes (retention, migration upserts). Default 1.2 (U; price-sheet says 1.2–2 until measured). */
    bloatFactor: number;
    /** Share of instance RAM that caches recent checkpoints (shared_buffers + OS cache). Default 0.5 (U). */
    ramCacheFraction: number;
    /** Days of automated backups (snapshots + WAL for point-in-time recovery). Default 7 (U, RDS default is 7 for new instances via console). */
    backupRetentionDays: number;
  };
  redis: {
    /** ElastiCache `reserved-memory-percent` default. Default 0.25 (C, price-sheet S11). */
    reservedMemoryFraction: number;
    /** Allocator fragmentation on top of `MEMORY USAGE`. Default 1.1 (U). */
    fragmentationFactor: number;
    /** Highest main-thread utilisation per shard at the sizing peak. Default 0.5 (U). */
    targetCpuUtilization: number;
    /** ElastiCache core speed relative to the local machine (1 = same). Default 1 (U). */
    cpuSpeedFactor: number;
    /** Server µs per checkpoint when it was not measured (puts + reads). Default 150 (U). */
    fallbackUsecPerCheckpoint: number;
    /** Largest cluster the sizing may propose. Default 500 shards (U; ElastiCache allows up to 500 nodes per cluster). */
    maxShards: number;
  };
  migration: {
    /** Share of each migration interval a run may take; the cold tier is sized to copy that fast. Default 0.5 (U). */
    dutyFraction: number;
  };
}

/** Default sizing constants (see each field for its confidence). */
export const DEFAULT_SIZING: SizingParameters = {
  postgres: {
    targetCpuUtilization: 0.6,
    cpuSpeedFactor: 1.25,
    backgroundCpuFactor: 1.3,
    fallbackCpuMsPerCheckpointSync: 1.5,
    fallbackCpuMsPerCheckpointBatched: 0.5,
    fallbackCpuMsPerColdRead: 2,
    groupCommitFactor: 1,
    walIoBytes: 262144,
    dataPageBytes: 8192,
    dataPageWritesPerPage: 2,
    pageReadsPerColdRead: 6,
    storageFreeSpaceFraction: 0.2,
    bloatFactor: 1.2,
    ramCacheFraction: 0.5,
    backupRetentionDays: 7,
  },
  redis: {
    reservedMemoryFraction: 0.25,
    fragmentationFactor: 1.1,
    targetCpuUtilization: 0.5,
    cpuSpeedFactor: 1,
    fallbackUsecPerCheckpoint: 150,
    maxShards: 500,
  },
  migration: { dutyFraction: 0.5 },
};

/** Confidence of each default in {@link DEFAULT_SIZING} (for the report's assumption list). */
export const SIZING_CONFIDENCE: Record<string, Confidence> = {
  'postgres.targetCpuUtilization': 'U',
  'postgres.cpuSpeedFactor': 'U',
  'postgres.backgroundCpuFactor': 'U',
  'postgres.fallbackCpuMsPerCheckpointSync': 'U',
  'postgres.fallbackCpuMsPerCheckpointBatched': 'U',
  'postgres.fallbackCpuMsPerColdRead': 'U',
  'postgres.groupCommitFactor': 'U',
  'postgres.walIoBytes': 'U',
  'postgres.dataPageBytes': 'A',
  'postgres.dataPageWritesPerPage': 'U',
  'postgres.pageReadsPerColdRead': 'U',
  'postgres.storageFreeSpaceFraction': 'U',
  'postgres.bloatFactor': 'U',
  'postgres.ramCacheFraction': 'U',
  'postgres.backupRetentionDays': 'U',
  'redis.reservedMemoryFraction': 'C',
  'redis.fragmentationFactor': 'U',
  'redis.targetCpuUtilization': 'U',
  'redis.cpuSpeedFactor': 'U',
  'redis.fallbackUsecPerCheckpoint': 'U',
  'redis.maxShards': 'U',
  'migration.dutyFraction': 'U',
};

/** One billed quantity a sizing produced; the cost model multiplies it by its price. */
export interface SizedLine {
  component: 'postgres' | 'redis';
  item: string;
  quantity: number;
  unit: string;
  price: PriceEntry;
  /** How the quantity was obtained, for the report. */
  basis: string;
}

/** What one design's PostgreSQL must handle. */
export interface PostgresRequirement {
  /** RDS vCPUs busy at the sizing peak. */
  peakCpuVcpu: number;
  /** RDS vCPUs busy on average (burstable classes must stay under their baseline). */
  averageCpuVcpu: number;
  /** RAM that must hold recently written checkpoints. */
  ramGiB: number;
  /** Write + read I/O operations per second at the sizing peak. */
  peakIops: number;
  /** Write throughput at the sizing peak. */
  peakThroughputMiBps: number;
  /** Data on disk at steady state (bloat included). */
  storedGB: number;
  /** Backup storage used (snapshots + WAL kept for point-in-time recovery). */
  backupGB: number;
}

/** How one design's PostgreSQL is deployed. */
export interface PostgresDeployment {
  multiAz: boolean;
  readReplicas: number;
  /** Restrict the classes considered (names as in the price file); null = all. */
  instanceClasses: string[] | null;
}

/** Result of {@link sizePostgres}. */
export interface PostgresSizing {
  instance: RdsInstancePrice;
  feasible: boolean;
  /** Which requirement decided the class (or why nothing fit). */
  bindingConstraint: string;
  peakCpuUtilization: number;
  allocatedGB: number;
  includedIops: number;
  extraIops: number;
  includedThroughputMiBps: number;
  extraThroughputMiBps: number;
  billableBackupGB: number;
  /** Cheaper classes that were rejected, with the reason. */
  rejected: Array<{ class: string; reason: string }>;
  warnings: string[];
  lines: SizedLine[];
}

function classFits(c: RdsInstancePrice, req: PostgresRequirement, p: SizingParameters['postgres']): string | undefined {
  const cpuCap = c.vcpu * p.targetCpuUtilization;
  if (req.peakCpuVcpu > cpuCap) return `peak CPU ${fmt(req.peakCpuVcpu)} vCPU > ${fmt(cpuCap)} (${c.vcpu} vCPU × ${p.targetCpuUtilization})`;
  if (c.burstable) {
    const baseCap = c.vcpu * c.baselineCpuFraction * p.targetCpuUtilization;
    if (req.averageCpuVcpu > baseCap) return `average CPU ${fmt(req.averageCpuVcpu)} vCPU > burst baseline ${fmt(baseCap)} (${c.vcpu} × ${c.baselineCpuFraction} × ${p.targetCpuUtilization})`;
  }
  if (req.ramGiB > c.memoryGiB) return `RAM ${fmt(req.ramGiB)} GiB > ${c.memoryGiB} GiB`;
  return undefined;
}

function fmt(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  return Number(n.toPrecision(3)).toString();
}

/**
 * Chooses the RDS class, storage, IOPS and backup for a requirement (rules in the module doc).
 * Lines are per month: instance-hours = `hoursPerMonth × instances`.
 */
export function sizePostgres(req: PostgresRequirement, sheet: PriceSheet, deployment: PostgresDeployment, params: SizingParameters): PostgresSizing {
  const p = params.postgres;
  const az = deployment.multiAz ? 'multiAz' : 'singleAz';
  const warnings: string[] = [];
  const candidates = sheet.rds.instances
    .filter((c) => deployment.instanceClasses === null || deployment.instanceClasses.includes(c.class))
    .slice()
    .sort((a, b) => a[az].usd - b[az].usd || b.vcpu - a.vcpu);
  if (candidates.length === 0) throw new Error(`No RDS instance class left after filtering by ${JSON.stringify(deployment.instanceClasses)}; check the scenario's instanceClasses against the price file.`);
  const rejected: Array<{ class: string; reason: string }> = [];
  let chosen: RdsInstancePrice | undefined;
  for (const c of candidates) {
    const reason = classFits(c, req, p);
    if (reason === undefined) {
      chosen = c;
      break;
    }
    rejected.push({ class: c.class, reason });
  }
  const feasible = chosen !== undefined;
  const instance = chosen ?? candidates.reduce((a, b) => (b.vcpu > a.vcpu || (b.vcpu === a.vcpu && b.memoryGiB > a.memoryGiB) ? b : a));
  let bindingConstraint: string;
  if (!feasible) {
    bindingConstraint = `nothing in the price file fits (${rejected[rejected.length - 1]?.reason}); priced as the largest class`;
    warnings.push(`PostgreSQL needs more than ${instance.class}: ${rejected.find((r) => r.class === instance.class)?.reason ?? 'see rejected classes'}. The line is priced as ${instance.class} and understates the cost.`);
  } else if (rejected.length === 0) bindingConstraint = 'cheapest class in the price file';
  else bindingConstraint = `cheaper classes rejected: ${rejected[rejected.length - 1]!.class} (${rejected[rejected.length - 1]!.reason})`;

  const gp3 = sheet.rds.gp3;
  let allocatedGB = Math.max(gp3.minStorageGB, Math.ceil(req.storedGB / (1 - p.storageFreeSpaceFraction)));
  const includedAt = (gb: number) => (gb >= gp3.thresholdGB ? gp3.includedIopsAtThreshold : gp3.includedIopsBelowThreshold);
  const includedTpAt = (gb: number) => (gb >= gp3.thresholdGB ? gp3.includedThroughputMiBpsAtThreshold : gp3.includedThroughputMiBpsBelowThreshold);
  let growReason: string | undefined;
  if ((req.peakIops > includedAt(allocatedGB) || req.peakThroughputMiBps > includedTpAt(allocatedGB)) && allocatedGB < gp3.thresholdGB) {
    growReason = `grown to ${gp3.thresholdGB} GB for gp3 performance (${fmt(req.peakIops)} IOPS, ${fmt(req.peakThroughputMiBps)} MiB/s needed)`;
    allocatedGB = gp3.thresholdGB;
  }
  const includedIops = includedAt(allocatedGB);
  const extraIops = Math.max(0, Math.ceil(req.peakIops - includedIops));
  if (req.peakIops > gp3.maxIops) warnings.push(`PostgreSQL needs ${fmt(req.peakIops)} IOPS, above the gp3 maximum of ${gp3.maxIops}: consider io2 or a different design.`);
  const includedThroughputMiBps = includedTpAt(allocatedGB);
  const extraThroughputMiBps = Math.max(0, Math.ceil(req.peakThroughputMiBps - includedThroughputMiBps));
  if (extraThroughputMiBps > 0) warnings.push(`PostgreSQL needs ${fmt(req.peakThroughputMiBps)} MiB/s, above the ${includedThroughputMiBps} MiB/s gp3 includes; the extra-throughput price is unverified (U).`);

  const replicas = deployment.readReplicas;
  const provisionedGB = allocatedGB * (1 + replicas);
  const billableBackupGB = Math.max(0, req.backupGB - sheet.rds.backup.freeFractionOfProvisioned * provisionedGB);

  const hours = sheet.hoursPerMonth;
  const azLabel = deployment.multiAz ? 'Multi-AZ' : 'Single-AZ';
  const lines: SizedLine[] = [
    {
      component: 'postgres',
      item: `${instance.class} ${azLabel}`,
      quantity: hours,
      unit: 'instance-hours',
      price: instance[az],
      basis: `${hours} h × 1 instance; ${bindingConstraint}`,
    },
  ];
  if (replicas > 0) {
    lines.push({ component: 'postgres', item: `${instance.class} read replica`, quantity: hours * replicas, unit: 'instance-hours', price: instance.singleAz, basis: `${hours} h × ${replicas} replica(s), Single-AZ` });
  }
  lines.push({
    component: 'postgres',
    item: `gp3 storage ${azLabel}`,
    quantity: allocatedGB,
    unit: 'GB-months',
    price: gp3.storage[az],
    basis: `${fmt(req.storedGB)} GB stored ÷ (1 − ${p.storageFreeSpaceFraction} free)${growReason ? `; ${growReason}` : ''}; min ${gp3.minStorageGB} GB`,
  });
  if (replicas > 0) lines.push({ component: 'postgres', item: 'gp3 storage, read replicas', quantity: allocatedGB * replicas, unit: 'GB-months', price: gp3.storage.singleAz, basis: `${allocatedGB} GB × ${replicas}` });
  if (extraIops > 0) {
    lines.push({ component: 'postgres', item: `gp3 IOPS above ${includedIops}`, quantity: extraIops, unit: 'IOPS-months', price: gp3.extraIops[az], basis: `${fmt(req.peakIops)} IOPS at peak − ${includedIops} included` });
    if (replicas > 0) lines.push({ component: 'postgres', item: 'gp3 IOPS, read replicas', quantity: extraIops * replicas, unit: 'IOPS-months', price: gp3.extraIops.singleAz, basis: `${extraIops} × ${replicas}` });
  }
  if (extraThroughputMiBps > 0) {
    lines.push({ component: 'postgres', item: `gp3 throughput above ${includedThroughputMiBps} MiB/s`, quantity: extraThroughputMiBps, unit: 'MiBps-months', price: gp3.extraThroughput[az], basis: `${fmt(req.peakThroughputMiBps)} MiB/s at peak − ${includedThroughputMiBps} included` });
  }
  lines.push({
    component: 'postgres',
    item: 'backup storage beyond the free amount',
    quantity: billableBackupGB,
    unit: 'GB-months',
    price: sheet.rds.backup.storage,
    basis: `${fmt(req.backupGB)} GB of backups − ${sheet.rds.backup.freeFractionOfProvisioned} × ${provisionedGB} GB provisioned`,
  });
  return {
    instance,
    feasible,
    bindingConstraint,
    peakCpuUtilization: req.peakCpuVcpu / instance.vcpu,
    allocatedGB,
    includedIops,
    extraIops,
    includedThroughputMiBps,
    extraThroughputMiBps,
    billableBackupGB,
    rejected,
    warnings,
    lines,
  };
}

/** What the hot tier must hold and serve. */
export interface RedisRequirement {
  /** Largest data set Redis must hold (bytes, fragmentation not included). */
  datasetBytes: number;
  /** Average data set (bytes), for Serverless storage metering. */
  averageStoredBytes: number;
  /** Redis main-thread seconds per second at the sizing peak (local-machine speed). */
  peakCpuCores: number;
  /** ECPUs per month (Serverless only). */
  ecpuPerMonth: number;
}

/** How the hot tier is deployed. */
export interface RedisDeployment {
  engine: CacheEngine;
  /** `nodes`, `serverless`, or `cheapest` of the two. */
  deployment: 'nodes' | 'serverless' | 'cheapest';
  /** Replicas per shard (0 = no HA: a node loss loses un-migrated checkpoints). */
  replicas: number;
  /** Restrict node types (names as in the price file); null = all. */
  nodeTypes: string[] | null;
}

/** Result of {@link sizeRedis}. */
export interface RedisSizing {
  deployment: 'nodes' | 'serverless';
  node?: CacheNodePrice;
  shards: number;
  nodes: number;
  usableBytesPerShard: number;
  memoryUtilization: number;
  bindingConstraint: string;
  feasible: boolean;
  /** Monthly price of the option not chosen (for the report), if computed. */
  alternative?: { deployment: 'nodes' | 'serverless'; monthlyUsd: number; summary: string };
  warnings: string[];
  lines: SizedLine[];
}

const GIB = 1024 ** 3;
const GB = 1e9;

function nodeOption(req: RedisRequirement, sheet: PriceSheet, dep: RedisDeployment, params: SizingParameters): RedisSizing {
  const r = params.redis;
  const dataset = req.datasetBytes * r.fragmentationFactor;
  const coresPerShard = r.targetCpuUtilization * r.cpuSpeedFactor;
  const types = sheet.elasticache.nodes.filter((n) => dep.nodeTypes === null || dep.nodeTypes.includes(n.type));
  if (types.length === 0) throw new Error(`No ElastiCache node type left after filtering by ${JSON.stringify(dep.nodeTypes)}; check the scenario's nodeTypes against the price file.`);
  let best: { node: CacheNodePrice; shards: number; usable: number; monthly: number; byMemory: number; byCpu: number } | undefined;
  for (const node of types) {
    const usable = node.memoryGiB * GIB * (1 - r.reservedMemoryFraction);
    const byMemory = Math.ceil(dataset / usable);
    const byCpu = Math.ceil(req.peakCpuCores / coresPerShard);
    const shards = Math.max(1, byMemory, byCpu);
    const monthly = shards * (1 + dep.replicas) * node[dep.engine].usd * sheet.hoursPerMonth;
    if (!best || monthly < best.monthly - 1e-9) best = { node, shards, usable, monthly, byMemory, byCpu };
  }
  const b = best!;
  const warnings: string[] = [];
  const feasible = b.shards <= r.maxShards;
  if (!feasible) warnings.push(`The hot tier needs ${b.shards} shards of ${b.node.type}, more than the ${r.maxShards} the model allows: shorten the hot window or shrink checkpoints.`);
  const nodes = b.shards * (1 + dep.replicas);
  const binding =
    b.shards === 1 && b.byMemory <= 1 && b.byCpu <= 1
      ? `1 shard holds ${fmtBytes(dataset)} (${fmt((100 * dataset) / b.usable)} % of ${fmtBytes(b.usable)} usable)`
      : b.byMemory >= b.byCpu
        ? `memory: ${fmtBytes(dataset)} ÷ ${fmtBytes(b.usable)} usable per ${b.node.type}`
        : `CPU: ${fmt(req.peakCpuCores)} cores ÷ ${fmt(coresPerShard)} per shard`;
  return {
    deployment: 'nodes',
    node: b.node,
    shards: b.shards,
    nodes,
    usableBytesPerShard: b.usable,
    memoryUtilization: dataset / (b.usable * b.shards),
    bindingConstraint: binding,
    feasible,
    warnings,
    lines: [
      {
        component: 'redis',
        item: `${b.node.type} (${dep.engine})`,
        quantity: sheet.hoursPerMonth * nodes,
        unit: 'node-hours',
        price: b.node[dep.engine],
        basis: `${sheet.hoursPerMonth} h × ${b.shards} shard(s) × (1 + ${dep.replicas} replica(s)); ${binding}`,
      },
    ],
  };
}

function serverlessOption(req: RedisRequirement, sheet: PriceSheet, dep: RedisDeployment, params: SizingParameters): RedisSizing {
  const prices = sheet.elasticache.serverless[dep.engine];
  const storedGB = (req.averageStoredBytes * params.redis.fragmentationFactor) / GB;
  const billedGB = Math.max(storedGB, prices.minimumGB);
  return {
    deployment: 'serverless',
    shards: 0,
    nodes: 0,
    usableBytesPerShard: 0,
    memoryUtilization: 0,
    bindingConstraint: storedGB < prices.minimumGB ? `metered minimum of ${prices.minimumGB} GB` : `${fmt(storedGB)} GB stored on average`,
    feasible: true,
    // Serverless caches replicate across AZs by themselves: `replicas` does not apply.
    warnings: [],
    lines: [
      { component: 'redis', item: `Serverless ${dep.engine} data stored`, quantity: billedGB * sheet.hoursPerMonth, unit: 'GB-hours', price: prices.storage, basis: `max(${fmt(storedGB)} GB average, ${prices.minimumGB} GB minimum) × ${sheet.hoursPerMonth} h` },
      { component: 'redis', item: `Serverless ${dep.engine} ECPUs`, quantity: req.ecpuPerMonth / 1e6, unit: 'million ECPUs', price: prices.ecpu, basis: '≈ 1 ECPU per command and per KB moved (C)' },
    ],
  };
}

function monthlyOf(lines: SizedLine[]): number {
  return lines.reduce((sum, l) => sum + l.quantity * l.price.usd, 0);
}

/** Chooses ElastiCache nodes (or Serverless) for a requirement (rules in the module doc). */
export function sizeRedis(req: RedisRequirement, sheet: PriceSheet, dep: RedisDeployment, params: SizingParameters): RedisSizing {
  const nodes = nodeOption(req, sheet, dep, params);
  const serverless = serverlessOption(req, sheet, dep, params);
  const describe = (s: RedisSizing) => (s.deployment === 'nodes' ? `${s.nodes} × ${s.node!.type}` : 'Serverless');
  const pick = (chosen: RedisSizing, other: RedisSizing): RedisSizing => ({
    ...chosen,
    alternative: { deployment: other.deployment, monthlyUsd: monthlyOf(other.lines), summary: describe(other) },
  });
  if (dep.deployment === 'nodes') return pick(nodes, serverless);
  if (dep.deployment === 'serverless') return pick(serverless, nodes);
  return monthlyOf(serverless.lines) < monthlyOf(nodes.lines) ? pick(serverless, nodes) : pick(nodes, serverless);
}

/** `1.23 GiB`, `456 MiB`, `12.3 KiB`. */
export function fmtBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()} ${units[i]}`;
}
