import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import { ColdTierStore } from '../../cold-tier/cold-tier.store.js';
import { estimateFromLive, type LiveFigures } from '../../cost/cost-model.js';
import { deriveMeasuredInputs, type RawMeasurement } from '../../cost/measurement.js';
import { parsePriceSheet } from '../../cost/price-sheet.js';
import { resolveScenario, type ScenarioInput } from '../../cost/scenario.js';
import { HotTierStore } from '../../hot-tier/hot-tier.store.js';
import { TieredCheckpointSaver } from '../../tiering/tiered-checkpoint.saver.js';
import { PrometheusCheckpointMetrics } from '../metrics/prometheus-metrics.js';

/** The package root (holds `cost/`), from src/ or dist/ alike. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/**
 * The cost model of `npm run cost` over live figures: what Redis holds now (`used_memory` over
 * the hot checkpoints), what PostgreSQL holds (table + index + TOAST over the cold
 * checkpoints), and the write rate. CPU, commits and WAL per checkpoint stay as measured in
 * `cost/reference/measurement.json`; prices from `cost/prices/`.
 *
 * The write rate is the one this process observed when it serves the writes itself. A service
 * that only migrates (the writers are other processes) sees none: then the rate is what Redis
 * holds over the hot window (every checkpoint stays hot that long), with the scenario's burst
 * shape; with nothing hot either, the scenario's own load. `rateSource` says which.
 */
@Injectable()
export class LiveCostService {
  private readonly root = packageRoot();

  constructor(
    @Inject(HotTierStore) private readonly hot: HotTierStore,
    @Inject(ColdTierStore) private readonly cold: ColdTierStore,
    @Inject(PrometheusCheckpointMetrics) private readonly metrics: PrometheusCheckpointMetrics,
    @Inject(TieredCheckpointSaver) private readonly saver: TieredCheckpointSaver,
  ) {}

  private rates(scenario: ReturnType<typeof resolveScenario>, hotCheckpoints: number): { rates: LiveFigures['rates']; rateSource: string } {
    const observed = this.metrics.putRate.rates();
    if (observed.averageCheckpointsPerSec > 0) return { rates: observed, rateSource: 'writes observed by this process' };
    const { averageCheckpointsPerSec: avg, peakCheckpointsPerSec: peak, peakHourCheckpointsPerSec: peakHour } = scenario.load;
    const windowSec = this.saver.options.hotWindowMs / 1000;
    if (hotCheckpoints > 0 && windowSec > 0) {
      const average = hotCheckpoints / windowSec;
      return {
        rates: { averageCheckpointsPerSec: average, peakCheckpointsPerSec: average * (peak / avg), peakHourCheckpointsPerSec: average * (peakHour / avg) },
        rateSource: `checkpoints in Redis over the ${windowSec / 3600} h hot window (burst shape of scenario ${scenario.name})`,
      };
    }
    return { rates: { averageCheckpointsPerSec: avg, peakCheckpointsPerSec: peak, peakHourCheckpointsPerSec: peakHour }, rateSource: `scenario ${scenario.name} (no writes seen, nothing hot)` };
  }

  /** Whether `cost/scenarios/<name>.json` exists (names are plain, no paths). */
  hasScenario(name: string): boolean {
    return /^[a-z0-9-]+$/.test(name) && existsSync(join(this.root, 'cost/scenarios', `${name}.json`));
  }

  async estimate(scenarioName = 'card-consistent') {
    const scenario = resolveScenario(readJson(join(this.root, 'cost/scenarios', `${scenarioName}.json`)) as ScenarioInput);
    const prices = parsePriceSheet(readJson(join(this.root, 'cost/prices', `${scenario.prices}.json`)));
    const measured = deriveMeasuredInputs(readJson(join(this.root, 'cost/reference/measurement.json')) as RawMeasurement);
    const [hot, coldStats] = await Promise.all([this.hot.hotFootprint(), this.cold.stats()]);
    const { rates, rateSource } = this.rates(scenario, hot.checkpoints);
    const live: LiveFigures = {
      redis: { bytes: hot.usedMemoryBytes, checkpoints: hot.checkpoints },
      postgres: { totalBytes: Object.values(coldStats.tables).reduce((n, t) => n + t.totalBytes, 0), checkpoints: coldStats.checkpoints },
      rates,
    };
    const { result, replaced } = estimateFromLive(live, prices, { scenario, measured });
    return {
      scenario: scenario.name,
      live,
      rateSource,
      replacedFigures: replaced,
      monthlyUsd: { postgresOnly: result.pgOnly.monthlyUsd, tiered: result.tiered.monthlyUsd },
      verdict: result.verdict,
      lines: [...result.pgOnly.lines, ...result.tiered.lines].map((l) => ({ design: l.design, item: l.item, quantity: l.quantity, unit: l.unit, unitUsd: l.price.usd, monthlyUsd: l.monthlyUsd, basis: l.basis })),
      warnings: result.warnings,
    };
  }
}
