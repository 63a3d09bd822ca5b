/**
 * Product levers in the cost model: which measured lever figure replaces which assumed input
 * for one scenario. Pure.
 *
 * | lever (product option) | scenario field | measured figure (lever runs, same workload) | model input it replaces |
 * |---|---|---|---|
 * | `coldCompression: 'gzip'` | `levers.coldCompression` | cold bytes/checkpoint and migration WAL/checkpoint, gzip ÷ none | `tiered.coldCompressionRatio` (bytes, WAL) |
 * | `hotCompression: 'deflate'` | `levers.hotCompression` | Redis bytes per hot checkpoint, deflate ÷ none | `tiered.hotCompressionRatio` |
 * | `retention` (keepLast N, finalOnly) | `levers.retention` | kept share of checkpoints and of cold bytes (after VACUUM FULL); WAL, CPU, commits of copy + prune ÷ copy alone | `tiered.keptColdFraction` (and `pgOnly.keptFraction` with `levers.pgOnlyRetention`); the migration copies everything |
 * | `migrationBatchSize` | `tiered.batchSize` | WAL per checkpoint at each measured batch size, fitted as a + b ÷ batch (commits follow 1 ÷ batch, as measured) | WAL per checkpoint was taken as independent of batch size |
 * | `copyAfterMs` < `hotWindowMs` | `tiered.copyAfterHours` | Redis bytes per checkpoint after the copy, still hot ÷ before | copied-but-hot checkpoints were taken to weigh as much as uncopied ones |
 * | `threadTtlMs` | `retention.threadTtlDays` | share of an expired thread's cold rows removed; Redis tombstone bytes per expired thread | the TTL was taken to remove everything and leave nothing |
 *
 * Backend CPU per checkpoint is measured at each batch size too but not fed: at the lever
 * workload's size (≈ 0.4 CPU-s per run, 10 ms ticks) batch 50 and 500 differ by less than the
 * run-to-run noise (±15 %), so CPU stays the main measurement's. The retention runs' CPU ratio
 * (copy + prune ÷ copy, 1.2–2.3 × across runs) is fed: its direction is consistent.
 *
 * When a scenario uses a lever the measurement has no figure for (an old measurement, a keepLast
 * N that was not measured), the assumed input is used and a warning says so.
 */
import { fmtNum } from './format.js';
import { retentionKey, type MeasuredInputs, type MeasuredRetention, type RetentionLever } from './measurement.js';
import type { Scenario } from './scenario.js';

export type LeverSource = 'measured' | 'assumed';

/** What the levers make of one scenario's inputs. */
export interface LeverEffects {
  retention: {
    setting: RetentionLever;
    source: LeverSource;
    measured: MeasuredRetention | null;
    /** Share of checkpoints the migration copies (1 with the retention lever: it copies, then prunes). */
    copiedFraction: number;
    /** Share of checkpoints left in PostgreSQL. */
    keptCheckpointFraction: number;
    /** Share of cold bytes left in PostgreSQL. */
    keptBytesFraction: number;
    /** Migration WAL and CPU per copied checkpoint, × (copy + prune ÷ copy). */
    walFactor: number;
    cpuFactor: number;
    extraCommitsPerCheckpoint: number;
  };
  pgOnlyRetention: { source: LeverSource | 'off'; keptCheckpointFraction: number; keptBytesFraction: number };
  compression: { setting: 'none' | 'gzip'; source: LeverSource; bytesFactor: number; walFactor: number };
  /** Redis bytes per hot checkpoint × this (the measured deflate ratio, or the assumed `tiered.hotCompressionRatio`). */
  hotCompression: { setting: 'none' | 'deflate'; source: LeverSource; bytesFactor: number };
  /** `cpuFactor` is 1: CPU per checkpoint against batch size is printed, not fed (see the module doc). */
  batch: { batchSize: number; source: LeverSource; walFactor: number; cpuFactor: number; extrapolated: boolean };
  hot: { source: LeverSource; copiedBytesRatio: number };
  threadTtl: { source: LeverSource; removedFraction: number; tombstoneBytesPerThread: number };
  warnings: string[];
}

/**
 * y(batch) = a + b ÷ batch through the measured points (least squares in 1 ÷ batch), as a factor
 * relative to `reference`: how WAL or CPU per checkpoint moves with batch size. Null with fewer
 * than two batch sizes or when the fit is not positive at both ends.
 */
export function batchFactor(points: Array<{ batchSize: number; value: number | null }>, batchSize: number, reference: number): number | null {
  const pts = points.filter((p): p is { batchSize: number; value: number } => p.value !== null && p.batchSize > 0);
  if (new Set(pts.map((p) => p.batchSize)).size < 2) return null;
  const xs = pts.map((p) => 1 / p.batchSize);
  const ys = pts.map((p) => p.value);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const at = (b: number) => intercept + slope / b;
  if (!(at(reference) > 0) || !(at(batchSize) > 0)) return null;
  return at(batchSize) / at(reference);
}

/** Resolves every lever of `s` against the measured lever figures of `m`. */
export function resolveLevers(s: Scenario, m: MeasuredInputs): LeverEffects {
  const warnings: string[] = [];
  const L = m.levers;
  const ttlHours = s.retention.threadTtlDays === null ? Infinity : s.retention.threadTtlDays * 24;
  // Threads that end before their first copy never reach PostgreSQL.
  const reachesCold = ttlHours > s.tiered.copyAfterHours ? 1 : 0;

  // --- retention
  const setting = s.levers.retention;
  let measuredRetention: MeasuredRetention | null = null;
  let retentionSource: LeverSource = 'assumed';
  if (setting.mode !== 'all') {
    measuredRetention = L?.retention.find((r) => r.key === retentionKey(setting)) ?? null;
    if (measuredRetention) retentionSource = 'measured';
    else warnings.push(`Lever retention ${retentionKey(setting)} is not in the measurement (${L ? `measured: ${L.retention.map((r) => r.key).join(', ') || 'none'}` : 'no lever runs'}): used the assumed keptColdFraction ${fmtNum(s.tiered.keptColdFraction)}. Re-run \`npm run cost\` to measure it.`);
  }
  const f = s.tiered.keptColdFraction;
  const retention: LeverEffects['retention'] = measuredRetention
    ? {
        setting,
        source: 'measured',
        measured: measuredRetention,
        copiedFraction: reachesCold,
        keptCheckpointFraction: reachesCold * measuredRetention.keptFraction,
        keptBytesFraction: reachesCold * measuredRetention.keptBytesFraction,
        walFactor: measuredRetention.walRatio,
        cpuFactor: measuredRetention.cpuRatio ?? 1,
        extraCommitsPerCheckpoint: measuredRetention.extraCommitsPerCheckpoint,
      }
    : { setting, source: retentionSource, measured: null, copiedFraction: reachesCold * f, keptCheckpointFraction: reachesCold * f, keptBytesFraction: reachesCold * f, walFactor: 1, cpuFactor: 1, extraCommitsPerCheckpoint: 0 };
  if (measuredRetention && f !== 1) warnings.push(`tiered.keptColdFraction ${fmtNum(f)} is ignored: the measured retention ${measuredRetention.key} decides what is kept cold.`);

  const pgOnlyRetention: LeverEffects['pgOnlyRetention'] =
    s.levers.pgOnlyRetention && measuredRetention
      ? { source: 'measured', keptCheckpointFraction: measuredRetention.keptFraction, keptBytesFraction: measuredRetention.keptBytesFraction }
      : { source: s.levers.pgOnlyRetention && setting.mode !== 'all' ? 'assumed' : 'off', keptCheckpointFraction: s.pgOnly.keptFraction, keptBytesFraction: s.pgOnly.keptFraction };
  if (pgOnlyRetention.source === 'measured' && s.pgOnly.keptFraction !== 1) warnings.push(`pgOnly.keptFraction ${fmtNum(s.pgOnly.keptFraction)} is ignored: PostgreSQL-only prunes with the measured retention ${measuredRetention!.key}.`);

  // --- cold compression
  let compression: LeverEffects['compression'] = { setting: s.levers.coldCompression, source: 'assumed', bytesFactor: s.tiered.coldCompressionRatio, walFactor: s.tiered.coldCompressionRatio };
  if (s.levers.coldCompression === 'gzip') {
    if (L?.compression) {
      compression = { setting: 'gzip', source: 'measured', bytesFactor: L.compression.bytesRatio, walFactor: L.compression.walRatio };
      if (s.tiered.coldCompressionRatio !== 1) warnings.push(`tiered.coldCompressionRatio ${fmtNum(s.tiered.coldCompressionRatio)} is ignored: the measured gzip ratios are used.`);
    } else warnings.push(`Lever coldCompression gzip is not in the measurement: used the assumed coldCompressionRatio ${fmtNum(s.tiered.coldCompressionRatio)}.`);
  }

  // --- hot compression
  let hotCompression: LeverEffects['hotCompression'] = { setting: s.levers.hotCompression, source: 'assumed', bytesFactor: s.tiered.hotCompressionRatio };
  if (s.levers.hotCompression === 'deflate') {
    if (L?.hotCompression) {
      hotCompression = { setting: 'deflate', source: 'measured', bytesFactor: L.hotCompression.bytesRatio };
      if (s.tiered.hotCompressionRatio !== 1) warnings.push(`tiered.hotCompressionRatio ${fmtNum(s.tiered.hotCompressionRatio)} is ignored: the measured deflate ratio is used.`);
    } else warnings.push(`Lever hotCompression deflate is not in the measurement: used the assumed hotCompressionRatio ${fmtNum(s.tiered.hotCompressionRatio)}. Re-run \`npm run cost\` to measure it.`);
  }

  // --- batch size
  const ref = m.migration.batchSize;
  const points = L?.batch ?? [];
  const walF = batchFactor(points.map((p) => ({ batchSize: p.batchSize, value: p.walBytesPerCheckpoint })), s.tiered.batchSize, ref);
  const sizes = points.map((p) => p.batchSize);
  const batch: LeverEffects['batch'] = {
    batchSize: s.tiered.batchSize,
    source: walF !== null ? 'measured' : 'assumed',
    walFactor: walF ?? 1,
    cpuFactor: 1,
    extrapolated: sizes.length > 0 && (s.tiered.batchSize < Math.min(...sizes) || s.tiered.batchSize > Math.max(...sizes)),
  };
  if (s.tiered.batchSize !== ref && walF === null) warnings.push(`Migration batch ${s.tiered.batchSize} differs from the measured ${ref} and the measurement has no batch-size runs: WAL per checkpoint taken as independent of batch size.`);

  // --- copy/evict split
  const hot: LeverEffects['hot'] = L?.hot ? { source: 'measured', copiedBytesRatio: L.hot.copiedRatio } : { source: 'assumed', copiedBytesRatio: 1 };

  // --- thread TTL
  const threadTtl: LeverEffects['threadTtl'] = L?.threadTtl
    ? { source: 'measured', removedFraction: L.threadTtl.rowsRemovedFraction, tombstoneBytesPerThread: L.threadTtl.tombstoneBytesPerThread }
    : { source: 'assumed', removedFraction: 1, tombstoneBytesPerThread: m.hot.residualBytesPerThread };

  return { retention, pgOnlyRetention, compression, hotCompression, batch, hot, threadTtl, warnings };
}
