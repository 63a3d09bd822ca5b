import type { RunnableConfig } from '@langchain/core/runnables';
import {
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';

/**
 * The oracle: an independent model of what a checkpoint saver must return, fed with every
 * operation the saver *acknowledged* (its promise resolved), and a checker that reads the real
 * saver back and lists every discrepancy in plain words.
 *
 * It knows nothing about tiers. It models LangGraph's contract the way `PostgresSaver` stores
 * it: a checkpoint's channel values are the values stored under the versions its
 * `channel_versions` names (written by whichever put had that version in `newVersions`);
 * pending writes are keyed by (task, idx) — a regular write keeps the first value stored, a
 * special channel (negative idx from `WRITES_IDX_MAP`) the newest — and come back in
 * `writesSortKey` order; `deleteThread` removes everything of the thread.
 *
 * An operation that failed (rejected promise) may or may not have taken effect; record it with
 * outcome `'maybe'`: the checker then accepts it present (and correct) or absent. A failed
 * `deleteThread` leaves the thread `uncertain`: only structural checks apply to it until a
 * delete succeeds.
 *
 * Pure: no store clients here. Used by the tests (`test/support/oracle.ts`) and by
 * `npm run verify` against a live deployment (`src/verify/verify.ts`).
 *
 * Preconditions on the workload (the checker reports violations as `workload:` problems):
 * a (thread, namespace, channel, version) names one value; writes to the same (task, idx)
 * of one checkpoint are not issued concurrently (their order would be undefined).
 */

/** Whether the saver acknowledged an operation ('ack') or it failed and may have happened ('maybe'). */
export type Outcome = 'ack' | 'maybe';

/** The part of a saver the checker reads through. */
export type ReadableSaver = {
  getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined>;
  list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple>;
};

/** One recorded checkpoint. */
export interface RecordedCheckpoint {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentCheckpointId?: string;
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  newVersions: ChannelVersions;
  outcome: Outcome;
  /** Order of recording (global). */
  seq: number;
}

/** One recorded attempt to store a pending write under (task, idx). */
export interface WriteAttempt {
  taskId: string;
  idx: number;
  channel: string;
  value: unknown;
  taskPath: string;
  outcome: Outcome;
  seq: number;
}

export type ThreadState = 'live' | 'deleted' | 'uncertain';

interface ThreadModel {
  threadId: string;
  state: ThreadState;
  /** Bumped by every acknowledged delete. */
  generation: number;
  /** Current generation only, key `ns\0id`. */
  checkpoints: Map<string, RecordedCheckpoint>;
  /** Current generation only: key `ns\0id` -> key `task\0idx` -> attempts in order. */
  writes: Map<string, Map<string, WriteAttempt[]>>;
  /** Current generation only: key `ns\0channel\0version`. */
  values: Map<string, { empty: boolean; value?: unknown; checkpointId: string }>;
  /** Every checkpoint ever put into this thread (all generations), key `ns\0id`. */
  everIds: Map<string, { checkpointNs: string; checkpointId: string }>;
  /** Every namespace ever used (puts or writes). */
  namespaces: Set<string>;
}

/** What the checker expects for one checkpoint. */
export interface ExpectedTuple {
  record: RecordedCheckpoint;
  tuple: CheckpointTuple;
  /** Set when some pending write of it is uncertain (a failed putWrites): writes are matched loosely. */
  looseWrites?: { certain: WriteAttempt[][]; optional: WriteAttempt[][] };
}

const key2 = (a: string, b: string) => `${a}\0${b}`;

/** `structuredClone` for plain data; values it cannot clone are kept by reference. */
function snapshot<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

function configOf(threadId: string, checkpointNs: string, checkpointId: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpointId } };
}

/** Short, bounded rendering of a value for a problem message. */
export function show(value: unknown, max = 160): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? `<${v.byteLength} bytes>` : typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * The first difference between two values, as `path: expected X, got Y`, or undefined when equal.
 * Properties whose value is `undefined` count as absent (as `toEqual` does); object key order
 * does not matter (JSONB reorders keys); array order does; bytes compare by content.
 */
export function describeDifference(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (expected === actual) return undefined;
  if (typeof expected === 'number' && typeof actual === 'number') {
    return Number.isNaN(expected) && Number.isNaN(actual) ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
  }
  if (expected instanceof Uint8Array || actual instanceof Uint8Array) {
    if (!(expected instanceof Uint8Array && actual instanceof Uint8Array)) return `${path}: expected ${show(expected)}, got ${show(actual)}`;
    if (expected.byteLength !== actual.byteLength || expected.some((b, i) => b !== actual[i])) return `${path}: bytes differ`;
    return undefined;
  }
  if (expected instanceof Date || actual instanceof Date) {
    if (expected instanceof Date && actual instanceof Date && expected.getTime() === actual.getTime()) return undefined;
    return `${path}: expected ${show(expected)}, got ${show(actual)}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!(Array.isArray(expected) && Array.isArray(actual))) return `${path}: expected ${show(expected)}, got ${show(actual)}`;
    if (expected.length !== actual.length) return `${path}: expected ${expected.length} items ${show(expected)}, got ${actual.length} ${show(actual)}`;
    for (let i = 0; i < expected.length; i += 1) {
      const d = describeDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isPlainObject(expected) && isPlainObject(actual)) {
    const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
    const ek = keys(expected);
    const ak = new Set(keys(actual));
    for (const k of ek) {
      if (!ak.has(k)) return `${path}.${k}: missing (expected ${show(expected[k])})`;
      const d = describeDifference(expected[k], actual[k], `${path}.${k}`);
      if (d) return d;
      ak.delete(k);
    }
    for (const k of ak) return `${path}.${k}: unexpected ${show(actual[k])}`;
    return undefined;
  }
  return `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

/** JSONB containment (`@>`), the semantics of `list({ filter })` in PostgresSaver. Independent of the saver's own copy. */
function contains(doc: unknown, filter: unknown): boolean {
  if (filter === null || typeof filter !== 'object') return doc === filter;
  if (Array.isArray(filter)) return Array.isArray(doc) && filter.every((f) => doc.some((d) => contains(d, f)));
  if (!isPlainObject(doc)) return false;
  return Object.entries(filter as Record<string, unknown>).every(([k, v]) => Object.prototype.hasOwnProperty.call(doc, k) && contains(doc[k], v));
}

function idOf(t: CheckpointTuple | undefined): string | undefined {
  return t?.config?.configurable?.checkpoint_id as string | undefined;
}
function nsOf(t: CheckpointTuple): string {
  return (t.config?.configurable?.checkpoint_ns as string | undefined) ?? '';
}
function threadOf(t: CheckpointTuple): string | undefined {
  return t.config?.configurable?.thread_id as string | undefined;
}

/** The model of every acknowledged operation. */
export class CheckpointOracle {
  private readonly threads = new Map<string, ThreadModel>();
  private seq = 0;
  /** Problems found while recording (workload contract violations). */
  readonly workloadProblems: string[] = [];
  /** Counters for summaries. */
  readonly counts = { puts: 0, putWrites: 0, writes: 0, deletes: 0, maybe: 0 };

  private thread(threadId: string): ThreadModel {
    let t = this.threads.get(threadId);
    if (!t) {
      t = { threadId, state: 'live', generation: 0, checkpoints: new Map(), writes: new Map(), values: new Map(), everIds: new Map(), namespaces: new Set() };
      this.threads.set(threadId, t);
    }
    return t;
  }

  /** Records a `put(config, checkpoint, metadata, newVersions)`. Call after the promise settled. */
  recordPut(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions, outcome: Outcome = 'ack'): void {
    const threadId = config.configurable?.thread_id as string;
    const checkpointNs = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const parent = config.configurable?.checkpoint_id as string | undefined;
    const t = this.thread(threadId);
    // Written after a delete: the thread exists again (a failed put may have created it too).
    if (t.state === 'deleted') t.state = 'live';
    const record: RecordedCheckpoint = {
      threadId,
      checkpointNs,
      checkpointId: checkpoint.id,
      parentCheckpointId: parent === '' ? undefined : parent,
      checkpoint: snapshot(checkpoint),
      metadata: snapshot(metadata),
      newVersions: { ...(newVersions ?? {}) },
      outcome,
      seq: (this.seq += 1),
    };
    const k = key2(checkpointNs, checkpoint.id);
    const previous = t.checkpoints.get(k);
    // An acknowledged put replaces; a failed one over an acknowledged one leaves either.
    if (!(previous && previous.outcome === 'ack' && outcome === 'maybe')) t.checkpoints.set(k, record);
    t.everIds.set(k, { checkpointNs, checkpointId: checkpoint.id });
    t.namespaces.add(checkpointNs);
    const values = (checkpoint.channel_values ?? {}) as Record<string, unknown>;
    for (const [channel, version] of Object.entries(newVersions ?? {})) {
      const vk = `${checkpointNs}\0${channel}\0${String(version)}`;
      const entry = channel in values && values[channel] !== undefined ? { empty: false, value: snapshot(values[channel]), checkpointId: checkpoint.id } : { empty: true, checkpointId: checkpoint.id };
      const known = t.values.get(vk);
      if (known && (known.empty !== entry.empty || describeDifference(known.value, entry.value))) {
        this.workloadProblems.push(
          `workload: thread ${threadId} ns "${checkpointNs}" channel "${channel}" version ${String(version)} was given two values (checkpoints ${known.checkpointId} and ${checkpoint.id}); savers that store values per version may return either`,
        );
      }
      if (!known) t.values.set(vk, entry);
    }
    this.counts.puts += 1;
    if (outcome === 'maybe') this.counts.maybe += 1;
  }

  /** Records a `putWrites(config, writes, taskId, taskPath)`. */
  recordPutWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath: string | undefined, outcome: Outcome = 'ack'): void {
    const threadId = config.configurable?.thread_id as string;
    const checkpointNs = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const checkpointId = config.configurable?.checkpoint_id as string;
    const t = this.thread(threadId);
    if (t.state === 'deleted') t.state = 'live';
    t.namespaces.add(checkpointNs);
    const k = key2(checkpointNs, checkpointId);
    let perCheckpoint = t.writes.get(k);
    if (!perCheckpoint) t.writes.set(k, (perCheckpoint = new Map()));
    writes.forEach(([channel, value], i) => {
      const idx = (WRITES_IDX_MAP as Record<string, number>)[channel] ?? i;
      const wk = key2(taskId, String(idx));
      const attempts = perCheckpoint.get(wk) ?? [];
      attempts.push({ taskId, idx, channel, value: snapshot(value), taskPath: taskPath ?? '', outcome, seq: (this.seq += 1) });
      perCheckpoint.set(wk, attempts);
    });
    this.counts.putWrites += 1;
    this.counts.writes += writes.length;
    if (outcome === 'maybe') this.counts.maybe += 1;
  }

  /** Records a `deleteThread(threadId)`. */
  recordDeleteThread(threadId: string, outcome: Outcome = 'ack'): void {
    const t = this.thread(threadId);
    if (outcome === 'ack') {
      t.state = 'deleted';
      t.generation += 1;
      t.checkpoints.clear();
      t.writes.clear();
      t.values.clear();
    } else {
      t.state = 'uncertain';
    }
    this.counts.deletes += 1;
    if (outcome === 'maybe') this.counts.maybe += 1;
  }

  /** 'live', 'deleted' (acknowledged delete, nothing written since) or 'uncertain' (a delete failed). */
  stateOf(threadId: string): ThreadState | undefined {
    return this.threads.get(threadId)?.state;
  }

  /** Thread ids the oracle has seen. */
  threadIds(): string[] {
    return [...this.threads.keys()];
  }

  /** Threads that exist (or may exist): not deleted since their last write. */
  liveThreadIds(): string[] {
    return [...this.threads.values()].filter((t) => t.state !== 'deleted').map((t) => t.threadId);
  }

  /** Threads deleted (acknowledged) and not written since. */
  deletedThreadIds(): string[] {
    return [...this.threads.values()].filter((t) => t.state === 'deleted').map((t) => t.threadId);
  }

  /** Namespaces ever used by a thread. */
  namespacesOf(threadId: string): string[] {
    return [...(this.threads.get(threadId)?.namespaces ?? [])].sort();
  }

  /** Recorded checkpoints of the current generation, newest first (all namespaces unless given). */
  checkpointsOf(threadId: string, checkpointNs?: string): RecordedCheckpoint[] {
    const t = this.threads.get(threadId);
    if (!t || t.state === 'deleted') return [];
    return [...t.checkpoints.values()].filter((c) => checkpointNs === undefined || c.checkpointNs === checkpointNs).sort(newestFirst);
  }

  /** The recorded checkpoint, if it belongs to the current generation of its thread. */
  checkpoint(threadId: string, checkpointNs: string, checkpointId: string): RecordedCheckpoint | undefined {
    const t = this.threads.get(threadId);
    if (!t || t.state === 'deleted') return undefined;
    return t.checkpoints.get(key2(checkpointNs, checkpointId));
  }

  /** Every (ns, id) ever put into the thread, any generation. */
  everCheckpointsOf(threadId: string): Array<{ checkpointNs: string; checkpointId: string }> {
    return [...(this.threads.get(threadId)?.everIds.values() ?? [])];
  }

  /** What PostgreSQL should hold once everything is copied: rows of the current generation of every thread. */
  expectedColdRows(): { checkpoints: number; blobs: number; writes: number } {
    let checkpoints = 0;
    let writes = 0;
    let blobs = 0;
    for (const t of this.threads.values()) {
      if (t.state === 'deleted') continue;
      checkpoints += t.checkpoints.size;
      for (const perCheckpoint of t.writes.values()) writes += perCheckpoint.size;
      blobs += t.values.size;
    }
    return { checkpoints, blobs, writes };
  }

  /** The tuple a correct saver returns for a recorded checkpoint. */
  expected(record: RecordedCheckpoint): ExpectedTuple {
    const t = this.threads.get(record.threadId)!;
    const given = record.checkpoint;
    const channelValues: Record<string, unknown> = {};
    for (const [channel, version] of Object.entries(given.channel_versions ?? {})) {
      const stored = t.values.get(`${record.checkpointNs}\0${channel}\0${String(version)}`);
      if (stored) {
        if (!stored.empty) channelValues[channel] = stored.value;
        continue;
      }
      // A version no put of this thread/namespace introduced: only the caller's copy knows the value.
      const own = (given.channel_values as Record<string, unknown> | undefined)?.[channel];
      if (own !== undefined) channelValues[channel] = own;
    }
    const checkpoint = { ...given, channel_values: channelValues, channel_versions: { ...(given.channel_versions ?? {}) }, versions_seen: given.versions_seen ?? {} } as Checkpoint;
    const { winners, optional } = this.pendingWrites(t, record.checkpointNs, record.checkpointId);
    const tuple: CheckpointTuple = {
      config: configOf(record.threadId, record.checkpointNs, record.checkpointId),
      checkpoint,
      metadata: record.metadata,
      parentConfig: record.parentCheckpointId ? configOf(record.threadId, record.checkpointNs, record.parentCheckpointId) : undefined,
      pendingWrites: winners.map((w) => [w.taskId, w.channel, w.value]),
    };
    return { record, tuple, looseWrites: optional.length > 0 ? { certain: winners.map((w) => [w]), optional } : undefined };
  }

  /**
   * Winners per (task, idx) in `writesSortKey` order. With uncertain attempts, `optional` lists
   * for each uncertain key the attempts that may be the one stored.
   */
  private pendingWrites(t: ThreadModel, checkpointNs: string, checkpointId: string): { winners: WriteAttempt[]; optional: WriteAttempt[][] } {
    const winners: WriteAttempt[] = [];
    const optional: WriteAttempt[][] = [];
    for (const attempts of t.writes.get(key2(checkpointNs, checkpointId))?.values() ?? []) {
      const special = attempts[0].idx < 0;
      const ordered = special ? [...attempts].reverse() : attempts;
      const firstAck = ordered.findIndex((a) => a.outcome === 'ack');
      if (firstAck === 0) {
        winners.push(ordered[0]);
      } else {
        // Uncertain attempts before the first acknowledged one may have won instead.
        optional.push(firstAck === -1 ? ordered : ordered.slice(0, firstAck + 1));
      }
    }
    winners.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
    return { winners, optional };
  }
}

function newestFirst(a: { checkpointId: string; checkpointNs: string }, b: { checkpointId: string; checkpointNs: string }): number {
  if (a.checkpointId !== b.checkpointId) return a.checkpointId < b.checkpointId ? 1 : -1;
  return a.checkpointNs < b.checkpointNs ? -1 : a.checkpointNs > b.checkpointNs ? 1 : 0;
}

/** The write side of a saver, as the oracle records it. */
export type WritableSaver = ReadableSaver & {
  put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig>;
  putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void>;
  deleteThread(threadId: string): Promise<void>;
};

/**
 * A proxy of `saver` that records each `put` / `putWrites` / `deleteThread` in `oracle` when
 * its promise settles: resolved = acknowledged, rejected = may have happened (`'maybe'`), and
 * the error is rethrown. Every other member passes through to the saver.
 */
export function recordingSaver<S extends WritableSaver>(saver: S, oracle: CheckpointOracle): S {
  const recorders: Record<string, (target: S, args: unknown[]) => Promise<unknown>> = {
    async put(target, args) {
      const [config, checkpoint, metadata, newVersions] = args as Parameters<S['put']>;
      try {
        const out = await target.put(config, checkpoint, metadata, newVersions);
        oracle.recordPut(config, checkpoint, metadata, newVersions, 'ack');
        return out;
      } catch (error) {
        oracle.recordPut(config, checkpoint, metadata, newVersions, 'maybe');
        throw error;
      }
    },
    async putWrites(target, args) {
      const [config, writes, taskId, taskPath] = args as Parameters<S['putWrites']>;
      try {
        await target.putWrites(config, writes, taskId, taskPath);
        oracle.recordPutWrites(config, writes, taskId, taskPath, 'ack');
      } catch (error) {
        oracle.recordPutWrites(config, writes, taskId, taskPath, 'maybe');
        throw error;
      }
    },
    async deleteThread(target, args) {
      const [threadId] = args as [string];
      try {
        await target.deleteThread(threadId);
        oracle.recordDeleteThread(threadId, 'ack');
      } catch (error) {
        oracle.recordDeleteThread(threadId, 'maybe');
        throw error;
      }
    },
  };
  return new Proxy(saver, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.prototype.hasOwnProperty.call(recorders, prop)) return (...args: unknown[]) => recorders[prop](target, args);
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Options of {@link checkOracle}. */
export interface CheckOptions {
  /**
   * Also check `list({})` (every thread): only when the saver's storage holds nothing but the
   * oracle's threads (a test's own prefix and schema), never on a shared deployment.
   */
  listAllThreads?: boolean;
  /** Page size of the `limit`/`before` walk per (thread, namespace); 0 disables. Default 2. */
  pageSize?: number;
  /** Metadata filters to check per thread (each against the model's containment). */
  filters?: Array<Record<string, unknown>>;
  /**
   * Whether `list` across namespaces (or threads) must be newest first overall (PostgresSaver's
   * order, and this saver's). `false` only requires order within each (thread, namespace) —
   * MemorySaver lists namespace by namespace. Default true.
   */
  orderAcrossNamespaces?: boolean;
  /** Reads in flight at once. Default 8. */
  concurrency?: number;
  /** Stop after this many problems (the rest are summarised). Default 50. */
  maxProblems?: number;
}

async function collect(saver: ReadableSaver, config: RunnableConfig, options?: CheckpointListOptions): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list(config, options)) out.push(t);
  return out;
}

/** Compares one returned tuple with the expected one; returns the difference or undefined. */
export function compareTuple(expected: ExpectedTuple, actual: CheckpointTuple): string | undefined {
  const { tuple } = expected;
  const withoutWrites = (t: CheckpointTuple) => ({ config: t.config, checkpoint: t.checkpoint, metadata: t.metadata, parentConfig: t.parentConfig });
  const d = describeDifference(withoutWrites(tuple), withoutWrites(actual));
  if (d) return d;
  if (!expected.looseWrites) return describeDifference(tuple.pendingWrites ?? [], actual.pendingWrites ?? [], '$.pendingWrites');
  // Uncertain writes: every certain winner present, every other write one of the optional candidates, no key twice.
  const remaining = [...expected.looseWrites.certain.map((c) => ({ c, must: true })), ...expected.looseWrites.optional.map((c) => ({ c, must: false }))];
  for (const w of actual.pendingWrites ?? []) {
    const at = remaining.findIndex(({ c }) => c.some((a) => a.taskId === w[0] && a.channel === w[1] && !describeDifference(a.value, w[2])));
    if (at === -1) return `$.pendingWrites: unexpected write ${show(w)}`;
    remaining.splice(at, 1);
  }
  const missing = remaining.find((r) => r.must);
  return missing ? `$.pendingWrites: missing write ${show([missing.c[0].taskId, missing.c[0].channel, missing.c[0].value])}` : undefined;
}

/**
 * Reads everything the oracle recorded back through the saver and returns every discrepancy
 * (empty = the saver agrees with the model):
 * - each checkpoint of a live thread: `getTuple` by id returns it exactly (config, parent,
 *   metadata, channel values, pending writes in `writesSortKey` order);
 * - `list` per thread and per (thread, namespace): every checkpoint exactly once, newest first,
 *   each tuple as above, nothing unrecorded; a `limit`/`before` walk yields the same sequence;
 * - "latest" per (thread, namespace) is the newest;
 * - deleted threads: nothing readable, by id, as latest or through `list`; no checkpoint of an
 *   earlier generation of a re-created thread comes back.
 */
export async function checkOracle(saver: ReadableSaver, oracle: CheckpointOracle, options: CheckOptions = {}): Promise<string[]> {
  const maxProblems = options.maxProblems ?? 50;
  const pageSize = options.pageSize ?? 2;
  const orderAcross = options.orderAcrossNamespaces ?? true;
  const concurrency = Math.max(1, options.concurrency ?? 8);

  /** One independent group of reads; its problems come out in a fixed place of the report. */
  type Check = (add: (problem: string) => void) => Promise<void>;
  const checks: Check[] = [];

  const safe = async <T>(add: (p: string) => void, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      add(`${what}: threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      return undefined;
    }
  };

  /** Checks one list result against the expected records (newest first). */
  const checkList = (add: (p: string) => void, what: string, got: CheckpointTuple[], expected: RecordedCheckpoint[], strictSet: boolean) => {
    const seen = new Set<string>();
    const byKey = new Map(expected.map((r) => [`${r.threadId}\0${r.checkpointNs}\0${r.checkpointId}`, r]));
    const previous = new Map<string, string>();
    for (const [i, t] of got.entries()) {
      const id = idOf(t) ?? '';
      const k = `${threadOf(t)}\0${nsOf(t)}\0${id}`;
      if (seen.has(k)) add(`${what}: checkpoint ${nsOf(t) || '""'}/${id} returned twice`);
      seen.add(k);
      const orderKey = orderAcross ? '' : `${threadOf(t)}\0${nsOf(t)}`;
      const before = previous.get(orderKey);
      if (before !== undefined && id > before) add(`${what}: not newest first at position ${i}: ${id} after ${before}`);
      previous.set(orderKey, id);
      const record = byKey.get(k);
      if (!record) {
        add(`${what}: returned checkpoint ${threadOf(t)}/${nsOf(t) || '""'}/${id} that was never acknowledged (or was deleted)`);
        continue;
      }
      const d = compareTuple(oracle.expected(record), t);
      if (d) add(`${what}: checkpoint ${nsOf(t) || '""'}/${id}: ${d}`);
    }
    if (strictSet) {
      for (const r of expected) {
        if (r.outcome === 'ack' && !seen.has(`${r.threadId}\0${r.checkpointNs}\0${r.checkpointId}`)) add(`${what}: acknowledged checkpoint ${r.checkpointNs || '""'}/${r.checkpointId} missing`);
      }
    }
  };

  for (const threadId of oracle.threadIds()) {
    // After a failed deleteThread anything of the thread may or may not be there: lenient checks.
    const strict = oracle.stateOf(threadId) !== 'uncertain';
    const current = oracle.checkpointsOf(threadId);
    const currentKeys = new Set(current.map((c) => key2(c.checkpointNs, c.checkpointId)));

    // By id: every current checkpoint exactly as recorded.
    for (const r of current) {
      checks.push(async (add) => {
        const what = `getTuple(${threadId}, "${r.checkpointNs}", ${r.checkpointId})`;
        const got = await safe(add, what, () => saver.getTuple(configOf(threadId, r.checkpointNs, r.checkpointId)));
        if (got === undefined) {
          if (r.outcome === 'ack' && strict) add(`${what}: acknowledged checkpoint not found`);
          return;
        }
        const d = compareTuple(oracle.expected(r), got);
        if (d) add(`${what}: ${d}`);
      });
    }
    // Everything of earlier generations (deleted) stays gone, unless put again.
    for (const e of strict ? oracle.everCheckpointsOf(threadId) : []) {
      if (currentKeys.has(key2(e.checkpointNs, e.checkpointId))) continue;
      checks.push(async (add) => {
        const what = `getTuple(${threadId}, "${e.checkpointNs}", ${e.checkpointId})`;
        const got = await safe(add, what, () => saver.getTuple(configOf(threadId, e.checkpointNs, e.checkpointId)));
        if (got !== undefined) add(`${what}: checkpoint of a deleted thread (or earlier generation of it) is readable`);
      });
    }

    // Whole thread, every namespace.
    checks.push(async (add) => {
      const all = await safe(add, `list(${threadId})`, () => collect(saver, { configurable: { thread_id: threadId } }));
      if (all) checkList(add, `list(${threadId})`, all, current, strict);
    });

    for (const ns of oracle.namespacesOf(threadId)) {
      const expectedNs = current.filter((c) => c.checkpointNs === ns);
      const where = `${threadId}, "${ns}"`;
      const address = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
      checks.push(async (add) => {
        const full = await safe(add, `list(${where})`, () => collect(saver, address));
        if (!full) return;
        checkList(add, `list(${where})`, full, expectedNs, strict);
        const latest = await safe(add, `getTuple(${where}, latest)`, () => saver.getTuple(address));
        if (full.length === 0 && latest !== undefined) add(`getTuple(${where}, latest): returned ${idOf(latest)} but the namespace holds no checkpoint`);
        if (full.length > 0 && idOf(latest) !== idOf(full[0])) add(`getTuple(${where}, latest): returned ${String(idOf(latest))}, newest is ${idOf(full[0])}`);
        if (latest && full.length > 0 && idOf(latest) === idOf(full[0])) {
          const r = expectedNs.find((c) => c.checkpointId === idOf(latest));
          const d = r && compareTuple(oracle.expected(r), latest);
          if (d) add(`getTuple(${where}, latest): ${d}`);
        }
        if (pageSize > 0 && full.length > 0) {
          const walked: CheckpointTuple[] = [];
          let before: RunnableConfig | undefined;
          for (let page = 0; page < full.length + 2; page += 1) {
            const got = await safe(add, `list(${where}, limit ${pageSize}, page ${page})`, () => collect(saver, address, { limit: pageSize, before }));
            if (!got) break;
            if (got.length > pageSize) add(`list(${where}, limit ${pageSize}): returned ${got.length} items`);
            walked.push(...got);
            if (got.length < pageSize) break;
            before = got[got.length - 1].config;
          }
          const a = walked.map(idOf).join(',');
          const b = full.map(idOf).join(',');
          if (a !== b) add(`list(${where}) walked with limit ${pageSize} + before: [${a}] differs from the full list [${b}]`);
        }
      });
    }

    for (const filter of options.filters ?? []) {
      checks.push(async (add) => {
        const what = `list(${threadId}, filter ${show(filter)})`;
        const got = await safe(add, what, () => collect(saver, { configurable: { thread_id: threadId } }, { filter }));
        if (got) checkList(add, what, got, current.filter((c) => contains(c.metadata, filter)), strict);
      });
    }
  }

  if (options.listAllThreads) {
    checks.push(async (add) => {
      const all = await safe(add, 'list({})', () => collect(saver, { configurable: {} }));
      if (!all) return;
      const expected = oracle.threadIds().flatMap((t) => oracle.checkpointsOf(t));
      checkList(add, 'list({})', all, expected, oracle.threadIds().every((t) => oracle.stateOf(t) !== 'uncertain'));
    });
  }

  // Run the groups a few at a time; report in their fixed order, whatever order they finish in.
  const results: string[][] = checks.map(() => []);
  let next = 0;
  let total = 0;
  const worker = async () => {
    while (next < checks.length && total < maxProblems) {
      const i = next;
      next += 1;
      await checks[i]((p) => {
        results[i].push(p);
        total += 1;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, checks.length) }, worker));
  const problems = [...oracle.workloadProblems, ...results.flat()];
  if (problems.length > maxProblems) return [...problems.slice(0, maxProblems), `… and ${problems.length - maxProblems} more`];
  return problems;
}
