import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { computeCost } from '../../src/cost/cost-model.js';
import { clientServerUsec, deriveMeasuredInputs, profileHash, DEFAULT_PROFILE, type RawMeasurement } from '../../src/cost/measurement.js';
import { InvalidPriceSheetError, parsePriceSheet } from '../../src/cost/price-sheet.js';
import { InvalidScenarioError, resolveScenario, type ScenarioInput } from '../../src/cost/scenario.js';
import { measured, rawMeasurement, readJson } from './cost-fixtures.js';

const root = process.cwd();

describe('price files', () => {
  const files = readdirSync(join(root, 'cost/prices')).filter((f) => f.endsWith('.json'));

  it.each(files)('%s parses, and every price carries a source, a date and a confidence tag', (file) => {
    const sheet = parsePriceSheet(readJson(join(root, 'cost/prices', file)));
    const entries: Array<{ confidence: string; source: string; date: string }> = [];
    const visit = (v: unknown) => {
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if (typeof o.usd === 'number') entries.push(o as never);
      else Object.values(o).forEach(visit);
    };
    visit(sheet);
    expect(entries.length).toBeGreaterThan(40);
    for (const e of entries) {
      expect(['A', 'B', 'C', 'U']).toContain(e.confidence);
      expect(e.source.length).toBeGreaterThan(0);
      expect(e.date.length).toBeGreaterThan(0);
    }
  });

  it('lists every problem of a broken price file at once', () => {
    const broken = structuredClone(readJson<Record<string, any>>(join(root, 'cost/prices/aws-us-east-1.json')));
    broken.rds.instances[0].singleAz.usd = -1;
    broken.rds.instances[1].multiAz.confidence = 'X';
    delete broken.elasticache.serverless.valkey.ecpu;
    try {
      parsePriceSheet(broken);
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPriceSheetError);
      expect((error as InvalidPriceSheetError).problems).toEqual([
        'rds.instances[0].singleAz.usd must be a non-negative number',
        'rds.instances[1].multiAz.confidence must be one of A, B, C, U',
        'elasticache.serverless.valkey.ecpu: missing price entry { usd, per, source, date, confidence }',
      ]);
    }
  });
});

describe('scenario files', () => {
  const files = readdirSync(join(root, 'cost/scenarios')).filter((f) => f.endsWith('.json'));

  it('include the card claim and scenarios where tiering costs more', () => {
    expect(files).toEqual(expect.arrayContaining(['card-claim.json', 'low-rate.json', 'keep-everything-ha.json']));
  });

  it.each(files)('%s resolves, measures the default workload and costs without warnings about the profile', (file) => {
    const s = resolveScenario(readJson<ScenarioInput>(join(root, 'cost/scenarios', file)));
    expect(s.name).toBe(file.replace(/\.json$/, ''));
    expect(profileHash(s.profile)).toBe(rawMeasurement.profileHash);
    const r = computeCost(s, measured, parsePriceSheet(readJson(join(root, 'cost/prices', `${s.prices}.json`))));
    expect(r.warnings.join('\n')).not.toMatch(/workload profile/);
  });

  it('card-claim saves > 90 %; low-rate and keep-everything-ha cost more with tiering', () => {
    const cost = (name: string) => computeCost(resolveScenario(readJson(join(root, 'cost/scenarios', `${name}.json`))), measured, parsePriceSheet(readJson(join(root, 'cost/prices/aws-us-east-1.json'))));
    expect(cost('card-claim').savingsFraction).toBeGreaterThan(0.9);
    expect(cost('low-rate').savingsUsd).toBeLessThan(0);
    expect(cost('keep-everything-ha').savingsUsd).toBeLessThan(0);
  });

  it('applies defaults in one place: copy age = hot window, busiest hour = peak', () => {
    const s = resolveScenario({ name: 'x', load: { averageCheckpointsPerSec: 1, peakCheckpointsPerSec: 5 }, tiered: { hotWindowHours: 6 } });
    expect(s.tiered.copyAfterHours).toBe(6);
    expect(s.load.peakHourCheckpointsPerSec).toBe(5);
    expect(s.profile).toEqual(DEFAULT_PROFILE);
    expect(s.tiered.batchSize).toBe(500);
  });

  it('lists every problem of a broken scenario at once', () => {
    try {
      resolveScenario({ name: 'bad', load: { averageCheckpointsPerSec: 10, peakCheckpointsPerSec: 5 }, tiered: { hotWindowHours: 1, copyAfterHours: 2, keptColdFraction: 2, redis: { engine: 'memcached' as never } } });
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidScenarioError);
      const problems = (error as InvalidScenarioError).problems.join('\n');
      expect(problems).toMatch(/peakCheckpointsPerSec must be >= load.averageCheckpointsPerSec/);
      expect(problems).toMatch(/copyAfterHours must not exceed/);
      expect(problems).toMatch(/keptColdFraction must be between 0 and 1/);
      expect(problems).toMatch(/engine must be "redis-oss" or "valkey"/);
    }
  });
});

describe('deriveMeasuredInputs', () => {
  it('divides by the checkpoint count', () => {
    const n = rawMeasurement.workload.checkpoints;
    const tables = Object.values(rawMeasurement.pgOnly.tables).reduce((a, t) => a + t.totalBytes, 0);
    expect(measured.pgOnly.diskBytesPerCheckpoint).toBe(tables / n);
    expect(measured.hot.redisBytesPerCheckpoint).toBe(rawMeasurement.tieredPuts.footprint.bytes / n);
    expect(measured.pgOnly.writeCommitsPerCheckpoint).toBe(rawMeasurement.pgOnly.pg.writeCommits! / n);
    expect(measured.migration.writeCommitsPerCheckpoint).toBe(rawMeasurement.migration.pg.writeCommits! / n);
  });

  it('counts server µs only for commands the client sent, prorated by client ÷ server calls (scripts run commands too)', () => {
    const usec = clientServerUsec({
      durationSec: 1,
      clientCommands: { evalsha: 10, zadd: 5 },
      clientArgBytes: 0,
      serverCommands: { evalsha: { calls: 10, usec: 1000 }, zadd: { calls: 20, usec: 400 }, hset: { calls: 30, usec: 300 } },
      usedMemoryDelta: 0,
    });
    expect(usec).toBe(1000 + 400 * (5 / 20));
  });

  it('does not trust server-side Redis figures from a shared server', () => {
    const shared: RawMeasurement = { ...rawMeasurement, environment: { ...rawMeasurement.environment, redisServer: 'shared', notes: [] } };
    const m = deriveMeasuredInputs(shared);
    expect(m.hot.serverUsecPerCheckpoint).toBeNull();
    expect(m.notes.join()).toMatch(/shared server/);
  });

  it('falls back to counted commits and raw WAL when pg_walinspect was unavailable, and says so', () => {
    const pgOnly = { ...rawMeasurement.pgOnly, pg: { ...rawMeasurement.pgOnly.pg, writeCommits: null, walBytes: null } };
    const m = deriveMeasuredInputs({ ...rawMeasurement, pgOnly });
    const w = rawMeasurement.workload;
    expect(m.pgOnly.writeCommitsPerCheckpoint).toBe((w.checkpoints + w.putWritesCalls) / w.checkpoints);
    expect(m.pgOnly.walBytesPerCheckpoint).toBe(rawMeasurement.pgOnly.pg.walBytesRaw / w.checkpoints);
    expect(m.notes.join('\n')).toMatch(/pg_walinspect unavailable/);
  });
});
