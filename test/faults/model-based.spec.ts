import type { RunnableConfig } from '@langchain/core/runnables';
import { v6 } from '@langchain/core/utils/uuid';
import {
  MemorySaver,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';
import { ManualClock } from '../../src/core/clock.js';
import type { TieredCheckpointOptions } from '../../src/config/tiered-checkpoint.options.js';
import type { MigrationStep } from '../../src/tiering/migration.hooks.js';
import type { MigrationReport } from '../../src/tiering/migration.runner.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { seededRandom } from '../support/conformance-initializer.js';
import { Oracle, countOrphans, describeDifference, show, type RecordedCheckpoint } from '../support/oracle.js';
import { TestStores } from '../support/test-stores.js';

/**
 * Model-based test: seeded random sequences of saver operations applied to the tiered saver and
 * to LangGraph's MemorySaver side by side. Every read must agree; after each sequence the
 * oracle (test/support/oracle.ts) checks everything acknowledged, then the orphan check, then a
 * full drain to PostgreSQL (oracle again, Redis residue, exact cold row counts), then deleting
 * every thread (nothing readable, nothing left in either store).
 *
 * Operations: puts (continuing a chain, forking from an older checkpoint, new roots) in three
 * namespaces; putWrites with regular channels, special channels (WRITES_IDX_MAP) and repeated
 * (task, idx); getTuple by id / latest; list with limit / before / filter, per namespace, per
 * thread and over all threads; deleteThread; clock advances; migrate(); migrate() with
 * operations injected at a step of the batch (after-read, in-transaction, after-commit,
 * mid-cleanup); two replicas migrating at once. Saver variants rotate by seed, including the
 * copy/evict split (copyAfterMs < hotWindowMs) and tiny batches with a per-run budget.
 *
 * Both savers get identical inputs: ids are uuid v6 from a counter (so both sort them alike),
 * channel versions come from the test. The one normalisation: a `list` spanning namespaces or
 * threads is compared in checkpoint-id order (MemorySaver lists namespace by namespace; this
 * saver and PostgresSaver order by id), so MemorySaver is asked without `limit` and the page is
 * cut after sorting.
 *
 * Replay one seed: `SEED=<n> npm test -- test/faults/model-based` (also OPS=<n>, SEEDS=<count>,
 * MODEL_BASE_SEED=<first seed>).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const BASE_SEED = Number(process.env.MODEL_BASE_SEED ?? 7100);
const SEEDS = process.env.SEED !== undefined ? [Number(process.env.SEED)] : Array.from({ length: Number(process.env.SEEDS ?? 20) }, (_, i) => BASE_SEED + i);
const OPS = Number(process.env.OPS ?? 150);

const THREADS = ['t0', 't1', 'thread:*?[2]', 'тред-3'];
const NAMESPACES = ['', '', '', 'child:1', 'child:1', 'child:2'];
const CHANNELS = ['messages', 'topic', 'counter', 'big', 'flags'];
const WRITE_CHANNELS = ['messages', 'topic', 'counter'];
const SPECIAL = Object.keys(WRITES_IDX_MAP); // __error__, __scheduled__, __interrupt__, __resume__
const TASKS: Record<string, string | undefined> = { 'task-a': '~__pregel_pull, agent', 'task-b': '~__pregel_pull, tools', 'task-c': '~__pregel_push, 0, agent, 2', 'task-d': '' };
const FILTERS: Array<Record<string, unknown>> = [{ source: 'fork' }, { owner: 'alice' }, { source: 'loop', owner: 'bob' }, { step: 2 }];
/** Filters the oracle checks per thread at the end (the random reads use all of FILTERS). */
const CHECK_FILTERS = [FILTERS[0], FILTERS[2]];
const ADVANCES = [5 * MINUTE, 20 * MINUTE, 2 * HOUR, 7 * HOUR, 25 * HOUR, 3 * DAY];
const STEPS: MigrationStep[] = ['after-read', 'in-transaction', 'after-commit', 'mid-cleanup'];
const NODE = new Uint8Array([0x7e, 0x57, 0x00, 0x00, 0x00, 0x01]);
const ID_EPOCH = Date.UTC(2026, 0, 1);

interface Variant {
  name: string;
  options: Partial<TieredCheckpointOptions>;
}

function variantFor(seed: number): Variant {
  switch (((seed % 4) + 4) % 4) {
    case 0:
      return { name: 'copy+evict at 24h', options: { hotWindowMs: DAY } };
    case 1:
      return { name: 'copy after 1h, evict at 24h', options: { hotWindowMs: DAY, copyAfterMs: HOUR } };
    case 2:
      return { name: 'copy+evict at 24h, batches of 2, 2 per run', options: { hotWindowMs: DAY, migrationBatchSize: 2, migrationMaxBatchesPerRun: 2 } };
    default:
      return { name: 'copy after 10min, evict at 6h, batches of 3', options: { hotWindowMs: 6 * HOUR, copyAfterMs: 10 * MINUTE, migrationBatchSize: 3 } };
  }
}

class ModelFailure extends Error {}

type Saver = Pick<TieredCheckpointSaver, 'getTuple' | 'list' | 'put' | 'putWrites' | 'deleteThread'>;

async function collect(saver: Pick<Saver, 'list'>, config: RunnableConfig, options?: CheckpointListOptions): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list(config, options)) out.push(t);
  return out;
}

const idOf = (t: CheckpointTuple | undefined) => t?.config.configurable?.checkpoint_id as string | undefined;
const short = (id: string | undefined) => (id ? id.slice(0, 13) : String(id));
const byIdDesc = (a: CheckpointTuple, b: CheckpointTuple) => {
  const [x, y] = [idOf(a)!, idOf(b)!];
  if (x !== y) return x < y ? 1 : -1;
  const [ta, tb] = [String(a.config.configurable?.thread_id), String(b.config.configurable?.thread_id)];
  if (ta !== tb) return ta < tb ? -1 : 1;
  const [na, nb] = [String(a.config.configurable?.checkpoint_ns), String(b.config.configurable?.checkpoint_ns)];
  return na < nb ? -1 : na > nb ? 1 : 0;
};

/** Summary of one seed, printed at the end of the suite. */
interface SeedSummary {
  seed: number;
  status: 'ok' | 'FAILED';
  variant: string;
  ops: number;
  counts: Record<string, number>;
  migrated: { checkpoints: number; writes: number; evicted: number; changed: number; skippedDeleted: number; batches: number };
  coldAtDrain: { checkpoints: number; blobs: number; writes: number };
  ms: number;
}

const summaries: SeedSummary[] = [];

/** One seeded sequence against one fresh tiered saver and one MemorySaver. */
class ModelRun {
  readonly random: () => number;
  readonly clock = new ManualClock(Date.UTC(2026, 0, 1));
  readonly memory = new MemorySaver();
  readonly oracle = new Oracle();
  readonly log: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly migrated = { checkpoints: 0, writes: 0, evicted: 0, changed: 0, skippedDeleted: 0, batches: 0 };
  saver!: TieredCheckpointSaver;
  /** The same saver, recording every acknowledged write in the oracle. */
  recorded!: TieredCheckpointSaver;
  replica!: TieredCheckpointSaver;
  private idCounter = 0;
  private versionCounter = 0;
  /** Operations to inject at one migration step (first time the step is reached). */
  private plan?: { step: MigrationStep; fired: boolean; count: number };
  private opNo = 0;

  constructor(
    readonly seed: number,
    readonly variant: Variant,
    readonly stores: TestStores,
  ) {
    this.random = seededRandom(seed);
  }

  async init(): Promise<void> {
    const options: Partial<TieredCheckpointOptions> = {
      ...this.variant.options,
      clock: this.clock,
      migrationStepHook: (step) => this.onStep(step),
    };
    this.saver = await this.stores.freshSaver(options);
    this.recorded = this.oracle.wrap(this.saver);
    // A second replica over the same prefix and schema (no fault hook): concurrent migrators.
    this.replica = this.stores.saver({ ...this.variant.options, clock: this.clock, keyPrefix: this.saver.options.keyPrefix });
  }

  // ---- randomness ----------------------------------------------------------------------------

  chance(p: number): boolean {
    return this.random() < p;
  }
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  nextId(): string {
    this.idCounter += 1;
    return v6({ msecs: ID_EPOCH + this.idCounter, nsecs: 0, clockseq: 0x0abc, node: NODE });
  }
  nextVersion(): string {
    this.versionCounter += 1;
    let hex = '';
    for (let i = 0; i < 16; i += 1) hex += this.int(16).toString(16);
    return `${String(this.versionCounter).padStart(32, '0')}.${hex}`;
  }
  value(): unknown {
    const n = this.int(1000);
    switch (this.int(8)) {
      case 0:
        return n;
      case 1:
        return `héllo ✓ ${n}`;
      case 2:
        return Array.from({ length: 1 + this.int(4) }, (_, i) => `msg-${n}-${i}`);
      case 3:
        return { a: n, b: [n, `${n}`], c: { d: 'x', e: n % 2 === 0 } };
      case 4:
        return n % 3 === 0 ? null : n % 2 === 0;
      case 5:
        return 'x'.repeat(2000 + this.int(3000)) + n;
      case 6:
        return { role: 'ai', content: `answer ${n}`, tool_calls: [] };
      default:
        return -n / 7;
    }
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  note(line: string): void {
    this.log.push(`#${this.opNo} ${line}`);
  }
  count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }
  fail(message: string): never {
    throw new ModelFailure(message);
  }
  /** Fails when the two answers differ. */
  agree(what: string, memory: unknown, tiered: unknown): void {
    const d = describeDifference(memory, tiered);
    if (d) this.fail(`${what}: tiered saver differs from MemorySaver: ${d}`);
  }

  currentCheckpoints(): RecordedCheckpoint[] {
    return this.oracle.threadIds().flatMap((t) => this.oracle.checkpointsOf(t));
  }
  everConfigs(): RunnableConfig[] {
    return this.oracle.threadIds().flatMap((t) => this.oracle.everCheckpointsOf(t).map((c) => ({ configurable: { thread_id: t, checkpoint_ns: c.checkpointNs, checkpoint_id: c.checkpointId } })));
  }

  // ---- write operations (applied to both savers, recorded in the oracle) ---------------------

  async opPut(): Promise<void> {
    const threadId = this.pick(THREADS);
    const ns = this.pick(NAMESPACES);
    const chain = this.oracle.checkpointsOf(threadId, ns);
    let parent: RecordedCheckpoint | undefined;
    let source = 'input';
    if (chain.length > 0) {
      const roll = this.random();
      if (roll < 0.7) {
        parent = chain[0];
        source = 'loop';
      } else if (roll < 0.9) {
        parent = this.pick(chain);
        source = parent === chain[0] ? 'loop' : 'fork';
      }
    }
    const base = parent?.checkpoint;
    const values: Record<string, unknown> = { ...(base?.channel_values ?? {}) };
    const versions: ChannelVersions = { ...(base?.channel_versions ?? {}) };
    const newVersions: ChannelVersions = {};
    const changes = this.chance(0.1) ? 0 : 1 + this.int(2);
    for (let i = 0; i < changes; i += 1) {
      const channel = this.pick(CHANNELS);
      const version = this.nextVersion();
      newVersions[channel] = version;
      versions[channel] = version;
      if (this.chance(0.1)) delete values[channel];
      else values[channel] = this.value();
    }
    const node = this.pick(['agent', 'tools', '__input__']);
    const checkpoint: Checkpoint = {
      v: 4,
      id: this.nextId(),
      ts: new Date(this.clock.now()).toISOString(),
      channel_values: values,
      channel_versions: versions,
      versions_seen: { ...(base?.versions_seen ?? {}), [node]: { ...newVersions } },
    };
    const step = parent ? Number((parent.metadata as { step?: number }).step ?? -1) + 1 : -1;
    const metadata: CheckpointMetadata = { source: source as CheckpointMetadata['source'], step, parents: ns ? { '': 'root' } : {}, owner: this.pick(['alice', 'bob']) } as CheckpointMetadata;
    const config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns, ...(parent ? { checkpoint_id: parent.checkpointId } : {}) } };
    await this.put(config, checkpoint, metadata, newVersions, `${source} ${threadId}/"${ns}" ${short(checkpoint.id)} parent=${short(parent?.checkpointId)} new=[${Object.keys(newVersions).join(',')}]`);
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions, line: string): Promise<void> {
    this.note(`put ${line}`);
    this.count('put');
    let tiered: RunnableConfig;
    try {
      tiered = await this.recorded.put(structuredClone(config), structuredClone(checkpoint), structuredClone(metadata), { ...newVersions });
    } catch (error) {
      this.fail(`put threw: ${String(error)}`);
    }
    const memory = await this.memory.put(structuredClone(config), structuredClone(checkpoint), structuredClone(metadata));
    this.agree('put returned config', memory, tiered);
  }

  async opPutWrites(): Promise<boolean> {
    const current = this.currentCheckpoints();
    if (current.length === 0) return false;
    let target: RecordedCheckpoint;
    if (this.chance(0.5)) {
      const t = this.pick(this.oracle.liveThreadIds());
      const own = this.oracle.checkpointsOf(t);
      target = own.length > 0 ? own[0] : this.pick(current);
    } else {
      target = this.pick(current);
    }
    const taskId = this.pick(Object.keys(TASKS));
    const taskPath = this.chance(0.15) ? undefined : TASKS[taskId];
    const writes: PendingWrite[] = [];
    const usedSpecial = new Set<string>();
    const n = 1 + this.int(3);
    for (let i = 0; i < n; i += 1) {
      if (this.chance(0.35)) {
        const special = this.pick(SPECIAL);
        if (usedSpecial.has(special)) continue;
        usedSpecial.add(special);
        writes.push([special, this.value()]);
      } else {
        writes.push([this.pick(WRITE_CHANNELS), this.value()]);
      }
    }
    const config = { configurable: { thread_id: target.threadId, checkpoint_ns: target.checkpointNs, checkpoint_id: target.checkpointId } };
    await this.putWrites(config, writes, taskId, taskPath);
    return true;
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath: string | undefined): Promise<void> {
    const c = config.configurable!;
    this.note(`putWrites ${c.thread_id}/"${c.checkpoint_ns}"/${short(c.checkpoint_id)} ${taskId} path=${show(taskPath)} [${writes.map((w) => w[0]).join(',')}]`);
    this.count('putWrites');
    try {
      await this.recorded.putWrites(structuredClone(config), structuredClone(writes), taskId, taskPath);
    } catch (error) {
      this.fail(`putWrites threw: ${String(error)}`);
    }
    await this.memory.putWrites(structuredClone(config), structuredClone(writes), taskId, taskPath);
  }

  async deleteThread(threadId: string): Promise<void> {
    this.note(`deleteThread ${threadId}`);
    this.count('deleteThread');
    try {
      await this.recorded.deleteThread(threadId);
    } catch (error) {
      this.fail(`deleteThread threw: ${String(error)}`);
    }
    await this.memory.deleteThread(threadId);
  }

  // ---- reads (both savers must agree) --------------------------------------------------------

  async opGetById(): Promise<void> {
    const ever = this.everConfigs();
    let config: RunnableConfig;
    if (ever.length === 0 || this.chance(0.05)) {
      config = { configurable: { thread_id: this.pick(THREADS), checkpoint_ns: '', checkpoint_id: '1f0e6a4d-0000-6000-8000-000000000000' } };
    } else {
      const c = this.pick(ever).configurable!;
      // Sometimes the right id under the wrong thread or namespace.
      const thread = this.chance(0.05) ? this.pick(THREADS) : c.thread_id;
      const ns = this.chance(0.05) ? this.pick(NAMESPACES) : c.checkpoint_ns;
      config = { configurable: { thread_id: thread, checkpoint_ns: ns, checkpoint_id: c.checkpoint_id } };
    }
    const c = config.configurable!;
    this.note(`getTuple ${c.thread_id}/"${c.checkpoint_ns}"/${short(c.checkpoint_id)}`);
    this.count('read');
    const tiered = await this.saver.getTuple(config);
    const memory = await this.memory.getTuple(config);
    this.agree('getTuple by id', memory, tiered);
  }

  async opGetLatest(): Promise<void> {
    const threadId = this.pick(THREADS);
    const ns = this.pick(NAMESPACES);
    const config: RunnableConfig = ns === '' && this.chance(0.5) ? { configurable: { thread_id: threadId } } : { configurable: { thread_id: threadId, checkpoint_ns: ns } };
    this.note(`getTuple latest ${threadId}/"${ns}"`);
    this.count('read');
    const tiered = await this.saver.getTuple(config);
    const memory = await this.memory.getTuple(config);
    this.agree('getTuple latest', memory, tiered);
  }

  async opList(): Promise<void> {
    const threadId = this.pick(THREADS);
    const roll = this.random();
    let config: RunnableConfig;
    if (roll < 0.5) config = { configurable: { thread_id: threadId, checkpoint_ns: this.pick(NAMESPACES) } };
    else if (roll < 0.88) config = { configurable: { thread_id: threadId } };
    else if (roll < 0.94) config = { configurable: {} };
    else {
      const ever = this.everConfigs();
      config = ever.length > 0 ? this.pick(ever) : { configurable: { thread_id: threadId } };
    }
    const options: CheckpointListOptions = {};
    if (this.chance(0.5)) options.limit = 1 + this.int(4);
    if (this.chance(0.3)) {
      const ever = this.everConfigs();
      if (ever.length > 0) options.before = this.pick(ever);
    }
    if (this.chance(0.25)) options.filter = this.pick(FILTERS);
    const c = config.configurable!;
    this.note(
      `list ${c.thread_id ?? '*'}/${c.checkpoint_ns === undefined ? '*' : `"${c.checkpoint_ns}"`}${c.checkpoint_id ? `/${short(c.checkpoint_id)}` : ''} limit=${options.limit} before=${short(options.before?.configurable?.checkpoint_id)} filter=${show(options.filter)}`,
    );
    this.count('read');
    const tiered = await collect(this.saver, config, options);
    let memory: CheckpointTuple[];
    if (c.thread_id === undefined || c.checkpoint_ns === undefined) {
      // Spans namespaces (or threads): compare in id order, cut the page after sorting.
      memory = (await collect(this.memory, config, { ...options, limit: undefined })).sort(byIdDesc);
      if (options.limit !== undefined) memory = memory.slice(0, options.limit);
    } else {
      memory = await collect(this.memory, config, options);
    }
    this.agree(`list (got [${tiered.map((t) => short(idOf(t))).join(',')}], MemorySaver [${memory.map((t) => short(idOf(t))).join(',')}])`, memory, tiered);
  }

  // ---- time and migration --------------------------------------------------------------------

  opAdvance(): void {
    const ms = this.pick(ADVANCES);
    this.clock.advance(ms);
    this.note(`advance ${ms / MINUTE} min`);
    this.count('advance');
  }

  tally(report: MigrationReport): void {
    this.migrated.checkpoints += report.checkpointsCopied;
    this.migrated.writes += report.writesCopied;
    this.migrated.evicted += report.entriesEvicted;
    this.migrated.changed += report.entriesChanged;
    this.migrated.skippedDeleted += report.threadsSkippedDeleted;
    this.migrated.batches += report.batches;
  }
  describeReport(r: MigrationReport): string {
    return `lease=${r.leaseAcquired} batches=${r.batches} copied=${r.checkpointsCopied}cp/${r.writesCopied}w/${r.blobsCopied}b evicted=${r.entriesEvicted} changed=${r.entriesChanged} skippedDeleted=${r.threadsSkippedDeleted} backlog=${r.backlogRemaining}`;
  }

  async opMigrate(): Promise<void> {
    this.note('migrate');
    this.count('migrate');
    const report = await this.saver.migrate();
    this.tally(report);
    this.note(`  -> ${this.describeReport(report)}`);
  }

  /** Migrates with 1-3 operations injected at one step of the first batch that reaches it. */
  async opMigrateWithInterference(): Promise<void> {
    const step = this.pick(STEPS);
    // Make something due first, so that the step is usually reached.
    const { copyAfterMs, hotWindowMs } = this.saver.options;
    const ahead = this.chance(0.5) ? copyAfterMs + MINUTE : hotWindowMs + HOUR;
    this.clock.advance(ahead);
    this.plan = { step, fired: false, count: 1 + this.int(3) };
    this.note(`advance ${ahead / MINUTE} min; migrate, injecting ${this.plan.count} op(s) at ${step}`);
    this.count('migrateInjected');
    let report: MigrationReport;
    try {
      report = await this.saver.migrate();
    } finally {
      const plan = this.plan;
      this.plan = undefined;
      if (!plan.fired) {
        this.note(`  (${step} not reached; running the ops after the run)`);
        await this.interfere(plan.count, plan.step);
      }
    }
    this.tally(report);
    this.note(`  -> ${this.describeReport(report)}`);
  }

  private async onStep(step: MigrationStep): Promise<void> {
    const plan = this.plan;
    if (!plan || plan.fired || plan.step !== step) return;
    plan.fired = true;
    this.note(`  [${step}] injecting:`);
    await this.interfere(plan.count, step);
  }

  private async interfere(count: number, step: MigrationStep): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const roll = this.random();
      // deleteThread inside the transaction would wait for the batch's own lock: not there.
      if (roll < 0.25 && step !== 'in-transaction') await this.deleteThread(this.pick(this.oracle.liveThreadIds().length > 0 ? this.oracle.liveThreadIds() : THREADS));
      else if (roll < 0.55) {
        if (!(await this.opPutWrites())) await this.opPut();
      } else if (roll < 0.75) await this.opPut();
      else if (roll < 0.85) await this.opGetById();
      else await this.opList();
    }
  }

  async opTwoReplicas(): Promise<void> {
    this.note('migrate on two replicas at once');
    this.count('migrateTwoReplicas');
    const reports = await Promise.all([this.saver.migrate(), this.replica.migrate()]);
    for (const r of reports) this.tally(r);
    this.note(`  -> ${reports.map((r) => this.describeReport(r)).join(' | ')}`);
    if (reports.every((r) => r.leaseAcquired) && reports.every((r) => r.batches > 0)) this.note('  (both replicas migrated: the lease did not serialise them)');
  }

  // ---- the sequence --------------------------------------------------------------------------

  async step(): Promise<void> {
    this.opNo += 1;
    const roll = this.int(100);
    if (roll < 29) return this.opPut();
    if (roll < 51) {
      if (!(await this.opPutWrites())) await this.opPut();
      return;
    }
    if (roll < 59) return this.opGetById();
    if (roll < 66) return this.opGetLatest();
    if (roll < 78) return this.opList();
    if (roll < 86) return this.opAdvance();
    if (roll < 93) return this.opMigrate();
    if (roll < 96) return this.opMigrateWithInterference();
    if (roll < 98) return this.opTwoReplicas();
    const live = this.oracle.liveThreadIds();
    return this.deleteThread(live.length > 0 && this.chance(0.8) ? this.pick(live) : this.pick(THREADS));
  }

  /** Problems of the final checks: collected, so one seed reports all of them at once. */
  readonly deferred: string[] = [];

  async expectOracle(stage: string, { defer = false, ...options }: Parameters<Oracle['check']>[1] & { defer?: boolean } = {}): Promise<void> {
    const problems = await this.oracle.check(this.saver, { listAllThreads: true, filters: CHECK_FILTERS, pageSize: 3, ...options });
    if (problems.length === 0) return;
    const message = `oracle check (${stage}) found ${problems.length} problem(s):\n  ${problems.join('\n  ')}`;
    if (!defer) this.fail(message);
    this.deferred.push(message);
  }

  async orphans(stage: string): Promise<Awaited<ReturnType<typeof countOrphans>>> {
    const report = await countOrphans(this.stores, this.saver.options.keyPrefix, this.oracle);
    if (report.problems.length > 0) this.deferred.push(`orphan check (${stage}):\n  ${report.problems.join('\n  ')}`);
    return report;
  }

  /** Migrates until nothing is due (clock far past every window). */
  async drain(): Promise<void> {
    this.clock.advance(30 * DAY);
    this.note('drain: advance 30 days, migrate until no backlog');
    for (let i = 0; i < 100; i += 1) {
      const report = await this.saver.migrate();
      this.tally(report);
      if (!report.backlogRemaining) return;
    }
    this.fail('drain: migration still reports a backlog after 100 runs');
  }

  async run(): Promise<SeedSummary> {
    await this.init();
    for (let i = 0; i < OPS; i += 1) {
      await this.step();
      if (i === Math.floor(OPS / 2)) {
        this.note('oracle check (mid-sequence)');
        // Lighter than the final checks: no filter lists, no limit/before walk.
        await this.expectOracle('mid-sequence', { filters: [], pageSize: 0 });
      }
    }
    this.opNo += 1;
    this.note('final: oracle check, orphan check');
    await this.expectOracle('after the sequence', { defer: true });
    // The model is the reference too: MemorySaver must pass the same oracle (namespace order aside).
    const reference = await this.oracle.check(this.memory, { listAllThreads: true, filters: FILTERS, pageSize: 3, orderAcrossNamespaces: false });
    if (reference.length > 0) this.deferred.push(`oracle disagrees with MemorySaver (a bug in the oracle or the test):\n  ${reference.join('\n  ')}`);
    await this.orphans('after the sequence');

    await this.drain();
    await this.expectOracle('after a full drain to PostgreSQL', { defer: true });
    const drained = await this.orphans('after a full drain');
    const residue = Object.entries(drained.redisKinds).filter(([kind]) => kind !== 'coldmax' && kind !== 'meta:marker');
    if (residue.length > 0) this.deferred.push(`after a full drain Redis still holds ${show(Object.fromEntries(residue))} (only coldmax and the marker may stay)`);
    const expectedCold = this.oracle.expectedColdRows();
    const cold = { checkpoints: drained.coldStats.checkpoints, blobs: drained.coldStats.blobs, writes: drained.coldStats.writes };
    this.coldAtDrain = cold;
    const d = describeDifference(expectedCold, cold);
    if (d) this.deferred.push(`after a full drain PostgreSQL row counts differ from the model: ${d} (expected ${show(expectedCold)}, got ${show(cold)})`);

    this.note('final: delete every thread');
    for (const t of this.oracle.threadIds()) await this.deleteThread(t);
    await this.expectOracle('after deleting every thread', { defer: true, filters: [], pageSize: 0 });
    const empty = await this.orphans('after deleting every thread');
    const left = Object.entries(empty.redisKinds).filter(([kind]) => kind !== 'meta:marker');
    if (left.length > 0) this.deferred.push(`after deleting every thread Redis still holds ${show(Object.fromEntries(left))}`);
    if (empty.coldStats.checkpoints + empty.coldStats.blobs + empty.coldStats.writes > 0) {
      this.deferred.push(`after deleting every thread PostgreSQL still holds ${show({ checkpoints: empty.coldStats.checkpoints, blobs: empty.coldStats.blobs, writes: empty.coldStats.writes })}`);
    }
    if (this.deferred.length > 0) this.fail(this.deferred.join('\n'));

    return this.summary('ok');
  }

  coldAtDrain = { checkpoints: 0, blobs: 0, writes: 0 };
  readonly started = Date.now();
  summary(status: SeedSummary['status']): SeedSummary {
    return { seed: this.seed, status, variant: this.variant.name, ops: OPS, counts: this.counts, migrated: this.migrated, coldAtDrain: this.coldAtDrain, ms: Date.now() - this.started };
  }
}

let stores: TestStores;

beforeAll(async () => {
  stores = await TestStores.create('model');
});
afterAll(async () => {
  await stores?.cleanup();
  if (summaries.length > 0) {
    const lines = summaries.map(
      (s) =>
        `SEED=${s.seed} ${s.status} [${s.variant}] ${s.ops} ops (${Object.entries(s.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}) migrated ${s.migrated.checkpoints} cp / ${s.migrated.writes} writes in ${s.migrated.batches} batches, evicted ${s.migrated.evicted}, changed ${s.migrated.changed}, skipped-deleted ${s.migrated.skippedDeleted}; cold at drain ${show(s.coldAtDrain)}; ${s.ms} ms`,
    );
    // eslint-disable-next-line no-console
    console.log(`model-based: ${summaries.length} seed(s)\n${lines.join('\n')}`);
  }
});

describe('model-based: tiered saver vs MemorySaver, checked by the oracle', () => {
  it.each(SEEDS)('SEED=%i agrees with MemorySaver and the oracle', async (seed) => {
    const run = new ModelRun(seed, variantFor(seed), stores);
    try {
      summaries.push(await run.run());
    } catch (error) {
      summaries.push(run.summary('FAILED'));
      const reason = error instanceof ModelFailure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
      const message = `SEED=${seed} [${run.variant.name}] failed at op ${run.log.length > 0 ? run.log[run.log.length - 1].split(' ')[0] : '?'}: ${reason}\nreplay: SEED=${seed} npm test -- test/faults/model-based\n--- op log (${run.log.length} lines) ---\n${run.log.join('\n')}`;
      throw new Error(message);
    }
  }, 120_000);
});

/**
 * The checker must not be vacuous: savers with known defects (built on MemorySaver) must be
 * reported, and a correct one with uncertain operations must pass.
 */
describe('oracle self-check', () => {
  const NS = { thread_id: 'self', checkpoint_ns: '' };
  const ids = Array.from({ length: 4 }, (_, i) => v6({ msecs: ID_EPOCH + 1 + i, nsecs: 0, clockseq: 1, node: NODE }));

  /** Three checkpoints, writes (regular, repeated, special newest-wins), a deleted thread. */
  async function workload(saver: Saver, oracle: Oracle): Promise<void> {
    const s = oracle.wrap(saver);
    let parent: RunnableConfig = { configurable: { ...NS } };
    for (const [i, id] of ids.slice(0, 3).entries()) {
      const checkpoint: Checkpoint = { v: 4, id, ts: new Date(ID_EPOCH).toISOString(), channel_values: { n: i }, channel_versions: { n: `v${i}` }, versions_seen: {} };
      parent = await s.put(parent, checkpoint, { source: 'loop', step: i, parents: {} } as CheckpointMetadata, { n: `v${i}` });
    }
    await s.putWrites(parent, [['n', 'first'], ['__error__', 'e1']], 'task-b', 'p');
    await s.putWrites(parent, [['n', 'second'], ['__error__', 'e2']], 'task-b', 'p');
    await s.putWrites(parent, [['n', 'a']], 'task-a', 'p');
    await s.put({ configurable: { thread_id: 'gone', checkpoint_ns: '' } }, { v: 4, id: ids[3], ts: '', channel_values: {}, channel_versions: {}, versions_seen: {} }, { source: 'input', step: -1, parents: {} } as CheckpointMetadata, {});
    await s.deleteThread('gone');
  }

  /** MemorySaver with one defect injected into its reads. */
  function defective(defect: 'drop-write' | 'reverse-writes' | 'duplicate' | 'ignore-delete' | 'wrong-latest'): Saver {
    const memory = new MemorySaver();
    const fix = (t: CheckpointTuple | undefined) => {
      if (!t) return t;
      if (defect === 'drop-write' && (t.pendingWrites?.length ?? 0) > 0) return { ...t, pendingWrites: t.pendingWrites!.slice(0, -1) };
      if (defect === 'reverse-writes') return { ...t, pendingWrites: [...(t.pendingWrites ?? [])].reverse() };
      return t;
    };
    return {
      put: memory.put.bind(memory),
      putWrites: memory.putWrites.bind(memory),
      deleteThread: defect === 'ignore-delete' ? async () => undefined : memory.deleteThread.bind(memory),
      async getTuple(config: RunnableConfig) {
        if (defect === 'wrong-latest' && !config.configurable?.checkpoint_id) return fix(await memory.getTuple({ configurable: { ...config.configurable, checkpoint_id: ids[0] } }));
        return fix(await memory.getTuple(config));
      },
      async *list(config: RunnableConfig, options?: CheckpointListOptions) {
        for await (const t of memory.list(config, options)) {
          yield fix(t)!;
          if (defect === 'duplicate') yield fix(t)!;
        }
      },
    } as unknown as Saver;
  }

  it('passes a correct saver', async () => {
    const oracle = new Oracle();
    const saver = new MemorySaver();
    await workload(saver as unknown as Saver, oracle);
    expect(await oracle.check(saver, { listAllThreads: true })).toEqual([]);
  });

  it.each(['drop-write', 'reverse-writes', 'duplicate', 'ignore-delete', 'wrong-latest'] as const)('reports a saver that has defect %s', async (defect) => {
    const oracle = new Oracle();
    const saver = defective(defect);
    await workload(saver, oracle);
    const problems = await oracle.check(saver, { listAllThreads: true });
    expect(problems.length).toBeGreaterThan(0);
  });

  it('accepts an operation that failed either way, but not a wrong value for it', async () => {
    const oracle = new Oracle();
    const saver = new MemorySaver();
    await workload(saver as unknown as Saver, oracle);
    const config = { configurable: { ...NS, checkpoint_id: ids[2] } };
    // A putWrites that "failed" but did land, and one that failed and did not.
    await saver.putWrites(config, [['__error__', 'e3']], 'task-b', 'p');
    oracle.recordPutWrites(config, [['__error__', 'e3']], 'task-b', 'p', 'maybe');
    oracle.recordPutWrites(config, [['n', 'lost']], 'task-c', 'p', 'maybe');
    expect(await oracle.check(saver)).toEqual([]);
    // A landed value the oracle never saw is a discrepancy.
    await saver.putWrites(config, [['n', 'unrecorded']], 'task-z', 'p');
    expect((await oracle.check(saver)).join('\n')).toMatch(/pendingWrites/);
  });
});
