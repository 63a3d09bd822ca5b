/**
 * `npm run cost [-- options]`: measures the workload of every scenario's profile (or reads a
 * previous measurement), costs both designs per scenario and writes a Markdown + JSON report and
 * an SVG chart per scenario, plus a README section, to `cost/out/` (or `--out`).
 *
 * A dev tool, not library code: it imports dev dependencies (`@langchain/langgraph`,
 * `@langchain/langgraph-checkpoint-postgres`), so it lives outside `src/`. The model it drives
 * (`src/cost/`) is pure and has no dependencies.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  computeCost,
  computeVariants,
  deriveMeasuredInputs,
  findBreakEvens,
  fmtNum,
  fmtUsd,
  parsePriceSheet,
  profileHash,
  renderChartSvg,
  renderScenarioReport,
  renderSummary,
  resolveScenario,
  sweepWriteRate,
  type CostResult,
  type MeasuredInputs,
  type PriceSheet,
  type RawMeasurement,
  type Scenario,
  type ScenarioInput,
  type SummaryEntry,
} from '../../src/cost/index.js';
import { formatUnitPrice } from '../../src/cost/price-sheet.js';
import { leversUsed } from '../../src/cost/scenario.js';
import { DEFAULT_LEVER_PLAN, leverRuns, type LeverPlan } from './levers.js';
import { isRawMeasurement, measureProfile } from './measure.js';
import { createProgress } from './progress.js';
import { PrivateRedis } from './redis-probe.js';

const HELP = `npm run cost [-- options]

  --scenario <file>      scenario JSON (repeatable; default: every cost/scenarios/*.json)
  --measurement <file>   use this measurement JSON instead of measuring (e.g. cost/reference/measurement.json)
  --reuse                reuse <out>/measurements/<profile>-<hash>.json when it exists
  --out <dir>            output directory (default cost/out)
  --redis <mode>         private (default when redis-server is installed: a throw-away server) | shared
  --redis-url <url>      shared Redis (default $REDIS_URL or redis://127.0.0.1:6379)
  --database-url <url>   PostgreSQL server to measure on; a throw-away database is created and dropped
                         (default $DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test)
  --skip-levers          measure without the lever runs (phase E); scenarios then fall back to their assumed lever figures
  --lever-threads <n>    threads of the lever workload (default 24; the profile's other fields are kept)
  --quiet                no progress output
`;

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

function designSummary(r: CostResult): string[] {
  const out: string[] = [];
  for (const d of [r.pgOnly, r.tiered]) {
    out.push(`  ${d.label.padEnd(44)} ${fmtUsd(d.monthlyUsd).padStart(10)}/month`);
    for (const l of d.lines) {
      if (l.monthlyUsd === 0 && l.quantity === 0) continue;
      out.push(`      ${l.item.padEnd(40)} ${`${fmtNum(l.quantity)} ${l.unit}`.padStart(24)} × $${formatUnitPrice(l.price.usd)} (${l.price.confidence}) = ${fmtUsd(l.monthlyUsd)}`);
    }
  }
  out.push(`  → ${r.verdict}`);
  for (const l of r.levers) {
    if (!l.used && !l.alternative) continue;
    const alt = l.alternative ? ` | ${l.alternative.label}: tiered ${fmtUsd(l.alternative.tieredUsd)}, PostgreSQL-only ${fmtUsd(l.alternative.pgOnlyUsd)}` : '';
    out.push(`  lever ${l.lever} = ${l.setting}${l.used ? '' : ' (not used)'} [${l.source}]: ${l.feeds}`, `      changes ${l.changes}${alt}`);
  }
  return out;
}

/** The measured lever figures, once (each scenario's lines show what they change there). */
function leverFigures(m: MeasuredInputs): string[] {
  const L = m.levers;
  if (!L) return ['  levers: not measured (--skip-levers or an old measurement): scenarios use their assumed lever inputs'];
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? '?' : `${fmtNum(x)} ms`);
  const out = [`  levers (${L.threads} threads, ${L.checkpoints} checkpoints, each ÷ baseline):`];
  if (L.compression) {
    const c = L.compression;
    out.push(
      `    coldCompression gzip: cold bytes ${fmtNum(c.bytesPerCheckpoint.none)} → ${fmtNum(c.bytesPerCheckpoint.gzip)} B per checkpoint (× ${fmtNum(c.bytesRatio)}), WAL × ${fmtNum(c.walRatio)}; cold getTuple p50 ${ms(c.coldRead.none?.p50Ms)} → ${ms(c.coldRead.gzip?.p50Ms)}, client CPU ${ms(c.coldRead.none?.clientCpuMsPerRead)} → ${ms(c.coldRead.gzip?.clientCpuMsPerRead)} per read`,
    );
  }
  for (const x of L.retention) {
    out.push(`    retention ${x.key}: keeps ${fmtNum(x.keptFraction)} of checkpoints, ${fmtNum(x.keptBytesFraction)} of cold bytes (${fmtNum(x.coldBytesPerThread.kept)} of ${fmtNum(x.coldBytesPerThread.all)} B per thread); copy + prune WAL × ${fmtNum(x.walRatio)}, CPU × ${x.cpuRatio === null ? '?' : fmtNum(x.cpuRatio)}, + ${fmtNum(x.extraCommitsPerCheckpoint)} commits per checkpoint`);
  }
  for (const p of L.batch) out.push(`    migrationBatchSize ${p.batchSize}: ${fmtNum(p.writeCommitsPerCheckpoint)} commits, ${fmtNum(p.walBytesPerCheckpoint)} B WAL, ${p.cpuSecPerCheckpoint === null ? '?' : fmtNum(p.cpuSecPerCheckpoint * 1000)} ms backend CPU per checkpoint`);
  if (L.hot) out.push(`    copy/evict split: ${fmtNum(L.hot.bytesPerCheckpointUncopied)} B per hot checkpoint, ${fmtNum(L.hot.bytesPerCheckpointCopied)} B once copied (× ${fmtNum(L.hot.copiedRatio)}), ${fmtNum(L.hot.residualBytesPerThread)} B per thread after eviction`);
  if (L.threadTtl) {
    const t = L.threadTtl;
    out.push(`    threadTtl: ${t.threadsExpired}/${t.threads} threads expired, ${t.coldRowsBefore - t.coldRowsAfter}/${t.coldRowsBefore} cold rows removed, ${fmtNum(t.coldBytesFreedPerThread)} B freed per thread in PostgreSQL, ${fmtNum(t.redisBytesFreedPerThread)} B in Redis, ${fmtNum(t.tombstoneBytesPerThread)} B tombstone left`);
  }
  return out;
}

/** Lever runs a plan asks for that a stored measurement does not have. */
function missingLeverRuns(raw: RawMeasurement, plan: LeverPlan): string[] {
  const have = new Set((raw.levers?.runs ?? []).map((r) => r.label));
  return leverRuns(raw.profile, plan)
    .map((r) => r.label)
    .filter((l) => !have.has(l));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      measurement: { type: 'string' },
      reuse: { type: 'boolean', default: false },
      out: { type: 'string', default: 'cost/out' },
      redis: { type: 'string' },
      'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test' },
      quiet: { type: 'boolean', default: false },
      'skip-levers': { type: 'boolean', default: false },
      'lever-threads': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const root = process.cwd();
  const outDir = resolve(root, values.out!);
  const progress = createProgress({ quiet: values.quiet });
  const scenarioFiles = values.scenario?.length
    ? values.scenario.map((f) => resolve(root, f))
    : readdirSync(join(root, 'cost/scenarios'))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(root, 'cost/scenarios', f));

  // Validate every input before measuring anything.
  const problems: string[] = [];
  const scenarios: Scenario[] = [];
  for (const file of scenarioFiles) {
    try {
      scenarios.push(resolveScenario(readJson(file) as ScenarioInput));
    } catch (error) {
      problems.push(`${relative(root, file)}: ${(error as Error).message}`);
    }
  }
  const sheets = new Map<string, PriceSheet>();
  for (const id of new Set(scenarios.map((s) => s.prices))) {
    try {
      sheets.set(id, parsePriceSheet(readJson(join(root, 'cost/prices', `${id}.json`))));
    } catch (error) {
      problems.push(`cost/prices/${id}.json: ${(error as Error).message}`);
    }
  }
  let given: RawMeasurement | undefined;
  if (values.measurement) {
    const raw = readJson(resolve(root, values.measurement));
    if (!isRawMeasurement(raw)) problems.push(`${values.measurement}: not a cost measurement file (schema tiered-checkpointer/cost-measurement@1)`);
    else given = raw;
  }
  const leverThreads = values['lever-threads'] === undefined ? DEFAULT_LEVER_PLAN.threads : Number(values['lever-threads']);
  if (!Number.isSafeInteger(leverThreads) || leverThreads < 1) problems.push(`--lever-threads must be a positive integer, got ${values['lever-threads']}`);
  if (problems.length > 0) throw new Error(problems.join('\n'));

  // One measurement per distinct workload profile.
  const measurements = new Map<string, { raw: RawMeasurement; path: string }>();
  mkdirSync(outDir, { recursive: true });
  const redisMode = (values.redis ?? (PrivateRedis.available() ? 'private' : 'shared')) as 'private' | 'shared';
  if (redisMode !== 'private' && redisMode !== 'shared') throw new Error(`--redis must be private or shared, got ${redisMode}`);
  for (const s of scenarios) {
    const hash = profileHash(s.profile);
    if (measurements.has(hash)) continue;
    if (given) {
      measurements.set(hash, { raw: given, path: relative(root, resolve(root, values.measurement!)) });
      continue;
    }
    const path = join(outDir, 'measurements', `${s.profile.name}-${hash}.json`);
    const sameProfile = scenarios.filter((x) => profileHash(x.profile) === hash);
    const plan: LeverPlan | false = values['skip-levers']
      ? false
      : {
          ...DEFAULT_LEVER_PLAN,
          threads: leverThreads,
          keepLast: [...new Set([...DEFAULT_LEVER_PLAN.keepLast, ...sameProfile.flatMap((x) => leversUsed(x).keepLast)])].sort((a, b) => a - b),
          batchSizes: [...new Set([...DEFAULT_LEVER_PLAN.batchSizes, ...sameProfile.flatMap((x) => leversUsed(x).batchSizes)])].sort((a, b) => a - b),
        };
    if (values.reuse && existsSync(path)) {
      const raw = readJson(path);
      const missing = isRawMeasurement(raw) && plan ? missingLeverRuns(raw, plan) : [];
      if (missing.length > 0) progress.info(`not reusing ${relative(root, path)}: it lacks the lever runs ${missing.join(', ')}`);
      if (isRawMeasurement(raw) && missing.length === 0) {
        progress.info(`reusing ${relative(root, path)} (measured ${raw.measuredAt})`);
        measurements.set(hash, { raw, path: relative(root, path) });
        continue;
      }
    }
    progress.info(`measuring workload "${s.profile.name}" (${hash}) for ${scenarios.filter((x) => profileHash(x.profile) === hash).map((x) => x.name).join(', ')}`);
    const raw = await measureProfile(s.profile, { databaseUrl: values['database-url']!, redis: redisMode, redisUrl: values['redis-url']!, progress, levers: plan });
    mkdirSync(join(outDir, 'measurements'), { recursive: true });
    writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`);
    progress.info(`measurement written to ${relative(root, path)}`);
    measurements.set(hash, { raw, path: relative(root, path) });
  }

  // Cost every scenario.
  const entries: SummaryEntry[] = [];
  const lines: string[] = [];
  for (const s of scenarios) {
    const { raw, path } = measurements.get(profileHash(s.profile))!;
    const measured = deriveMeasuredInputs(raw);
    const prices = sheets.get(s.prices)!;
    const result = computeCost(s, measured, prices);
    const sweep = sweepWriteRate(s, measured, prices);
    const breakEvens = findBreakEvens(s, measured, prices, sweep);
    const variants = computeVariants(s, measured, prices);
    const mdPath = join(outDir, `${s.name}.md`);
    const svgPath = join(outDir, `${s.name}.svg`);
    writeFileSync(mdPath, renderScenarioReport(result, { chartPath: `./${basename(svgPath)}`, breakEvens, variants, measurementPath: path }));
    writeFileSync(join(outDir, `${s.name}.json`), `${JSON.stringify({ ...result, breakEvens, variants, sweep, measurementPath: path }, null, 2)}\n`);
    writeFileSync(svgPath, renderChartSvg(sweep, breakEvens, { title: `${s.name}: monthly cost vs write rate`, scenarioRate: s.load.averageCheckpointsPerSec }));
    entries.push({ result, breakEvens, variants, reportPath: relative(root, mdPath), chartPath: relative(root, svgPath) });
    lines.push('', `${s.name} — ${s.title}`, ...designSummary(result), `  report ${relative(root, mdPath)}, chart ${relative(root, svgPath)}`);
    if (breakEvens.length > 0) lines.push(`  break-even: ${breakEvens.map((b) => `${fmtNum(b.averageCheckpointsPerSec)} checkpoints/s (${b.direction === 'tiered-becomes-cheaper' ? 'tiered cheaper above' : 'tiered dearer above'}${b.feasible ? '' : '; beyond the price file, not real'})`).join(', ')}`);
    if (result.warnings.length > 0) lines.push(...result.warnings.map((w) => `  ! ${w}`));
  }
  const summaryPath = join(outDir, 'README-section.md');
  const measurementPaths = [...new Set([...measurements.values()].map((m) => m.path))];
  writeFileSync(summaryPath, renderSummary(entries, { measurementPath: measurementPaths.join(', ') }));
  const first = entries[0]?.result.measured;
  if (first) {
    lines.unshift(
      `Measured per checkpoint (${first.source}):`,
      `  PostgresSaver: ${fmtNum(first.pgOnly.diskBytesPerCheckpoint)} B on disk, ${fmtNum(first.pgOnly.writeCommitsPerCheckpoint)} write commits, ${fmtNum(first.pgOnly.rowsPerCheckpoint)} rows, ${fmtNum(first.pgOnly.walBytesPerCheckpoint)} B WAL, ${first.pgOnly.cpuSecPerCheckpoint === null ? '? ' : fmtNum(first.pgOnly.cpuSecPerCheckpoint * 1000)} ms backend CPU`,
      `  tiered, hot:   ${fmtNum(first.hot.redisBytesPerCheckpoint)} B in Redis (MEMORY USAGE; used_memory delta ${fmtNum(first.hot.usedMemoryBytesPerCheckpoint)} B), ${fmtNum(first.hot.commandsPerCheckpoint)} Redis commands, ${first.hot.serverUsecPerCheckpoint === null ? '?' : fmtNum(first.hot.serverUsecPerCheckpoint)} µs Redis, ${fmtNum(first.hot.pgTransactionsDuringPuts)} PostgreSQL transactions in total`,
      `  tiered, migration (batch ${first.migration.batchSize}): ${fmtNum(first.migration.diskBytesPerCheckpoint)} B on disk, ${fmtNum(first.migration.writeCommitsPerCheckpoint)} write commits, ${fmtNum(first.migration.rowsPerCheckpoint)} rows, ${fmtNum(first.migration.walBytesPerCheckpoint)} B WAL, ${first.migration.cpuSecPerCheckpoint === null ? '?' : fmtNum(first.migration.cpuSecPerCheckpoint * 1000)} ms backend CPU`,
      ...leverFigures(first),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\nREADME section: ${relative(root, summaryPath)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run cost failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

