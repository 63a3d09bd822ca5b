/**
 * The price file (`cost/prices/<region>.json`): list prices with where each came from.
 *
 * Every price the cost model multiplies by is a {@link PriceEntry} carrying its source, date and
 * confidence tag (the tags of `research/price-sheet.md`), so the report can print each measured
 * figure beside the price it is multiplied by, and a reader can tell an AWS price-list value (A)
 * from a derived (C) or unverified (U) one. Users edit the JSON; {@link parsePriceSheet}
 * validates it once and lists every problem.
 */

/** Confidence tags of `research/price-sheet.md`. */
export type Confidence = 'A' | 'B' | 'C' | 'U';

/** One list price. */
export interface PriceEntry {
  /** Price in the sheet's currency per one {@link per}. */
  usd: number;
  /** Billing unit, e.g. `instance-hour`, `GB-month`. */
  per: string;
  /** Source ids of the sheet (`S1b`, …) or a short derivation. */
  source: string;
  /** Date of the source (or of the derivation). */
  date: string;
  confidence: Confidence;
}

/** Where a non-price fact (instance size, included IOPS, …) came from. */
export interface FactSource {
  source: string;
  confidence: Confidence;
}

/** One RDS for PostgreSQL instance class. */
export interface RdsInstancePrice {
  class: string;
  vcpu: number;
  memoryGiB: number;
  /** t-classes: sustained CPU above {@link baselineCpuFraction} costs credits. */
  burstable: boolean;
  /** Share of each vCPU a burstable class may use on average (1 for fixed classes). */
  baselineCpuFraction: number;
  specSource: FactSource;
  singleAz: PriceEntry;
  /** Multi-AZ DB instance (primary + standby). */
  multiAz: PriceEntry;
}

/** Single-AZ / Multi-AZ pair of one price. */
export interface AzPrices {
  singleAz: PriceEntry;
  multiAz: PriceEntry;
}

/** RDS gp3 storage: price and included performance. */
export interface Gp3Prices {
  storage: AzPrices;
  extraIops: AzPrices;
  extraThroughput: AzPrices;
  /** Allocated size at which included performance steps up (and extra IOPS can be bought). */
  thresholdGB: number;
  includedIopsBelowThreshold: number;
  includedIopsAtThreshold: number;
  includedThroughputMiBpsBelowThreshold: number;
  includedThroughputMiBpsAtThreshold: number;
  maxIops: number;
  minStorageGB: number;
  performanceSource: FactSource;
}

/** One ElastiCache node type, priced per engine. */
export interface CacheNodePrice {
  type: string;
  vcpu: number;
  memoryGiB: number;
  specSource: FactSource;
  'redis-oss': PriceEntry;
  valkey: PriceEntry;
}

/** ElastiCache Serverless prices of one engine. */
export interface ServerlessPrices {
  storage: PriceEntry;
  ecpu: PriceEntry;
  /** Metered storage floor per cache. */
  minimumGB: number;
  minimumSource: FactSource;
}

/** ElastiCache engines the sheet prices. */
export type CacheEngine = 'redis-oss' | 'valkey';

/** A whole price file. */
export interface PriceSheet {
  id: string;
  title: string;
  currency: string;
  /** Hours billed per month (730 in AWS's calculator). */
  hoursPerMonth: number;
  compiled: string;
  compiledFrom: string;
  excludes: string;
  confidenceTags: Record<Confidence, string>;
  sources: Record<string, string>;
  rds: {
    instances: RdsInstancePrice[];
    gp3: Gp3Prices;
    backup: { storage: PriceEntry; freeFractionOfProvisioned: number; freeSource: FactSource };
  };
  elasticache: {
    nodes: CacheNodePrice[];
    serverless: Record<CacheEngine, ServerlessPrices>;
  };
}

/** A price file failed validation; `problems` lists every problem found. */
export class InvalidPriceSheetError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid price sheet (fix these in the JSON file):\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidPriceSheetError';
  }
}

const CONFIDENCES = new Set(['A', 'B', 'C', 'U']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkPrice(problems: string[], path: string, v: unknown): void {
  if (!isRecord(v)) return void problems.push(`${path}: missing price entry { usd, per, source, date, confidence }`);
  if (typeof v.usd !== 'number' || !Number.isFinite(v.usd) || v.usd < 0) problems.push(`${path}.usd must be a non-negative number`);
  for (const k of ['per', 'source', 'date']) if (typeof v[k] !== 'string' || v[k] === '') problems.push(`${path}.${k} must be a non-empty string`);
  if (!CONFIDENCES.has(String(v.confidence))) problems.push(`${path}.confidence must be one of A, B, C, U`);
}

function checkNumber(problems: string[], path: string, v: unknown, min = 0): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) problems.push(`${path} must be a number >= ${min}`);
}

/**
 * Validates a parsed price file and returns it typed. Checks every price entry's shape
 * (non-negative `usd`, `source`, `date`, a known confidence tag) and every size the sizing model
 * relies on.
 *
 * @throws InvalidPriceSheetError listing every problem.
 */
export function parsePriceSheet(raw: unknown): PriceSheet {
  const problems: string[] = [];
  if (!isRecord(raw)) throw new InvalidPriceSheetError(['the file must hold one JSON object']);
  checkNumber(problems, 'hoursPerMonth', raw.hoursPerMonth, 1);
  const rds = isRecord(raw.rds) ? raw.rds : undefined;
  if (!rds) problems.push('rds: missing');
  else {
    const instances = Array.isArray(rds.instances) ? rds.instances : [];
    if (instances.length === 0) problems.push('rds.instances: at least one instance class is required');
    instances.forEach((inst: unknown, i: number) => {
      const p = `rds.instances[${i}]`;
      if (!isRecord(inst)) return void problems.push(`${p}: must be an object`);
      if (typeof inst.class !== 'string') problems.push(`${p}.class must be a string`);
      checkNumber(problems, `${p}.vcpu`, inst.vcpu, 0.01);
      checkNumber(problems, `${p}.memoryGiB`, inst.memoryGiB, 0.01);
      checkNumber(problems, `${p}.baselineCpuFraction`, inst.baselineCpuFraction, 0.001);
      checkPrice(problems, `${p}.singleAz`, inst.singleAz);
      checkPrice(problems, `${p}.multiAz`, inst.multiAz);
    });
    const gp3 = isRecord(rds.gp3) ? rds.gp3 : {};
    for (const group of ['storage', 'extraIops', 'extraThroughput']) {
      const g = isRecord(gp3[group]) ? (gp3[group] as Record<string, unknown>) : {};
      checkPrice(problems, `rds.gp3.${group}.singleAz`, g.singleAz);
      checkPrice(problems, `rds.gp3.${group}.multiAz`, g.multiAz);
    }
    for (const k of ['thresholdGB', 'includedIopsBelowThreshold', 'includedIopsAtThreshold', 'includedThroughputMiBpsBelowThreshold', 'includedThroughputMiBpsAtThreshold', 'maxIops', 'minStorageGB']) {
      checkNumber(problems, `rds.gp3.${k}`, gp3[k], 1);
    }
    const backup = isRecord(rds.backup) ? rds.backup : {};
    checkPrice(problems, 'rds.backup.storage', backup.storage);
    checkNumber(problems, 'rds.backup.freeFractionOfProvisioned', backup.freeFractionOfProvisioned);
  }
  const ec = isRecord(raw.elasticache) ? raw.elasticache : undefined;
  if (!ec) problems.push('elasticache: missing');
  else {
    const nodes = Array.isArray(ec.nodes) ? ec.nodes : [];
    if (nodes.length === 0) problems.push('elasticache.nodes: at least one node type is required');
    nodes.forEach((node: unknown, i: number) => {
      const p = `elasticache.nodes[${i}]`;
      if (!isRecord(node)) return void problems.push(`${p}: must be an object`);
      if (typeof node.type !== 'string') problems.push(`${p}.type must be a string`);
      checkNumber(problems, `${p}.vcpu`, node.vcpu, 0.01);
      checkNumber(problems, `${p}.memoryGiB`, node.memoryGiB, 0.01);
      checkPrice(problems, `${p}.redis-oss`, node['redis-oss']);
      checkPrice(problems, `${p}.valkey`, node.valkey);
    });
    const sl = isRecord(ec.serverless) ? ec.serverless : {};
    for (const engine of ['redis-oss', 'valkey']) {
      const e = isRecord(sl[engine]) ? (sl[engine] as Record<string, unknown>) : {};
      checkPrice(problems, `elasticache.serverless.${engine}.storage`, e.storage);
      checkPrice(problems, `elasticache.serverless.${engine}.ecpu`, e.ecpu);
      checkNumber(problems, `elasticache.serverless.${engine}.minimumGB`, e.minimumGB);
    }
  }
  if (problems.length > 0) throw new InvalidPriceSheetError(problems);
  return raw as unknown as PriceSheet;
}

/** `$0.115/GB-month (A; S1b, 2026-05-03)`: how the report cites a price. */
export function describePrice(p: PriceEntry): string {
  return `$${formatUnitPrice(p.usd)}/${p.per} (${p.confidence}; ${p.source}, ${p.date})`;
}

/** Unit prices keep their significant digits (0.0023, 0.115, 1.798). */
export function formatUnitPrice(usd: number): string {
  if (usd === 0) return '0';
  if (usd >= 100) return usd.toFixed(2);
  return Number(usd.toPrecision(4)).toString();
}
