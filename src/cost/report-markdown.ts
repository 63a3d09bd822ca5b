/**
 * Markdown output: one report per scenario ({@link renderScenarioReport}) and a summary across
 * scenarios that can go into the README ({@link renderSummary}). Pure and deterministic: the
 * same {@link CostResult} always renders the same text (the jest snapshot relies on it).
 */
import type { BreakEven, CostLine, CostResult, DesignCost, LeverLine, VariantResult } from './cost-model.js';
import { fmtBytes, fmtNum, fmtPct, fmtUsd } from './format.js';
import { formatUnitPrice } from './price-sheet.js';
import { DEFAULT_SIZING, SIZING_CONFIDENCE, type SizingParameters } from './sizing-model.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function componentTotal(d: DesignCost, component: 'postgres' | 'redis'): number {
  return d.lines.filter((l) => l.component === component).reduce((s, l) => s + l.monthlyUsd, 0);
}

function linesTable(lines: CostLine[]): string[] {
  const out = [row(['item', 'quantity', 'unit price', 'conf.', 'source (date)', '$/month', 'how the quantity was obtained']), '|---|---:|---:|:-:|---|---:|---|'];
  for (const l of lines) {
    out.push(row([l.item, `${fmtNum(l.quantity)} ${l.unit}`, `$${formatUnitPrice(l.price.usd)}/${l.price.per}`, l.price.confidence, `${l.price.source} (${l.price.date})`, fmtUsd(l.monthlyUsd), l.basis]));
  }
  return out;
}

function flatten(prefix: string, v: unknown, out: Array<[string, unknown]>): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  else out.push([prefix, v]);
}

function sizingRows(sizing: SizingParameters): string[] {
  const actual: Array<[string, unknown]> = [];
  const defaults: Array<[string, unknown]> = [];
  flatten('', sizing, actual);
  flatten('', DEFAULT_SIZING, defaults);
  const def = new Map(defaults);
  return actual.map(([k, v]) => row([`\`${k}\``, String(v), v === def.get(k) ? 'default' : `**scenario** (default ${String(def.get(k))})`, SIZING_CONFIDENCE[k] ?? 'U']));
}

function breakEvenText(b: BreakEven): string {
  return `at ≈ ${fmtNum(b.averageCheckpointsPerSec)} checkpoints/s average (${fmtNum(b.averageCheckpointsPerSec * 86400)} per day) ${b.direction === 'tiered-becomes-cheaper' ? 'tiered becomes cheaper' : 'tiered becomes dearer'} (${fmtUsd(b.monthlyUsd)}/month there)${b.feasible ? '' : ' — not a real crossing: a design needs more than the price file offers there'}`;
}

/** Options of {@link renderScenarioReport}. */
export interface ReportOptions {
  /** Path of the chart relative to the report, for the image link. */
  chartPath?: string;
  breakEvens?: BreakEven[];
  /** Path of the measurement file the figures came from (printed). */
  measurementPath?: string;
  /** Results of the scenario's sensitivity variants. */
  variants?: VariantResult[];
}

function variantsTable(r: CostResult, variants: VariantResult[]): string[] {
  return [
    row(['variant', 'PostgreSQL only', 'tiered', 'tiered costs']),
    '|---|---:|---:|---|',
    row(['**as stated**', fmtUsd(r.pgOnly.monthlyUsd), fmtUsd(r.tiered.monthlyUsd), savingsText(r.savingsFraction)]),
    ...variants.map((v) => row([v.label, fmtUsd(v.pgOnlyUsd), fmtUsd(v.tieredUsd), savingsText(v.savingsFraction)])),
  ];
}

function alternativeText(r: CostResult, l: LeverLine): string {
  if (!l.alternative) return '–';
  const a = l.alternative;
  const d = a.tieredUsd - r.tiered.monthlyUsd;
  const dp = a.pgOnlyUsd - r.pgOnly.monthlyUsd;
  const signed = (x: number) => (Math.abs(x) < 0.005 ? '±$0' : `${x > 0 ? '+' : '−'}${fmtUsd(Math.abs(x))}`);
  return `${a.label}: tiered ${fmtUsd(a.tieredUsd)} (${signed(d)})${Math.abs(dp) >= 0.005 ? `, PostgreSQL-only ${fmtUsd(a.pgOnlyUsd)} (${signed(dp)})` : ''}`;
}

/** The product levers: setting here, measured figure, model input it feeds, price line it changes. */
function leverTable(r: CostResult): string[] {
  return [
    row(['lever (product option)', 'this scenario', 'measured (lever runs, same workload)', 'feeds the model as', 'changes (price line)', 'with the lever switched']),
    '|---|---|---|---|---|---|',
    ...r.levers.map((l) => row([`\`${l.lever}\``, `${l.setting}${l.used ? '' : ' (not used)'}`, l.measured, l.feeds, l.changes, alternativeText(r, l)])),
  ];
}

function savingsText(fraction: number): string {
  return fraction >= 0 ? `${fmtPct(fraction)} less` : `${fmtPct(-fraction)} more`;
}

/** The full Markdown report of one scenario. */
export function renderScenarioReport(r: CostResult, options: ReportOptions = {}): string {
  const s = r.scenario;
  const m = r.measured;
  const out: string[] = [];
  out.push(`# Cost: ${s.title} (\`${s.name}\`)`, '');
  if (s.description) out.push(s.description, '');
  out.push(`**Verdict: ${r.verdict}.**`, '');
  out.push(
    `Prices: ${r.prices.title}, compiled ${r.prices.compiled} (\`cost/prices/${r.prices.id}.json\`; list prices, ${r.prices.hoursPerMonth} h/month; confidence tags A/B/C/U as in \`research/price-sheet.md\`).`,
    `Measured inputs: ${m.source}, workload \`${m.profileName}\` (${m.profileHash}), ${fmtNum(m.checkpointsMeasured)} checkpoints${options.measurementPath ? `, from \`${options.measurementPath}\`` : ''}.`,
    '',
  );
  if (options.chartPath) out.push(`![Monthly cost against write rate](${options.chartPath})`, '');

  out.push('## Totals', '', row(['', r.pgOnly.label, r.tiered.label]), '|---|---:|---:|');
  out.push(row(['Redis (ElastiCache)', '–', fmtUsd(componentTotal(r.tiered, 'redis'))]));
  out.push(row(['PostgreSQL (RDS)', fmtUsd(componentTotal(r.pgOnly, 'postgres')), fmtUsd(componentTotal(r.tiered, 'postgres'))]));
  out.push(row(['**total per month**', `**${fmtUsd(r.pgOnly.monthlyUsd)}**`, `**${fmtUsd(r.tiered.monthlyUsd)}**`]));
  out.push(row(['difference', '', `${r.savingsUsd >= 0 ? 'saves' : 'costs'} ${fmtUsd(Math.abs(r.savingsUsd))} (${fmtPct(Math.abs(r.savingsFraction))} ${r.savingsUsd >= 0 ? 'less' : 'more'})`]), '');

  out.push('## Scenario', '', row(['input', 'value']), '|---|---|');
  out.push(row(['write rate: average / peak (sustained minutes) / busiest hour', `${fmtNum(s.load.averageCheckpointsPerSec)} / ${fmtNum(s.load.peakCheckpointsPerSec)} / ${fmtNum(s.load.peakHourCheckpointsPerSec)} checkpoints/s`]));
  for (const f of r.facts) out.push(row([f.label, f.value]));
  out.push(row(['reads that miss Redis (cold reads)', fmtPct(s.load.coldReadFraction)]));
  out.push(row(['migration batch size / batches per run', `${s.tiered.batchSize} / ${s.tiered.maxBatchesPerRun}`]));
  out.push(row(['compression (stored ÷ raw): PostgreSQL-only / hot / cold', `${fmtNum(s.pgOnly.compressionRatio)} / ${fmtNum(s.tiered.hotCompressionRatio)} / ${fmtNum(s.tiered.coldCompressionRatio)}`]));
  out.push(row(['Redis engine / deployment', `${s.tiered.redis.engine} / ${s.tiered.redis.deployment}`]), '');

  out.push('## Cost lines', '', `### ${r.pgOnly.label}`, '', ...linesTable(r.pgOnly.lines), '', `### ${r.tiered.label}`, '', ...linesTable(r.tiered.lines), '');

  out.push('## Measured figures and the prices they are multiplied by', '', row(['design', 'measured figure', 'measured', 'becomes', 'priced as']), '|---|---|---|---|---|');
  for (const t of r.traces) out.push(row([t.design === 'pgOnly' ? 'PostgreSQL only' : 'tiered', t.figure, t.measured, t.becomes, t.pricedAs]));
  out.push('');
  out.push(
    `Also measured: ${fmtNum(m.readsPerCheckpoint)} reads (getTuple) per checkpoint; ${fmtBytes(m.serializedBytesPerCheckpoint)} serialized per checkpoint; ${fmtNum(m.checkpointsPerThread)} checkpoints per thread; local throughput ${fmtNum(m.pgOnly.localCheckpointsPerSec)} checkpoints/s through PostgresSaver, ${fmtNum(m.migration.localCheckpointsPerSec)} checkpoints/s through the migration (this machine, not RDS); ${fmtNum(m.hot.residualBytesPerThread)} bytes per thread stay in Redis after migration.`,
    '',
  );

  out.push(
    '## Product levers and their measured effect',
    '',
    m.levers
      ? `Lever runs: the workload with ${fmtNum(m.levers.threads)} threads (${fmtNum(m.levers.checkpoints)} checkpoints, ${fmtNum(m.levers.checkpointsPerThread)} per thread), migrated once per setting; every ratio is that run ÷ the baseline run of the same workload (\`src/cost/levers.ts\`). "With the lever switched" costs this scenario again with only that lever changed.`
      : 'This measurement has no lever runs (`npm run cost` without `--skip-levers` measures them): every lever input below is the scenario\'s assumption.',
    '',
    ...leverTable(r),
    '',
  );

  out.push('## Sizing', '');
  const pgLine = (label: string, d: DesignCost) => {
    const z = d.postgres.sizing;
    const q = d.postgres.requirement;
    return `- **${label}:** ${z.instance.class} (${z.instance.vcpu} vCPU, ${z.instance.memoryGiB} GiB${z.instance.burstable ? `, burstable, baseline ${z.instance.baselineCpuFraction}` : ''})${z.feasible ? '' : ' — **infeasible: needs more than the largest class in the price file**'}; ${z.bindingConstraint}. Needs ${fmtNum(q.peakCpuVcpu)} vCPU at peak (${fmtPct(z.peakCpuUtilization)} of the class), ${fmtNum(q.averageCpuVcpu)} on average, ${fmtNum(q.ramGiB)} GiB RAM, ${fmtNum(q.peakIops)} IOPS (commits ${fmtNum(d.postgres.load.iops.commits)}, WAL ${fmtNum(d.postgres.load.iops.wal)}, pages ${fmtNum(d.postgres.load.iops.data)}, cold reads ${fmtNum(d.postgres.load.iops.reads)}; ${z.includedIops} included${z.extraIops > 0 ? `, ${fmtNum(z.extraIops)} bought` : ''}), ${fmtNum(q.peakThroughputMiBps)} MiB/s, ${fmtNum(q.storedGB)} GB stored in ${z.allocatedGB} GB allocated, ${fmtNum(q.backupGB)} GB of backups (${fmtNum(z.billableBackupGB)} GB billable).`;
  };
  out.push(pgLine('PostgreSQL only', r.pgOnly), pgLine('Tiered, cold PostgreSQL', r.tiered));
  const rz = r.tiered.redis!.sizing;
  const rq = r.tiered.redis!.requirement;
  const rl = r.tiered.redis!.load;
  out.push(
    `- **Tiered, Redis:** ${rz.deployment === 'nodes' ? `${rz.shards} shard(s) × (1 + ${s.tiered.redis.replicas} replica(s)) of ${rz.node!.type} (${rz.node!.memoryGiB} GiB, ${fmtBytes(rz.usableBytesPerShard)} usable after the ${fmtPct(s.sizing.redis.reservedMemoryFraction)} reserve), ${fmtPct(rz.memoryUtilization)} of usable memory` : 'ElastiCache Serverless'}; ${rz.bindingConstraint}. Holds ${fmtNum(rl.checkpointsHeld)} checkpoints (${fmtNum(rl.holdHours)} h) = ${fmtBytes(rq.datasetBytes)} incl. ${fmtBytes(rl.residualBytes)} of per-thread keys that stay after migration (${fmtNum(rl.threadsRetained)} threads); ${fmtNum(rq.peakCpuCores)} cores at peak.${rz.alternative ? ` The other option (${rz.alternative.summary}) would cost ${fmtUsd(rz.alternative.monthlyUsd)}/month.` : ''}`,
  );
  const rejectedPg = r.pgOnly.postgres.sizing.rejected;
  if (rejectedPg.length > 0) out.push(`- PostgreSQL-only classes rejected (cheapest first): ${rejectedPg.map((x) => `${x.class} — ${x.reason}`).join('; ')}.`);
  out.push('');

  if (options.variants && options.variants.length > 0) {
    out.push('## What if an assumption is dropped', '', 'Each row changes one input of this scenario and keeps the rest (the `sensitivity` list of the scenario file).', '', ...variantsTable(r, options.variants), '');
  }

  if (options.breakEvens) {
    out.push('## Break-even (write rate swept with the other inputs fixed)', '');
    if (options.breakEvens.length === 0) out.push(`No break-even between ${fmtNum(s.chart.minAverageRate)} and ${fmtNum(s.chart.maxAverageRate)} checkpoints/s: ${r.savingsUsd >= 0 ? 'tiered is cheaper' : 'PostgreSQL-only is cheaper'} across the whole range.`, '');
    else out.push(...options.breakEvens.map((b) => `- ${breakEvenText(b)}`), '');
  }

  out.push('## Assumptions', '');
  if (s.assumptions.length > 0) out.push('Stated by the scenario:', '', ...s.assumptions.map((a) => `- ${a}`), '');
  out.push('Sizing constants (`src/cost/sizing-model.ts`; override under `"sizing"` in the scenario):', '', row(['parameter', 'value', 'set by', 'conf.']), '|---|---:|---|:-:|', ...sizingRows(s.sizing), '');
  out.push('Not modelled: operations effort of a second store, data transfer, reserved-instance or Savings-Plan discounts, burstable CPU credits, the load of a PostgreSQL-only pruning job (the tiered migration\'s prune is measured and included), vacuum, application-side CPU, ElastiCache snapshots.', '');

  if (r.warnings.length > 0) out.push('## Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  if (m.notes.length > 0) out.push('## Measurement notes', '', ...m.notes.map((n) => `- ${n}`), '');
  return `${out.join('\n').trimEnd()}\n`;
}

/** The measured per-checkpoint figures side by side (the summary's first table). */
function measuredTable(r: CostResult): string[] {
  const m = r.measured;
  const ms = (sec: number | null) => (sec === null ? 'not measured' : `${fmtNum(sec * 1000)} ms`);
  return [
    `Measured per checkpoint (workload \`${m.profileName}\`: ${fmtNum(m.checkpointsMeasured)} checkpoints, ${fmtNum(m.checkpointsPerThread)} per thread, ${fmtBytes(m.serializedBytesPerCheckpoint)} serialized each):`,
    '',
    row(['', 'PostgreSQL-only (PostgresSaver, every step synchronous)', 'tiered: Redis hot tier', `tiered: migration to PostgreSQL (batches of ${m.migration.batchSize})`]),
    '|---|---:|---:|---:|',
    row(['bytes stored', `${fmtBytes(m.pgOnly.diskBytesPerCheckpoint)} (heap ${fmtBytes(m.pgOnly.heapBytesPerCheckpoint)}, index ${fmtBytes(m.pgOnly.indexBytesPerCheckpoint)}, TOAST ${fmtBytes(m.pgOnly.toastBytesPerCheckpoint)})`, `${fmtBytes(m.hot.redisBytesPerCheckpoint)} (MEMORY USAGE; used_memory Δ ${fmtBytes(m.hot.usedMemoryBytesPerCheckpoint)}); ${fmtNum(m.hot.residualBytesPerThread)} B per thread stay after migration`, `${fmtBytes(m.migration.diskBytesPerCheckpoint)} (heap ${fmtBytes(m.migration.heapBytesPerCheckpoint)}, index ${fmtBytes(m.migration.indexBytesPerCheckpoint)}, TOAST ${fmtBytes(m.migration.toastBytesPerCheckpoint)})`]),
    row(['PostgreSQL write commits', fmtNum(m.pgOnly.writeCommitsPerCheckpoint), `${m.hot.pgWriteCommitsDuringPuts === null ? 'not measured' : fmtNum(m.hot.pgWriteCommitsDuringPuts / m.checkpointsMeasured)} (plus ${fmtNum(m.hot.pgQueriesPerCheckpoint)} reads: a new thread's first read)`, fmtNum(m.migration.writeCommitsPerCheckpoint)]),
    row(['PostgreSQL rows written', fmtNum(m.pgOnly.rowsPerCheckpoint), fmtNum(m.hot.pgRowsDuringPuts / m.checkpointsMeasured), fmtNum(m.migration.rowsPerCheckpoint)]),
    row(['PostgreSQL WAL', fmtBytes(m.pgOnly.walBytesPerCheckpoint), m.hot.pgWalBytesDuringPuts === null ? 'not measured' : fmtBytes(m.hot.pgWalBytesDuringPuts / m.checkpointsMeasured), fmtBytes(m.migration.walBytesPerCheckpoint)]),
    row(['server CPU', `${ms(m.pgOnly.cpuSecPerCheckpoint)} PostgreSQL backend`, m.hot.serverUsecPerCheckpoint === null ? 'not measured' : `${fmtNum(m.hot.serverUsecPerCheckpoint)} µs Redis`, `${ms(m.migration.cpuSecPerCheckpoint)} PostgreSQL backend${m.migration.redisUsecPerCheckpoint === null ? '' : ` + ${fmtNum(m.migration.redisUsecPerCheckpoint)} µs Redis`}`]),
    row(['Redis commands', '–', `${fmtNum(m.hot.commandsPerCheckpoint)} sent${m.hot.serverCallsPerCheckpoint === null ? '' : ` (${fmtNum(m.hot.serverCallsPerCheckpoint)} executed, Lua-internal included)`}`, fmtNum(m.migration.redisCommandsPerCheckpoint)]),
  ];
}

/** The measured lever figures, once, for the README (each scenario's report shows what they change there). */
function leverSummary(r: CostResult): string[] {
  const L = r.measured.levers!;
  const ms = (x: number | null) => (x === null ? '?' : `${fmtNum(x)} ms`);
  const out = [
    `Measured lever effects (lever runs: ${fmtNum(L.threads)} threads, ${fmtNum(L.checkpoints)} checkpoints, each run ÷ the baseline run of the same workload):`,
    '',
    row(['lever', 'measured', 'model input it replaces']),
    '|---|---|---|',
  ];
  if (L.compression) {
    const c = L.compression;
    out.push(
      row([
        '`coldCompression: gzip`',
        `cold bytes × ${fmtNum(c.bytesRatio)} (${fmtBytes(c.bytesPerCheckpoint.none)} → ${fmtBytes(c.bytesPerCheckpoint.gzip)} per checkpoint), WAL × ${fmtNum(c.walRatio)}; cold getTuple p50 ${ms(c.coldRead.none?.p50Ms ?? null)} → ${ms(c.coldRead.gzip?.p50Ms ?? null)}, client CPU ${ms(c.coldRead.none?.clientCpuMsPerRead ?? null)} → ${ms(c.coldRead.gzip?.clientCpuMsPerRead ?? null)} per read`,
        '`tiered.coldCompressionRatio` (cold storage, WAL)',
      ]),
    );
  }
  if (L.hotCompression) {
    const h = L.hotCompression;
    out.push(row(['`hotCompression: deflate`', `Redis bytes per hot checkpoint × ${fmtNum(h.bytesRatio)} (${fmtBytes(h.bytesPerCheckpoint.none)} → ${fmtBytes(h.bytesPerCheckpoint.deflate)})`, '`tiered.hotCompressionRatio`']));
  }
  for (const x of L.retention) {
    out.push(
      row([
        `\`retention: ${x.key}\``,
        `keeps ${fmtPct(x.keptFraction)} of checkpoints, ${fmtPct(x.keptBytesFraction)} of cold bytes (${fmtBytes(x.coldBytesPerThread.kept)} of ${fmtBytes(x.coldBytesPerThread.all)} per thread); copy + prune WAL × ${fmtNum(x.walRatio)}, CPU × ${x.cpuRatio === null ? '?' : fmtNum(x.cpuRatio)}`,
        '`tiered.keptColdFraction` (and `pgOnly.keptFraction` with `pgOnlyRetention`)',
      ]),
    );
  }
  if (L.batch.length > 1) {
    out.push(row(['`migrationBatchSize`', L.batch.map((p) => `${p.batchSize}: ${fmtNum(p.writeCommitsPerCheckpoint)} commits, ${fmtBytes(p.walBytesPerCheckpoint)} WAL, ${p.cpuSecPerCheckpoint === null ? '?' : `${fmtNum(p.cpuSecPerCheckpoint * 1000)} ms`} CPU per checkpoint`).join('; '), 'WAL per checkpoint against batch size (was taken as constant); commits stay 1 ÷ batch; CPU printed only (its batch effect is within run-to-run noise)']));
  }
  if (L.hot) out.push(row(['`copyAfterMs` < `hotWindowMs`', `${fmtBytes(L.hot.bytesPerCheckpointUncopied)} per hot checkpoint, ${fmtBytes(L.hot.bytesPerCheckpointCopied)} once copied (× ${fmtNum(L.hot.copiedRatio)}), ${fmtNum(L.hot.residualBytesPerThread)} B per thread after eviction`, 'Redis bytes of copied-but-hot checkpoints']));
  if (L.threadTtl) {
    const t = L.threadTtl;
    out.push(row(['`threadTtlMs`', `${fmtPct(t.rowsRemovedFraction)} of an expired thread's cold rows removed, ${fmtBytes(t.coldBytesFreedPerThread)} freed per thread; ${fmtNum(t.tombstoneBytesPerThread)} B tombstone left in Redis`, 'share of an expired thread removed; Redis tombstones']));
  }
  return out;
}

/** One scenario as the summary lists it. */
export interface SummaryEntry {
  result: CostResult;
  reportPath: string;
  chartPath: string;
  breakEvens: BreakEven[];
  variants?: VariantResult[];
}

function haText(r: CostResult): string {
  const s = r.scenario;
  const pg = `${s.pgOnly.multiAz ? 'MAZ' : 'SAZ'}${s.pgOnly.readReplicas ? `+${s.pgOnly.readReplicas}RR` : ''}`;
  const t = `Redis ${s.tiered.redis.replicas}R, PG ${s.tiered.postgres.multiAz ? 'MAZ' : 'SAZ'}`;
  return `${pg} / ${t}`;
}

/** The levers a scenario uses, shortly. */
function leversText(r: CostResult): string {
  const s = r.scenario;
  const out: string[] = [];
  if (s.levers.retention.mode !== 'all') out.push(`retention ${r.levers.find((l) => l.lever === 'retention')!.setting.replace(/ \(.*$/, '')}${s.levers.pgOnlyRetention ? ' (both)' : ''}`);
  if (s.levers.coldCompression !== 'none') out.push(`cold ${s.levers.coldCompression}`);
  if (s.retention.threadTtlDays !== null) out.push(`TTL ${fmtNum(s.retention.threadTtlDays)} d`);
  if (s.tiered.copyAfterHours < s.tiered.hotWindowHours) out.push(`copy after ${fmtNum(s.tiered.copyAfterHours)} h`);
  return out.length > 0 ? out.join(', ') : '–';
}

function summaryLine(e: SummaryEntry): string {
  const r = e.result;
  const s = r.scenario;
  return row([
    `[\`${s.name}\`](${e.reportPath})`,
    `${fmtNum(s.load.averageCheckpointsPerSec)} / ${fmtNum(s.load.peakCheckpointsPerSec)}`,
    `${fmtNum(s.tiered.hotWindowHours)} h`,
    `${fmtNum(s.retention.days)} d`,
    `${fmtNum(r.leverEffects.pgOnlyRetention.keptBytesFraction)} / ${fmtNum(r.leverEffects.retention.keptBytesFraction)}`,
    leversText(r),
    haText(r),
    `${fmtUsd(r.pgOnly.monthlyUsd)} (${r.pgOnly.postgres.sizing.instance.class})`,
    `${fmtUsd(r.tiered.monthlyUsd)} (${r.tiered.redis!.sizing.deployment === 'nodes' ? `${r.tiered.redis!.sizing.nodes}× ${r.tiered.redis!.sizing.node!.type}` : 'Serverless'} + ${r.tiered.postgres.sizing.instance.class})`,
    r.savingsUsd >= 0 ? `**${fmtPct(r.savingsFraction)} less**` : `**${fmtPct(-r.savingsUsd / r.pgOnly.monthlyUsd)} more**`,
  ]);
}

/**
 * The Markdown section for the README: every scenario in one table, the task card's claim and
 * what it rests on, where tiering costs more, and the charts.
 */
export function renderSummary(entries: SummaryEntry[], options: { measurementPath?: string; cardClaimName?: string; chartScenarios?: string[] } = {}): string {
  const out: string[] = [];
  const first = entries[0]?.result;
  out.push('## Cost analysis', '');
  out.push(
    '`npm run cost` runs a LangGraph workload (a real `StateGraph`, `durability: "sync"`, messages of real `@langchain/core` message classes) against `PostgresSaver` and against this saver on local Redis and PostgreSQL, measures bytes, commits, rows, WAL and CPU per checkpoint, and multiplies them by list prices through a documented sizing model (`src/cost/`). Prices are list prices with confidence tags; sizing constants marked U are assumptions.',
    '',
  );
  if (first) out.push(`Measured: ${first.measured.source}${options.measurementPath ? ` (\`${options.measurementPath}\`)` : ''}. Prices: ${first.prices.title}, compiled ${first.prices.compiled}.`, '');
  if (first) out.push(...measuredTable(first), '');
  if (first?.measured.levers) out.push(...leverSummary(first), '');
  out.push(
    row(['scenario', 'checkpoints/s avg / peak', 'hot window', 'retention', 'kept bytes: PG-only / tiered', 'levers', 'HA (PG-only / tiered)', 'PostgreSQL only', 'tiered', 'tiered costs']),
    '|---|---:|---:|---:|---:|---|---|---:|---:|---|',
    ...entries.map(summaryLine),
    '',
  );
  const claimName = options.cardClaimName ?? 'card-claim';
  const claim = entries.find((e) => e.result.scenario.name === claimName);
  if (claim) {
    const r = claim.result;
    const s = r.scenario;
    const redis = componentTotal(r.tiered, 'redis');
    const coldPg = componentTotal(r.tiered, 'postgres');
    out.push("### The task card's claim ($3,680 → $126)", '');
    out.push(
      row(['', 'task card', `this model, [\`${s.name}\`](${claim.reportPath})`]),
      '|---|---:|---:|',
      row(['PostgreSQL only', '$3,680', `${fmtUsd(r.pgOnly.monthlyUsd)} (${r.pgOnly.postgres.sizing.instance.class}${s.pgOnly.multiAz ? ' Multi-AZ' : ''}, ${r.pgOnly.postgres.sizing.allocatedGB} GB gp3)`]),
      row(['tiered', '$126 (Redis $50 + PostgreSQL $76)', `${fmtUsd(r.tiered.monthlyUsd)} (Redis ${fmtUsd(redis)} + PostgreSQL ${fmtUsd(coldPg)})`]),
      row(['reduction', '96 %', savingsText(r.savingsFraction)]),
      '',
      'The card states no instance types, checkpoint size, write rate, retention or HA. With measured bytes, commits and CPU per checkpoint, a >90 % saving appears only under all of these assumptions at once:',
      '',
      ...s.assumptions.map((a) => `- ${a}`),
      '',
      `Derived: ${r.facts.filter((x) => /peak|kept|retention/.test(x.label)).map((f) => `${f.label} ${f.value}`).join('; ')}.`,
      '',
    );
    if (claim.variants && claim.variants.length > 0) out.push('Drop one assumption at a time:', '', ...variantsTable(r, claim.variants), '');
  }
  const dearer = entries.filter((e) => e.result.savingsUsd < 0);
  if (dearer.length > 0) {
    out.push('### Where tiering costs more', '');
    for (const e of dearer) out.push(`- [\`${e.result.scenario.name}\`](${e.reportPath}): ${e.result.scenario.title} — ${e.result.verdict}.`);
    out.push('');
  }
  const cheaper = entries.filter((e) => e.result.savingsUsd >= 0 && e.result.scenario.name !== claimName);
  if (cheaper.length > 0) {
    out.push('### Where tiering pays', '');
    for (const e of cheaper) out.push(`- [\`${e.result.scenario.name}\`](${e.reportPath}): ${e.result.scenario.title} — ${e.result.verdict}.`);
    out.push('');
  }
  out.push(
    'Why: usable Redis memory costs 60–180 × what gp3 storage costs per GB, so moving bytes to RAM never saves money by itself. Tiering pays only when synchronous per-step commits would force PostgreSQL-only onto a large class that hourly batched copies avoid, or when most hot checkpoints never need to be kept cold (f < 1).',
    '',
  );
  const chartNames = options.chartScenarios ?? [claimName, 'card-consistent'];
  const charted = chartNames.map((n) => entries.find((e) => e.result.scenario.name === n)).filter((e): e is SummaryEntry => e !== undefined);
  if (charted.length === 0 && entries[0]) charted.push(entries[0]);
  for (const chartOf of charted) {
    out.push(`![Monthly cost of both designs against write rate, ${chartOf.result.scenario.name}](${chartOf.chartPath})`, '');
    if (chartOf.breakEvens.length === 0) out.push(`\`${chartOf.result.scenario.name}\`: no break-even between ${fmtNum(chartOf.result.scenario.chart.minAverageRate)} and ${fmtNum(chartOf.result.scenario.chart.maxAverageRate)} checkpoints/s with its other assumptions fixed — ${chartOf.result.savingsUsd >= 0 ? 'tiered' : 'PostgreSQL-only'} is cheaper throughout.`, '');
    for (const b of chartOf.breakEvens) out.push(`- \`${chartOf.result.scenario.name}\`: ${breakEvenText(b)}.`);
    out.push('');
  }
  const withBreakEvens = entries.filter((e) => !charted.includes(e) && e.breakEvens.length > 0);
  if (withBreakEvens.length > 0) {
    out.push('Break-even write rates (each scenario swept with its other inputs fixed):', '');
    for (const e of withBreakEvens) out.push(`- \`${e.result.scenario.name}\`: ${e.breakEvens.map(breakEvenText).join('; ')}.`);
    out.push('');
  }
  out.push('Charts of every scenario: ' + entries.map((e) => `[${e.result.scenario.name}](${e.chartPath})`).join(', ') + '.', '');
  return `${out.join('\n').trimEnd()}\n`;
}
