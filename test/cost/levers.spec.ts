/**
 * Product levers in the cost model: each measured lever figure (the lever runs of `npm run cost`,
 * in the fixture measurement) replaces an assumed input, and moves the load and the total exactly
 * as `src/cost/levers.ts` says.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsInWindow, computeCost, type CostLine, type CostResult } from '../../src/cost/cost-model.js';
import { batchFactor, resolveLevers } from '../../src/cost/levers.js';
import { deriveLevers, deriveMeasuredInputs, type LeverRun, type MeasuredInputs, type MeasuredLevers, type TableBytes } from '../../src/cost/measurement.js';
import { renderScenarioReport } from '../../src/cost/report-markdown.js';
import { InvalidScenarioError, leversUsed, merge, resolveScenario, type ScenarioInput } from '../../src/cost/scenario.js';
import { measured, prices, rawMeasurement, readJson, scenario } from './cost-fixtures.js';

const DAY = 86400;
const L = measured.levers!;
const keepLast1 = L.retention.find((r) => r.key === 'keepLast:1')!;

/** The measured inputs with the lever figures changed by `change`. */
function withLevers(change: (l: MeasuredLevers) => MeasuredLevers): MeasuredInputs {
  return { ...measured, levers: change(structuredClone(L)) };
}

const storageOrBackup = (l: CostLine) => l.item.startsWith('gp3 storage') || l.item.startsWith('backup');
const lineSum = (r: CostResult, design: 'pgOnly' | 'tiered', match: (l: CostLine) => boolean) => r[design].lines.filter(match).reduce((a, l) => a + l.monthlyUsd, 0);

describe('the fixture measurement has every lever run', () => {
  it('derives compression, retention, batch, copy/evict and TTL figures', () => {
    expect(L.compression).not.toBeNull();
    expect(L.retention.map((r) => r.key)).toEqual(expect.arrayContaining(['keepLast:1', 'finalOnly']));
    expect(L.batch.map((b) => b.batchSize)).toEqual([50, 500]);
    expect(L.hot).not.toBeNull();
    expect(L.threadTtl).not.toBeNull();
  });
});

describe('lever coldCompression: the measured gzip ratios replace the assumed compression ratio', () => {
  const base = computeCost(scenario(), measured, prices);
  const gz = computeCost(scenario({ levers: { coldCompression: 'gzip' } }), measured, prices);

  it('cold storage and migration WAL scale by the measured ratios; PostgreSQL-only is untouched', () => {
    expect(gz.leverEffects.compression).toMatchObject({ source: 'measured', bytesFactor: L.compression!.bytesRatio, walFactor: L.compression!.walRatio });
    expect(gz.tiered.postgres.requirement.storedGB).toBeCloseTo(base.tiered.postgres.requirement.storedGB * L.compression!.bytesRatio, 9);
    expect(gz.tiered.postgres.load.walBytesPerSec).toBeCloseTo(base.tiered.postgres.load.walBytesPerSec * L.compression!.walRatio, 9);
    expect(gz.pgOnly).toEqual(base.pgOnly);
  });

  it('a smaller measured ratio lowers the tiered total by exactly the storage and backup lines it shrinks', () => {
    const at = (bytesRatio: number) => computeCost(scenario({ levers: { coldCompression: 'gzip' } }), withLevers((l) => ({ ...l, compression: { ...l.compression!, bytesRatio } })), prices);
    const half = at(0.5);
    const quarter = at(0.25);
    expect(quarter.tiered.postgres.requirement.storedGB).toBeCloseTo(half.tiered.postgres.requirement.storedGB / 2, 9);
    expect(quarter.tiered.postgres.sizing.instance.class).toBe(half.tiered.postgres.sizing.instance.class);
    expect(lineSum(quarter, 'tiered', (l) => l.component === 'redis')).toBe(lineSum(half, 'tiered', (l) => l.component === 'redis'));
    expect(lineSum(quarter, 'tiered', storageOrBackup)).toBeLessThan(lineSum(half, 'tiered', storageOrBackup));
    expect(half.tiered.monthlyUsd - quarter.tiered.monthlyUsd).toBeCloseTo(lineSum(half, 'tiered', storageOrBackup) - lineSum(quarter, 'tiered', storageOrBackup), 9);
  });

  it('falls back to the assumed coldCompressionRatio, with a warning, when the measurement has no lever runs', () => {
    const r = computeCost(scenario({ levers: { coldCompression: 'gzip' }, tiered: { coldCompressionRatio: 0.6 } }), { ...measured, levers: null }, prices);
    expect(r.leverEffects.compression.source).toBe('assumed');
    expect(r.tiered.postgres.requirement.storedGB).toBeCloseTo(base.tiered.postgres.requirement.storedGB * 0.6, 9);
    expect(r.warnings.join('\n')).toMatch(/coldCompression gzip is not in the measurement/);
  });
});

describe('lever retention: the measured kept shares replace keptColdFraction, and the migration copies everything first', () => {
  const base = computeCost(scenario(), measured, prices);
  const kl = computeCost(scenario({ levers: { retention: { mode: 'keepLast', keepLast: 1 } } }), measured, prices);

  it('cold storage × the measured kept-bytes share, stored checkpoints × the kept-checkpoint share', () => {
    expect(kl.leverEffects.retention.source).toBe('measured');
    expect(kl.tiered.postgres.requirement.storedGB).toBeCloseTo(base.tiered.postgres.requirement.storedGB * keepLast1.keptBytesFraction, 9);
    expect(kl.tiered.postgres.load.storedCheckpoints).toBeCloseTo(base.tiered.postgres.load.storedCheckpoints * keepLast1.keptFraction, 6);
    // The kept checkpoints are the newest, largest ones: more bytes than their share of checkpoints.
    expect(keepLast1.keptBytesFraction).toBeGreaterThan(keepLast1.keptFraction);
  });

  it('the migration still copies every checkpoint, with the measured WAL, CPU and commits of copy + prune', () => {
    const b = base.tiered.postgres.load;
    const k = kl.tiered.postgres.load;
    expect(k.writeRateCheckpointsPerSec).toBe(b.writeRateCheckpointsPerSec);
    expect(k.walBytesPerSec).toBeCloseTo(b.walBytesPerSec * keepLast1.walRatio, 9);
    expect(k.cpuSecPerCheckpoint).toBeCloseTo(b.cpuSecPerCheckpoint * keepLast1.cpuRatio!, 12);
    expect(k.writeCommitsPerSec).toBeCloseTo(b.writeCommitsPerSec + k.writeRateCheckpointsPerSec * keepLast1.extraCommitsPerCheckpoint, 9);
    expect(kl.pgOnly).toEqual(base.pgOnly);
  });

  it('measured differs from the old assumption "keep f, copy f": same kept checkpoints, more bytes, full copy rate', () => {
    const assumed = computeCost(scenario({ tiered: { keptColdFraction: keepLast1.keptFraction } }), measured, prices);
    expect(kl.tiered.postgres.load.storedCheckpoints).toBeCloseTo(assumed.tiered.postgres.load.storedCheckpoints, 6);
    expect(kl.tiered.postgres.requirement.storedGB / assumed.tiered.postgres.requirement.storedGB).toBeCloseTo(keepLast1.keptBytesFraction / keepLast1.keptFraction, 9);
    expect(kl.tiered.postgres.load.writeRateCheckpointsPerSec / assumed.tiered.postgres.load.writeRateCheckpointsPerSec).toBeCloseTo(1 / keepLast1.keptFraction, 9);
  });

  it('a larger measured kept-bytes share raises the total by exactly the storage and backup lines', () => {
    const set = (keptBytesFraction: number) =>
      computeCost(
        scenario({ levers: { retention: { mode: 'keepLast', keepLast: 1 } } }),
        withLevers((l) => ({ ...l, retention: l.retention.map((r) => (r.key === 'keepLast:1' ? { ...r, keptBytesFraction } : r)) })),
        prices,
      );
    const low = set(0.3);
    const high = set(0.6);
    expect(high.tiered.postgres.requirement.storedGB).toBeCloseTo(2 * low.tiered.postgres.requirement.storedGB, 9);
    expect(high.tiered.postgres.sizing.instance.class).toBe(low.tiered.postgres.sizing.instance.class);
    expect(high.tiered.monthlyUsd - low.tiered.monthlyUsd).toBeCloseTo(lineSum(high, 'tiered', storageOrBackup) - lineSum(low, 'tiered', storageOrBackup), 9);
    expect(high.tiered.monthlyUsd).toBeGreaterThan(low.tiered.monthlyUsd);
  });

  it('pgOnlyRetention prunes PostgreSQL-only to the same measured shares', () => {
    const both = computeCost(scenario({ levers: { retention: { mode: 'keepLast', keepLast: 1 }, pgOnlyRetention: true } }), measured, prices);
    expect(both.pgOnly.postgres.requirement.storedGB).toBeCloseTo(base.pgOnly.postgres.requirement.storedGB * keepLast1.keptBytesFraction, 9);
    expect(both.pgOnly.postgres.load.storedCheckpoints).toBeCloseTo(base.pgOnly.postgres.load.storedCheckpoints * keepLast1.keptFraction, 6);
    expect(both.tiered).toEqual(kl.tiered);
  });

  it('a retention the measurement lacks falls back to the assumed keptColdFraction and warns', () => {
    const r = computeCost(scenario({ levers: { retention: { mode: 'keepLast', keepLast: 7 } }, tiered: { keptColdFraction: 0.5 } }), measured, prices);
    expect(r.leverEffects.retention.source).toBe('assumed');
    expect(r.tiered.postgres.requirement.storedGB).toBeCloseTo(base.tiered.postgres.requirement.storedGB * 0.5, 9);
    expect(r.warnings.join('\n')).toMatch(/retention keepLast:7 is not in the measurement/);
  });

  it('a thread TTL shorter than the copy age still means nothing reaches PostgreSQL', () => {
    const r = computeCost(scenario({ levers: { retention: { mode: 'keepLast', keepLast: 1 } }, retention: { threadTtlDays: 0.5 } }), measured, prices);
    expect(r.tiered.postgres.requirement.storedGB).toBe(0);
    expect(r.tiered.postgres.load.writeRateCheckpointsPerSec).toBe(0);
  });
});

describe('lever migrationBatchSize: measured WAL and CPU per checkpoint against batch size', () => {
  it('batchFactor fits a + b ÷ batch: exact through two points, 1 at the reference, null with one size', () => {
    const pts = [
      { batchSize: 50, value: 12 },
      { batchSize: 500, value: 10 },
    ];
    expect(batchFactor(pts, 500, 500)).toBe(1);
    expect(batchFactor(pts, 50, 500)).toBeCloseTo(1.2, 12);
    // a = 10 - b/500, b = 2 / (1/50 - 1/500) = 111.1…: at 5,000 the per-batch part nearly vanishes.
    expect(batchFactor(pts, 5000, 500)).toBeCloseTo((10 - 111.111111111 / 500 + 111.111111111 / 5000) / 10, 6);
    expect(batchFactor([{ batchSize: 500, value: 10 }], 50, 500)).toBeNull();
    expect(batchFactor([...pts, { batchSize: 100, value: null }], 50, 500)).toBeCloseTo(1.2, 12);
  });

  it('at a measured batch size the model uses that run\'s WAL ratio; commits scale as 1 ÷ batch; CPU is not moved (within noise)', () => {
    const at50 = L.batch.find((b) => b.batchSize === 50)!;
    const at500 = L.batch.find((b) => b.batchSize === 500)!;
    const base = computeCost(scenario(), measured, prices).tiered.postgres.load;
    const small = computeCost(scenario({ tiered: { batchSize: 50 } }), measured, prices).tiered.postgres.load;
    expect(small.walBytesPerSec / small.writeRateCheckpointsPerSec).toBeCloseTo(measured.migration.walBytesPerCheckpoint * (at50.walBytesPerCheckpoint / at500.walBytesPerCheckpoint), 6);
    expect(small.cpuSecPerCheckpoint).toBe(base.cpuSecPerCheckpoint);
    expect(small.writeCommitsPerSec / small.writeRateCheckpointsPerSec).toBeCloseTo(((base.writeCommitsPerSec / base.writeRateCheckpointsPerSec) * 500) / 50, 12);
  });

  it('without batch-size runs WAL per checkpoint stays constant, and a warning says so', () => {
    const flat = withLevers((l) => ({ ...l, batch: l.batch.filter((b) => b.batchSize === 500) }));
    const base = computeCost(scenario(), flat, prices).tiered.postgres.load;
    const r = computeCost(scenario({ tiered: { batchSize: 50 } }), flat, prices);
    expect(r.tiered.postgres.load.walBytesPerSec / r.tiered.postgres.load.writeRateCheckpointsPerSec).toBeCloseTo(base.walBytesPerSec / base.writeRateCheckpointsPerSec, 9);
    expect(r.warnings.join('\n')).toMatch(/no batch-size runs/);
  });
});

describe('lever copyAfterMs < hotWindowMs: copied-but-hot checkpoints weigh the measured ratio', () => {
  it('data set = (uncopied + copied × ratio) × bytes per checkpoint + per-thread keys', () => {
    const s = scenario({ tiered: { copyAfterHours: 2 } });
    const r = computeCost(s, measured, prices).tiered.redis!;
    const held = checkpointsInWindow(25, 2, 10);
    const uncopied = checkpointsInWindow(3, 2, 10);
    const threads = (2 * 60 * DAY) / measured.checkpointsPerThread;
    const expected = (uncopied + (held - uncopied) * L.hot!.copiedRatio) * measured.hot.redisBytesPerCheckpoint + threads * measured.hot.residualBytesPerThread;
    expect(r.requirement.datasetBytes).toBeCloseTo(expected, 3);
    const halved = computeCost(s, withLevers((l) => ({ ...l, hot: { ...l.hot!, copiedRatio: 0.5 } })), prices).tiered.redis!;
    expect(halved.requirement.datasetBytes).toBeCloseTo(expected - (held - uncopied) * (L.hot!.copiedRatio - 0.5) * measured.hot.redisBytesPerCheckpoint, 3);
  });

  it('has no effect when copy and eviction coincide (the default)', () => {
    const a = computeCost(scenario(), measured, prices).tiered.redis!.requirement.datasetBytes;
    const b = computeCost(scenario(), withLevers((l) => ({ ...l, hot: { ...l.hot!, copiedRatio: 0.1 } })), prices).tiered.redis!.requirement.datasetBytes;
    expect(b).toBe(a);
  });
});

describe('lever hotCompression: the measured deflate ratio replaces the assumed hot compression ratio', () => {
  const withDeflate = withLevers((l) => ({ ...l, hotCompression: { bytesPerCheckpoint: { none: 10_000, deflate: 4_000 }, bytesRatio: 0.4 } }));

  it('Redis bytes per hot checkpoint × the measured ratio, instead of tiered.hotCompressionRatio', () => {
    const plain = computeCost(scenario({ tiered: { hotCompressionRatio: 1 } }), withDeflate, prices).tiered.redis!.requirement;
    const deflate = computeCost(scenario({ tiered: { hotCompressionRatio: 1 }, levers: { hotCompression: 'deflate' } }), withDeflate, prices);
    const perThread = plain.datasetBytes - (plain.datasetBytes - deflate.tiered.redis!.requirement.datasetBytes) / 0.6;
    // dataset = held × bytes × factor + per-thread keys: the held part shrinks to 0.4 of itself.
    expect(deflate.tiered.redis!.requirement.datasetBytes).toBeCloseTo(perThread + (plain.datasetBytes - perThread) * 0.4, 3);
    expect(deflate.levers.find((l) => l.lever === 'hotCompression')).toMatchObject({ used: true, source: 'measured' });
    const assumed = computeCost(scenario({ tiered: { hotCompressionRatio: 0.35 }, levers: { hotCompression: 'deflate' } }), withDeflate, prices);
    expect(assumed.warnings.join('\n')).toMatch(/tiered.hotCompressionRatio 0.35 is ignored: the measured deflate ratio is used/);
  });

  it('falls back to the assumed ratio, with a warning, when the measurement has no deflate run', () => {
    const r = computeCost(scenario({ tiered: { hotCompressionRatio: 0.5 }, levers: { hotCompression: 'deflate' } }), withLevers((l) => ({ ...l, hotCompression: null })), prices);
    expect(r.warnings.join('\n')).toMatch(/Lever hotCompression deflate is not in the measurement: used the assumed hotCompressionRatio 0.5/);
    const half = computeCost(scenario({ tiered: { hotCompressionRatio: 0.5 } }), measured, prices).tiered.redis!.requirement.datasetBytes;
    expect(r.tiered.redis!.requirement.datasetBytes).toBe(half);
  });
});

describe('lever threadTtlMs: measured share removed and tombstones', () => {
  const s = scenario({ retention: { threadTtlDays: 20 } });

  it('the TTL removed 100 % of an expired thread\'s rows: storage is that of min(retention, TTL) days', () => {
    expect(L.threadTtl!.rowsRemovedFraction).toBe(1);
    const base = computeCost(scenario(), measured, prices);
    const r = computeCost(s, measured, prices);
    expect(r.pgOnly.postgres.requirement.storedGB).toBeCloseTo((base.pgOnly.postgres.requirement.storedGB * 20) / 60, 9);
    expect(r.tiered.postgres.requirement.storedGB).toBeCloseTo((base.tiered.postgres.requirement.storedGB * (20 - 1)) / (60 - 1), 9);
  });

  it('a TTL that removed only part of a thread keeps the rest for the full retention', () => {
    const partial = withLevers((l) => ({ ...l, threadTtl: { ...l.threadTtl!, rowsRemovedFraction: 0.5 } }));
    const base = computeCost(scenario(), measured, prices);
    const r = computeCost(s, partial, prices);
    expect(r.pgOnly.postgres.requirement.storedGB).toBeCloseTo((base.pgOnly.postgres.requirement.storedGB * (20 + 0.5 * 40)) / 60, 9);
  });

  it('each expired thread leaves its measured tombstone in Redis for threadTombstoneDays', () => {
    const on = computeCost(s, measured, prices).tiered.redis!;
    const noTombstone = computeCost(s, withLevers((l) => ({ ...l, threadTtl: { ...l.threadTtl!, tombstoneBytesPerThread: 0 } })), prices).tiered.redis!;
    const tombstones = ((2 * DAY) / measured.checkpointsPerThread) * 7;
    expect(on.requirement.datasetBytes - noTombstone.requirement.datasetBytes).toBeCloseTo(tombstones * L.threadTtl!.tombstoneBytesPerThread, 3);
  });
});

describe('lever lines: each measured figure beside the price line it changes', () => {
  const files = readdirSync(join(process.cwd(), 'cost/scenarios')).filter((f) => f.endsWith('.json'));

  it.each(files)('%s states every lever it uses, and the report prints each lever with its price line', (file) => {
    const input = readJson<Record<string, any>>(join(process.cwd(), 'cost/scenarios', file));
    expect(Object.keys(input.levers ?? {}).sort()).toEqual(['coldCompression', 'hotCompression', 'pgOnlyRetention', 'retention']);
    expect(input.retention).toHaveProperty('threadTtlDays');
    expect(input.tiered).toHaveProperty('hotWindowHours');
    expect(input.tiered).toHaveProperty('copyAfterHours');
    expect(input.tiered).toHaveProperty('batchSize');
    const r = computeCost(resolveScenario(input as ScenarioInput), measured, prices);
    expect(r.levers.map((l) => l.lever)).toEqual(['coldCompression', 'hotCompression', 'retention', 'migrationBatchSize', 'hotWindowMs / copyAfterMs', 'threadTtlMs']);
    const md = renderScenarioReport(r);
    for (const l of r.levers) {
      const row = md.split('\n').find((line) => line.startsWith(`| \`${l.lever}\``))!;
      expect(row).toContain(l.measured.slice(0, 40));
      expect(row).toContain(l.changes.replace(/\|/g, '\\|').slice(0, 40));
    }
    expect(r.warnings.join('\n')).not.toMatch(/not in the measurement/);
  });

  it('a used lever\'s alternative is the scenario costed with that lever off', () => {
    const s = scenario({ levers: { retention: { mode: 'keepLast', keepLast: 1 }, coldCompression: 'gzip' } });
    const r = computeCost(s, measured, prices);
    const offRetention = computeCost(resolveScenario(merge({ name: 'test', load: s.load, retention: s.retention, profile: s.profile } as ScenarioInput, { levers: { retention: { mode: 'all' }, coldCompression: 'gzip' } })), measured, prices);
    const line = r.levers.find((l) => l.lever === 'retention')!;
    expect(line.used).toBe(true);
    expect(line.alternative!.tieredUsd).toBe(offRetention.tiered.monthlyUsd);
    expect(r.levers.find((l) => l.lever === 'coldCompression')!.alternative!.label).toBe('coldCompression none');
  });

  it('leversUsed collects every keepLast and batch size of a scenario and its variants (what the lever runs measure)', () => {
    const s = resolveScenario({
      name: 'x',
      load: { averageCheckpointsPerSec: 1, peakCheckpointsPerSec: 2 },
      levers: { retention: { mode: 'keepLast', keepLast: 3 } },
      sensitivity: [{ label: 'a', set: { levers: { retention: { mode: 'keepLast', keepLast: 10 } }, tiered: { batchSize: 50 } } }, { label: 'b', set: { levers: { retention: { mode: 'all' } } } }],
    });
    expect(leversUsed(s)).toEqual({ keepLast: [3, 10], batchSizes: [50, 500] });
  });

  it('rejects unknown lever settings, listing every problem', () => {
    try {
      resolveScenario({ name: 'bad', load: { averageCheckpointsPerSec: 1, peakCheckpointsPerSec: 2 }, levers: { retention: { mode: 'keepLast', keepLast: 0 }, coldCompression: 'zstd' as never, hotCompression: 'lz4' as never, pgOnlyRetention: 'yes' as never } });
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidScenarioError);
      const p = (error as InvalidScenarioError).problems.join('\n');
      expect(p).toMatch(/levers.retention.keepLast must be an integer >= 1/);
      expect(p).toMatch(/levers.coldCompression must be "none" or "gzip"/);
      expect(p).toMatch(/levers.hotCompression must be "none" or "deflate"/);
      expect(p).toMatch(/levers.pgOnlyRetention must be true or false/);
    }
  });
});

describe('deriveLevers', () => {
  const runs = rawMeasurement.levers!.runs;
  const run = (label: string) => runs.find((r) => r.label === label)!;
  const total = (t: Record<string, TableBytes>) => Object.values(t).reduce((a, x) => a + x.totalBytes, 0);

  it('divides each lever run by the baseline run of the same workload', () => {
    const base = run('baseline');
    const gzip = run('gzip');
    const copied = (r: LeverRun) => r.migration.report.checkpointsCopied;
    expect(L.compression!.bytesRatio).toBeCloseTo(total(gzip.coldTables) / copied(gzip) / (total(base.coldTables) / copied(base)), 12);
    const kl = run('keepLast:1');
    expect(keepLast1.keptFraction).toBe(kl.coldTablesVacuumed.checkpoints!.rows / copied(kl));
    expect(keepLast1.keptBytesFraction).toBeCloseTo(total(kl.coldTablesVacuumed) / total(base.coldTablesVacuumed), 12);
    expect(L.hot!.copiedRatio).toBe(base.redis.copiedStillHot!.bytes / base.redis.beforeCopy.bytes);
  });

  it('is null for a measurement without lever runs (the model then uses the assumed inputs)', () => {
    const { levers: _none, ...old } = rawMeasurement;
    const m = deriveMeasuredInputs(old);
    expect(m.levers).toBeNull();
    const fx = resolveLevers(scenario({ levers: { retention: { mode: 'keepLast', keepLast: 1 } } }), m);
    expect(fx.retention.source).toBe('assumed');
    expect(deriveLevers({ ...rawMeasurement.levers!, runs: runs.filter((r) => r.label !== 'baseline') })).toBeNull();
  });

  it('per checkpoint, the copy/evict baseline agrees with the main measurement within 10 %', () => {
    expect(L.hot!.bytesPerCheckpointUncopied / measured.hot.redisBytesPerCheckpoint).toBeGreaterThan(0.9);
    expect(L.hot!.bytesPerCheckpointUncopied / measured.hot.redisBytesPerCheckpoint).toBeLessThan(1.1);
    expect(L.baseline.coldBytesPerCheckpoint / measured.migration.diskBytesPerCheckpoint).toBeGreaterThan(0.9);
    expect(L.baseline.coldBytesPerCheckpoint / measured.migration.diskBytesPerCheckpoint).toBeLessThan(1.1);
  });
});
