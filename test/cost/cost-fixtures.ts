/**
 * Fixed inputs for the cost-model tests: a real measurement (captured by `npm run cost` on the
 * development machine; its `levers` section, the lever runs, comes from a later run of the same
 * profile on the same machine), a frozen copy of the price file and of the card-claim scenario, so
 * that editing `cost/prices/` or `cost/scenarios/` does not move the snapshot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveMeasuredInputs, type MeasuredInputs, type RawMeasurement } from '../../src/cost/measurement.js';
import { parsePriceSheet, type PriceSheet } from '../../src/cost/price-sheet.js';
import { merge, resolveScenario, type Scenario, type ScenarioInput } from '../../src/cost/scenario.js';

const dir = join(process.cwd(), 'test/cost/fixtures');

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const rawMeasurement: RawMeasurement = readJson(join(dir, 'measurement.json'));
export const measured: MeasuredInputs = deriveMeasuredInputs(rawMeasurement);
export const prices: PriceSheet = parsePriceSheet(readJson(join(dir, 'prices.json')));
export const cardClaimInput: ScenarioInput = readJson(join(dir, 'scenario-card-claim.json'));

/** A mid-sized scenario (storage above the gp3 minimum, below the 400 GB step) plus overrides. */
export function scenario(over: Record<string, unknown> = {}): Scenario {
  const base: ScenarioInput = {
    name: 'test',
    load: { averageCheckpointsPerSec: 2, peakCheckpointsPerSec: 40, peakHourCheckpointsPerSec: 10 },
    retention: { days: 60 },
    profile: rawMeasurement.profile,
  };
  return resolveScenario(merge(base, over));
}

/** A deep copy of the price sheet changed by `mutate`. */
export function withPrices(mutate: (p: PriceSheet) => void): PriceSheet {
  const copy = structuredClone(prices);
  mutate(copy);
  return copy;
}

/** The measured inputs with some figures replaced. */
export function withMeasured(over: Record<string, unknown>): MeasuredInputs {
  return merge(measured, over);
}

/** Freezes a value deeply (the model must not mutate its inputs). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
