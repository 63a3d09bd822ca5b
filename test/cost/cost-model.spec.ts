import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkpointsInWindow,
  computeCost,
  computeVariants,
  estimateFromLive,
  findBreakEvens,
  sweepWriteRate,
  type CostLine,
  type CostResult,
  type DesignCost,
} from '../../src/cost/cost-model.js';
import { renderChartSvg } from '../../src/cost/chart-svg.js';
import { renderScenarioReport, renderSummary } from '../../src/cost/report-markdown.js';
import { merge, resolveScenario, scaleLoad, type ScenarioInput } from '../../src/cost/scenario.js';
import { cardClaimInput, deepFreeze, measured, prices, readJson, scenario, withMeasured, withPrices } from './cost-fixtures.js';

const HOUR = 3600;
const DAY = 86400;

function lineOf(d: DesignCost, match: (l: CostLine) => boolean): CostLine {
  const l = d.lines.find(match);
  if (!l) throw new Error(`no such line in ${d.design}: ${d.lines.map((x) => x.item).join(', ')}`);
  return l;
}
const storage = (l: CostLine) => l.item.startsWith('gp3 storage') && !l.item.includes('replica');
const instance = (l: CostLine) => l.unit === 'instance-hours' && !l.item.includes('replica');
const redisNodes = (l: CostLine) => l.component === 'redis';
const backup = (l: CostLine) => l.item.startsWith('backup');

function allLines(r: CostResult): CostLine[] {
  return [...r.pgOnly.lines, ...r.tiered.lines];
}

const scenarioFiles = readdirSync(join(process.cwd(), 'cost/scenarios')).filter((f) => f.endsWith('.json'));

describe('cost model: every dollar is quantity × unit price', () => {
  it.each(scenarioFiles)('%s: each line is quantity × price and each total is the sum of its lines', (file) => {
    const s = resolveScenario(readJson<ScenarioInput>(join(process.cwd(), 'cost/scenarios', file)));
    const r = computeCost(s, measured, prices);
    for (const d of [r.pgOnly, r.tiered]) {
      for (const l of d.lines) expect(l.monthlyUsd).toBe(l.quantity * l.price.usd);
      expect(d.monthlyUsd).toBeCloseTo(d.lines.reduce((a, l) => a + l.monthlyUsd, 0), 9);
    }
    expect(r.savingsUsd).toBeCloseTo(r.pgOnly.monthlyUsd - r.tiered.monthlyUsd, 9);
  });

  it('scaling every price by k scales every line and both totals by k (no total is hard-coded)', () => {
    const s = scenario();
    const base = computeCost(s, measured, prices);
    const k = 3;
    const scaled = computeCost(
      s,
      measured,
      withPrices((p) => {
        const visit = (v: unknown) => {
          if (!v || typeof v !== 'object') return;
          const o = v as Record<string, unknown>;
          if (typeof o.usd === 'number' && typeof o.per === 'string') o.usd = (o.usd as number) * k;
          else Object.values(o).forEach(visit);
        };
        visit(p);
      }),
    );
    expect(scaled.pgOnly.monthlyUsd).toBeCloseTo(k * base.pgOnly.monthlyUsd, 6);
    expect(scaled.tiered.monthlyUsd).toBeCloseTo(k * base.tiered.monthlyUsd, 6);
    allLines(scaled).forEach((l, i) => expect(l.monthlyUsd).toBeCloseTo(k * allLines(base)[i]!.monthlyUsd, 6));
  });

  it('doubling the gp3 storage price doubles the storage lines and moves each total by exactly that line', () => {
    const s = scenario();
    const base = computeCost(s, measured, prices);
    const doubled = computeCost(
      s,
      measured,
      withPrices((p) => {
        p.rds.gp3.storage.singleAz.usd *= 2;
      }),
    );
    for (const d of ['pgOnly', 'tiered'] as const) {
      const before = lineOf(base[d], storage).monthlyUsd;
      expect(before).toBeGreaterThan(0);
      expect(lineOf(doubled[d], storage).monthlyUsd).toBeCloseTo(2 * before, 9);
      expect(doubled[d].monthlyUsd - base[d].monthlyUsd).toBeCloseTo(before, 9);
    }
  });

  it('doubling every RDS instance price doubles the instance lines (the same class is chosen)', () => {
    const s = scenario();
    const base = computeCost(s, measured, prices);
    const doubled = computeCost(
      s,
      measured,
      withPrices((p) => {
        for (const c of p.rds.instances) {
          c.singleAz.usd *= 2;
          c.multiAz.usd *= 2;
        }
      }),
    );
    for (const d of ['pgOnly', 'tiered'] as const) {
      expect(doubled[d].postgres.sizing.instance.class).toBe(base[d].postgres.sizing.instance.class);
      expect(lineOf(doubled[d], instance).monthlyUsd).toBeCloseTo(2 * lineOf(base[d], instance).monthlyUsd, 9);
    }
  });

  it('doubling every ElastiCache node price doubles the Redis line and leaves PostgreSQL-only alone', () => {
    const s = scenario();
    const base = computeCost(s, measured, prices);
    const doubled = computeCost(
      s,
      measured,
      withPrices((p) => {
        for (const n of p.elasticache.nodes) {
          n['redis-oss'].usd *= 2;
          n.valkey.usd *= 2;
        }
      }),
    );
    expect(lineOf(doubled.tiered, redisNodes).monthlyUsd).toBeCloseTo(2 * lineOf(base.tiered, redisNodes).monthlyUsd, 9);
    expect(doubled.pgOnly.monthlyUsd).toBe(base.pgOnly.monthlyUsd);
  });

  it('doubling the backup price doubles the billable backup line', () => {
    // Heavy pruning keeps the database small while a week of daily writes still has to be backed up.
    const s = scenario({ load: { averageCheckpointsPerSec: 20, peakCheckpointsPerSec: 60, peakHourCheckpointsPerSec: 30 }, pgOnly: { keptFraction: 0.05 } });
    const base = computeCost(s, measured, prices);
    const before = lineOf(base.pgOnly, backup).monthlyUsd;
    expect(before).toBeGreaterThan(0);
    const doubled = computeCost(
      s,
      measured,
      withPrices((p) => {
        p.rds.backup.storage.usd *= 2;
      }),
    );
    expect(lineOf(doubled.pgOnly, backup).monthlyUsd).toBeCloseTo(2 * before, 9);
  });
});

describe('cost model: workload inputs move the load exactly as the formulas say', () => {
  const base = computeCost(scenario(), measured, prices);

  it('PostgreSQL-only storage is linear in rate, retention, kept fraction, compression and measured bytes', () => {
    const stored = base.pgOnly.postgres.requirement.storedGB;
    const s = scenario();
    expect(stored).toBeCloseTo((2 * 60 * DAY * measured.pgOnly.diskBytesPerCheckpoint * s.sizing.postgres.bloatFactor) / 1e9, 9);
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ retention: { days: 120 } }, 2],
      [{ load: { averageCheckpointsPerSec: 4, peakCheckpointsPerSec: 80, peakHourCheckpointsPerSec: 20 } }, 2],
      [{ pgOnly: { keptFraction: 0.5 } }, 0.5],
      [{ pgOnly: { compressionRatio: 0.25 } }, 0.25],
    ];
    for (const [over, factor] of cases) expect(computeCost(scenario(over), measured, prices).pgOnly.postgres.requirement.storedGB).toBeCloseTo(factor * stored, 9);
    const moreBytes = withMeasured({ pgOnly: { diskBytesPerCheckpoint: 2 * measured.pgOnly.diskBytesPerCheckpoint } });
    expect(computeCost(scenario(), moreBytes, prices).pgOnly.postgres.requirement.storedGB).toBeCloseTo(2 * stored, 9);
  });

  it('PostgreSQL-only CPU, IOPS and throughput are linear in the peak rate; CPU linear in measured CPU per checkpoint', () => {
    const req = base.pgOnly.postgres.requirement;
    const s = scenario();
    const p = s.sizing.postgres;
    expect(req.peakCpuVcpu).toBeCloseTo(40 * measured.pgOnly.cpuSecPerCheckpoint! * p.cpuSpeedFactor * p.backgroundCpuFactor, 12);
    const doubled = computeCost(scenario({ load: { peakCheckpointsPerSec: 80 } }), measured, prices).pgOnly.postgres.requirement;
    expect(doubled.peakCpuVcpu).toBeCloseTo(2 * req.peakCpuVcpu, 12);
    expect(doubled.peakIops).toBeCloseTo(2 * req.peakIops, 9);
    expect(doubled.peakThroughputMiBps).toBeCloseTo(2 * req.peakThroughputMiBps, 12);
    expect(doubled.averageCpuVcpu).toBe(req.averageCpuVcpu);
    const cpu2 = withMeasured({ pgOnly: { cpuSecPerCheckpoint: 2 * measured.pgOnly.cpuSecPerCheckpoint! } });
    expect(computeCost(scenario(), cpu2, prices).pgOnly.postgres.requirement.peakCpuVcpu).toBeCloseTo(2 * req.peakCpuVcpu, 12);
  });

  it('the hot set is the checkpoints of window + interval × MEMORY USAGE bytes × compression + per-thread residue', () => {
    const s = scenario();
    const held = checkpointsInWindow(s.tiered.hotWindowHours + s.tiered.migrationIntervalHours, 2, 10);
    const threads = (2 * 60 * DAY) / measured.checkpointsPerThread;
    const expected = held * measured.hot.redisBytesPerCheckpoint + threads * measured.hot.residualBytesPerThread;
    expect(base.tiered.redis!.requirement.datasetBytes).toBeCloseTo(expected, 3);
    const compressed = computeCost(scenario({ tiered: { hotCompressionRatio: 0.5 } }), measured, prices).tiered.redis!.requirement.datasetBytes;
    expect(compressed).toBeCloseTo(held * measured.hot.redisBytesPerCheckpoint * 0.5 + threads * measured.hot.residualBytesPerThread, 3);
    const shortWindow = computeCost(scenario({ tiered: { hotWindowHours: 2 } }), measured, prices).tiered.redis!.load;
    expect(shortWindow.checkpointsHeld).toBeCloseTo(checkpointsInWindow(3, 2, 10), 6);
  });

  it('batch size moves migration commits inversely; kept-cold fraction scales cold storage', () => {
    const commits = base.tiered.postgres.load.writeCommitsPerSec;
    expect(commits).toBeGreaterThan(0);
    expect(computeCost(scenario({ tiered: { batchSize: 1000 } }), measured, prices).tiered.postgres.load.writeCommitsPerSec).toBeCloseTo(commits / 2, 12);
    const stored = base.tiered.postgres.requirement.storedGB;
    const half = computeCost(scenario({ tiered: { keptColdFraction: 0.5 } }), measured, prices).tiered;
    expect(half.postgres.requirement.storedGB).toBeCloseTo(stored / 2, 9);
    expect(half.postgres.load.writeRateCheckpointsPerSec).toBeCloseTo(base.tiered.postgres.load.writeRateCheckpointsPerSec / 2, 9);
    const none = computeCost(scenario({ tiered: { keptColdFraction: 0 } }), measured, prices).tiered;
    expect(none.postgres.requirement.storedGB).toBe(0);
    expect(none.redis!.load.residualBytes).toBe(0);
  });

  it('cold storage excludes what is still hot: stored ∝ (retention − copyAfter)', () => {
    const at = (days: number) => computeCost(scenario({ retention: { days } }), measured, prices).tiered.postgres.requirement.storedGB;
    expect(at(121) / at(61)).toBeCloseTo(120 / 60, 9);
    const early = computeCost(scenario({ tiered: { copyAfterHours: 0 } }), measured, prices).tiered.postgres.requirement.storedGB;
    expect(early / base.tiered.postgres.requirement.storedGB).toBeCloseTo(60 / (60 - 1), 9);
  });

  it('a thread TTL shorter than the copy age means nothing reaches PostgreSQL', () => {
    const r = computeCost(scenario({ retention: { threadTtlDays: 0.5 } }), measured, prices);
    expect(r.tiered.postgres.requirement.storedGB).toBe(0);
    expect(r.tiered.postgres.load.writeRateCheckpointsPerSec).toBe(0);
    expect(r.pgOnly.postgres.requirement.storedGB).toBeCloseTo(base.pgOnly.postgres.requirement.storedGB * (0.5 / 60), 9);
  });

  it('warns and marks tiered infeasible when one migration run cannot copy an interval of checkpoints', () => {
    const r = computeCost(scenario({ load: { averageCheckpointsPerSec: 40, peakCheckpointsPerSec: 80, peakHourCheckpointsPerSec: 60 }, tiered: { batchSize: 10, maxBatchesPerRun: 10 } }), measured, prices);
    expect(r.tiered.feasible).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/migration cannot keep up/);
  });

  it('checkpointsInWindow: a day holds 24·A, the busiest hour Pₕ, a 25 h window 24·A + Pₕ', () => {
    expect(checkpointsInWindow(24, 2, 10)).toBeCloseTo(24 * 2 * HOUR, 9);
    expect(checkpointsInWindow(25, 2, 10)).toBeCloseTo((24 * 2 + 10) * HOUR, 9);
    expect(checkpointsInWindow(1, 2, 10)).toBeCloseTo(10 * HOUR, 9);
    expect(checkpointsInWindow(0.5, 2, 10)).toBeCloseTo(5 * HOUR, 9);
    expect(checkpointsInWindow(12, 2, 10)).toBeCloseTo((10 + (11 * (48 - 10)) / 23) * HOUR, 9);
  });
});

describe('cost model: purity and the card-claim report', () => {
  const s = deepFreeze(resolveScenario(cardClaimInput));
  const m = deepFreeze(structuredClone(measured));
  const p = deepFreeze(structuredClone(prices));

  it('does not mutate its inputs and gives the same result twice', () => {
    expect(computeCost(s, m, p)).toEqual(computeCost(s, m, p));
  });

  it('renders a stable Markdown report for a fixed measurement (snapshot)', () => {
    const result = computeCost(s, m, p);
    const sweep = sweepWriteRate(s, m, p);
    const breakEvens = findBreakEvens(s, m, p, sweep);
    const variants = computeVariants(s, m, p);
    const markdown = renderScenarioReport(result, { chartPath: './card-claim.svg', breakEvens, variants, measurementPath: 'test/cost/fixtures/measurement.json' });
    expect(markdown).toMatchSnapshot();
    const summary = renderSummary([{ result, breakEvens, variants, reportPath: 'cost/out/card-claim.md', chartPath: 'cost/out/card-claim.svg' }]);
    expect(summary).toMatchSnapshot();
  });

  it('reproduces the card: > 90 % saving only with its stated assumptions; the consistent reading reverses it', () => {
    const result = computeCost(s, m, p);
    expect(result.savingsFraction).toBeGreaterThan(0.9);
    const variants = computeVariants(s, m, p);
    const all = variants.find((v) => v.label.startsWith('all of the above'));
    expect(all && all.savingsFraction).toBeLessThan(0);
  });

  it('variants equal costing the merged scenario directly', () => {
    const variants = computeVariants(s, m, p);
    s.sensitivity.forEach((v, i) => {
      const { sensitivity: _x, ...rest } = s;
      const direct = computeCost(resolveScenario(merge(rest as unknown as ScenarioInput, v.set)), m, p);
      expect(variants[i]!.tieredUsd).toBe(direct.tiered.monthlyUsd);
      expect(variants[i]!.pgOnlyUsd).toBe(direct.pgOnly.monthlyUsd);
    });
  });

  it('the chart is deterministic and marks break-evens where the cheaper design flips', () => {
    const low = scenario({ load: { averageCheckpointsPerSec: 0.04, peakCheckpointsPerSec: 2, peakHourCheckpointsPerSec: 0.5 }, chart: { minAverageRate: 0.001, maxAverageRate: 100 } });
    const sweep = sweepWriteRate(low, m, p, 41);
    const breakEvens = findBreakEvens(low, m, p, sweep);
    expect(breakEvens.length).toBeGreaterThan(0);
    for (const b of breakEvens) {
      const at = (f: number) => computeCost(scaleLoad(low, (b.averageCheckpointsPerSec * f) / low.load.averageCheckpointsPerSec), m, p);
      expect(Math.sign(at(0.999).savingsUsd)).not.toBe(Math.sign(at(1.001).savingsUsd));
    }
    const svg = renderChartSvg(sweep, breakEvens, { title: 'test', scenarioRate: 0.04 });
    expect(svg).toBe(renderChartSvg(sweep, breakEvens, { title: 'test', scenarioRate: 0.04 }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('break-even at');
    expect(svg.match(/<path /g)!.length).toBeGreaterThanOrEqual(2);
  });
});

describe('estimateFromLive', () => {
  const s = deepFreeze(scenario());
  const m = deepFreeze(structuredClone(measured));

  it('uses live bytes per checkpoint and live rates, keeps measured CPU/commit figures, mutates nothing', () => {
    const live = deepFreeze({
      redis: { bytes: 3 * measured.hot.redisBytesPerCheckpoint * 1000, checkpoints: 1000 },
      postgres: { totalBytes: 2 * measured.migration.diskBytesPerCheckpoint * 5000, checkpoints: 5000 },
      rates: { averageCheckpointsPerSec: 4, peakCheckpointsPerSec: 30, peakHourCheckpointsPerSec: 12 },
    });
    const { result, replaced } = estimateFromLive(live, prices, { scenario: s, measured: m });
    expect(replaced.map((r) => r.figure)).toEqual(['hot.redisBytesPerCheckpoint', 'migration.diskBytesPerCheckpoint', 'pgOnly.diskBytesPerCheckpoint']);
    const expected = computeCost(
      { ...s, name: `${s.name} (live)`, load: { ...s.load, averageCheckpointsPerSec: 4, peakCheckpointsPerSec: 30, peakHourCheckpointsPerSec: 12 } },
      {
        ...m,
        source: `live figures over ${m.source}`,
        hot: { ...m.hot, redisBytesPerCheckpoint: 3 * m.hot.redisBytesPerCheckpoint },
        migration: { ...m.migration, diskBytesPerCheckpoint: 2 * m.migration.diskBytesPerCheckpoint, heapBytesPerCheckpoint: 2 * m.migration.heapBytesPerCheckpoint, indexBytesPerCheckpoint: 2 * m.migration.indexBytesPerCheckpoint, toastBytesPerCheckpoint: 2 * m.migration.toastBytesPerCheckpoint },
        pgOnly: { ...m.pgOnly, diskBytesPerCheckpoint: 2 * m.pgOnly.diskBytesPerCheckpoint, heapBytesPerCheckpoint: 2 * m.pgOnly.heapBytesPerCheckpoint, indexBytesPerCheckpoint: 2 * m.pgOnly.indexBytesPerCheckpoint, toastBytesPerCheckpoint: 2 * m.pgOnly.toastBytesPerCheckpoint },
      },
      prices,
    );
    expect(result.pgOnly.monthlyUsd).toBeCloseTo(expected.pgOnly.monthlyUsd, 9);
    expect(result.tiered.monthlyUsd).toBeCloseTo(expected.tiered.monthlyUsd, 9);
    expect(result.tiered.postgres.load.cpuSecPerCheckpoint).toBe(m.migration.cpuSecPerCheckpoint);
  });

  it('keeps the measured bytes when the live stores are empty', () => {
    const { result, replaced } = estimateFromLive(
      { redis: { bytes: 0, checkpoints: 0 }, postgres: { totalBytes: 0, checkpoints: 0 }, rates: { averageCheckpointsPerSec: 2, peakCheckpointsPerSec: 40, peakHourCheckpointsPerSec: 10 } },
      prices,
      { scenario: s, measured: m },
    );
    expect(replaced).toEqual([]);
    expect(result.tiered.monthlyUsd).toBeCloseTo(computeCost(s, m, prices).tiered.monthlyUsd, 9);
  });
});
