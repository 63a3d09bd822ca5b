import { randomUUID } from 'node:crypto';
import type { ColdTierStore } from '../cold-tier/cold-tier.store.js';
import type { CheckpointKey, MigrationBatch } from '../core/records.js';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import type { HotEntry, HotTierStore } from '../hot-tier/hot-tier.store.js';
import type { TupleCodec } from './tuple-codec.js';

/** What one migration run did. */
export interface MigrationReport {
  /** False when another replica held the lease; nothing else was done. */
  leaseAcquired: boolean;
  startedAt: number;
  finishedAt: number;
  /** The clock reading the windows were measured from. */
  asOf: number;
  batches: number;
  checkpointsCopied: number;
  writesCopied: number;
  blobsCopied: number;
  /** Serialized bytes sent to PostgreSQL (values, writes, skeletons, metadata). */
  bytesCopied: number;
  /** Entries removed from Redis (at copy time, or later once the hot window passed). */
  entriesEvicted: number;
  /** Entries left queued because they changed while being copied; the next batch copies them again. */
  entriesChanged: number;
  /** Threads not written because they were deleted while their batch was in flight. */
  threadsSkippedDeleted: number;
  /** True when the run stopped at its batch budget with more due; the next run continues. */
  backlogRemaining: boolean;
  /** Set when the lease was lost mid-run (another replica continues). */
  leaseLost: boolean;
  /** Checkpoints the retention policy deleted after copying (0 with the default, keep all). */
  checkpointsPruned: number;
  /** Threads deleted from both tiers because they were idle longer than `threadTtlMs`. */
  threadsExpired: number;
  /**
   * Threads whose rows PostgreSQL refused (a data error, not an outage): left in Redis, still
   * readable, retried by the next run; the other threads of their batch migrated. At most
   * {@link MAX_FAILED_THREADS_LISTED} are listed; `threadsFailed` counts them all.
   */
  threadsFailed: number;
  failedThreads: Array<{ threadId: string; reason: string }>;
}

/** How many failed threads a report names. */
export const MAX_FAILED_THREADS_LISTED = 20;

const encoder = new TextEncoder();

/** A report of a run that has done nothing yet (the one place its fields get their zero). */
export function emptyMigrationReport(asOf: number, startedAt = Date.now()): MigrationReport {
  return {
    leaseAcquired: false,
    startedAt,
    finishedAt: 0,
    asOf,
    batches: 0,
    checkpointsCopied: 0,
    writesCopied: 0,
    blobsCopied: 0,
    bytesCopied: 0,
    entriesEvicted: 0,
    entriesChanged: 0,
    threadsSkippedDeleted: 0,
    backlogRemaining: false,
    leaseLost: false,
    checkpointsPruned: 0,
    threadsExpired: 0,
    threadsFailed: 0,
    failedThreads: [],
  };
}

/**
 * Moves entries that aged past the window from Redis to PostgreSQL, in bounded batches.
 *
 * Protocol per batch (each step safe to crash after):
 * 1. read the tombstone epochs of the batch's threads (PostgreSQL);
 * 2. read the entries with their mutation counters, atomically per thread (Redis);
 * 3. write them in one PostgreSQL transaction that skips threads whose epoch moved (deleted
 *    meanwhile) — upserts, so re-running a batch changes nothing;
 * 4. per thread, remove (or mark copied) exactly the entries whose counter is unchanged;
 *    entries that took writes meanwhile stay queued and are copied again.
 * A crash before 4 leaves data in both tiers, which reads de-duplicate; the next run repeats 3
 * harmlessly and finishes 4. Replicas take a lease first, so normally one migrates at a time;
 * even two at once only repeat idempotent work.
 */
export class MigrationRunner {
  constructor(
    private readonly hot: HotTierStore,
    private readonly cold: ColdTierStore,
    private readonly codec: TupleCodec,
    private readonly options: ResolvedTieredCheckpointOptions,
    /** Applies the retention policy to threads whose history just moved (see `retention.ts`). */
    private readonly retain: (threadIds: string[]) => Promise<{ checkpointsDeleted: number }> = async () => ({ checkpointsDeleted: 0 }),
  ) {}

  async run({ now }: { now?: number } = {}): Promise<MigrationReport> {
    const asOf = now ?? this.options.clock.now();
    const report = emptyMigrationReport(asOf);
    const token = randomUUID();
    const { migrationLeaseMs: leaseMs } = this.options;
    if (!(await this.hot.acquireLease(token, leaseMs))) {
      report.finishedAt = Date.now();
      return report;
    }
    report.leaseAcquired = true;
    try {
      const evictAtCopy = this.options.copyAfterMs === this.options.hotWindowMs;
      const copiedThreads = new Set<string>();
      await this.copyDue(asOf - this.options.copyAfterMs, evictAtCopy, token, report, copiedThreads);
      if (this.options.retention.mode !== 'all' && copiedThreads.size > 0 && !report.leaseLost) {
        report.checkpointsPruned = (await this.retain([...copiedThreads])).checkpointsDeleted;
      }
      if (!evictAtCopy && !report.leaseLost) await this.evictDue(asOf - this.options.hotWindowMs, report);
      if (this.options.threadTtlMs > 0 && !report.leaseLost) await this.expireIdle(asOf - this.options.threadTtlMs, report);
    } finally {
      await this.hot.releaseLease(token).catch(() => undefined);
      report.finishedAt = Date.now();
    }
    return report;
  }

  /**
   * Batches one after another, each read from Redis while the one before it is written to
   * PostgreSQL (at most two batches in memory; see {@link readBatch} for what a batch read ahead
   * leaves out). Each batch still goes epochs -> read -> commit -> lease check -> clean-up.
   */
  private async copyDue(cutoff: number, evict: boolean, token: string, report: MigrationReport, copiedThreads: Set<string>): Promise<void> {
    const { migrationBatchSize: batchSize, migrationMaxBatchesPerRun: maxBatches, migrationLeaseMs: leaseMs } = this.options;
    const hook = this.options.migrationStepHook;
    // Threads PostgreSQL refused in this run: not read again until the next run.
    const refused = new Set<string>();
    let pending = await this.readBatch(cutoff, batchSize, undefined, report.batches + 1, refused);
    while (pending) {
      const current = pending;
      const batchNo = report.batches + 1;
      const readAhead = batchNo < maxBatches;
      const [{ skippedThreads, failedThreads }, next] = await settleBoth(
        this.writeBatch(current, batchNo),
        readAhead ? this.readBatch(cutoff, batchSize, current, batchNo + 1, refused) : Promise.resolve(undefined),
      );
      await hook?.('after-commit', batchNo);
      report.threadsSkippedDeleted += skippedThreads.length;
      for (const failed of failedThreads) {
        refused.add(failed.threadId);
        report.threadsFailed += 1;
        if (report.failedThreads.length < MAX_FAILED_THREADS_LISTED) report.failedThreads.push(failed);
      }
      // A migrator that stalled past its lease leaves the clean-up to the replica that holds it
      // now (version tokens would make a late clean-up safe anyway; this just avoids racing it).
      if (!(await this.hot.renewLease(token, leaseMs))) {
        report.leaseLost = true;
        return;
      }

      // Deleted and refused threads are only re-indexed: their entries stay queued in Redis.
      const skipped = new Set([...skippedThreads, ...failedThreads.map((f) => f.threadId)]);
      const byThread = groupByThread(current.entries);
      // Every thread the batch scanned is finished, even with no entries: that re-indexes a
      // thread whose index score was stale (or cleans entries that hold no data), so the loop
      // cannot spin on it. Threads deleted meanwhile only get re-indexed. Threads the batch had
      // no room for keep their index entry and come first in a later batch.
      const toFinish = current.scanned.map((threadId) => {
        const threadEntries = skipped.has(threadId) ? [] : (byThread.get(threadId) ?? []);
        if (threadEntries.some((e) => e.checkpoint)) copiedThreads.add(threadId);
        return { threadId, entries: threadEntries.map((e) => ({ ...e, hasCheckpoint: e.checkpoint !== undefined })) };
      });
      // The first thread alone, then the rest together (the 'mid-cleanup' step lies between).
      const finishedFirst = await this.hot.finishCopy(toFinish.slice(0, 1), evict);
      await hook?.('mid-cleanup', batchNo);
      for (const { finished, changed } of [...finishedFirst, ...(await this.hot.finishCopy(toFinish.slice(1), evict))]) {
        if (evict) report.entriesEvicted += finished;
        report.entriesChanged += changed;
      }
      report.batches += 1;
      const refusedNow = new Set(failedThreads.map((f) => f.threadId));
      const copied = <T extends { threadId: string }>(rows: T[]) => (refusedNow.size === 0 ? rows.length : rows.filter((r) => !refusedNow.has(r.threadId)).length);
      report.checkpointsCopied += copied(current.batch.checkpoints);
      report.writesCopied += copied(current.batch.writes);
      report.blobsCopied += copied(current.batch.blobs);
      report.bytesCopied += current.bytes;
      if (!(await this.hot.renewLease(token, leaseMs))) {
        report.leaseLost = true;
        return;
      }
      if (!readAhead) {
        // At the batch budget: the next run continues if anything is still due.
        report.backlogRemaining = (await this.hot.threadsDue('age', cutoff, 1)).length > 0;
        return;
      }
      // Nothing but the finished batch's threads was due when reading ahead: look again, for
      // entries of those threads that changed while being copied (still queued) or were left over.
      pending = next ?? (await this.readBatch(cutoff, batchSize, undefined, report.batches + 1, refused));
    }
  }

  /**
   * Writes a batch in one transaction. If PostgreSQL refuses its data (SQLSTATE class 22/23:
   * a value it cannot store, not an outage), the batch is written again thread by thread, so
   * one bad thread does not stop every thread queued behind it; the threads refused alone are
   * returned and stay in Redis. Outages and other errors fail the run as before (retried).
   */
  private async writeBatch(current: ReadBatch, batchNo: number): Promise<{ skippedThreads: string[]; failedThreads: Array<{ threadId: string; reason: string }> }> {
    const hook = this.options.migrationStepHook;
    const write = (batch: MigrationBatch) =>
      this.cold.writeMigrationBatch(batch, current.epochs, { beforeCommit: hook ? async () => hook('in-transaction', batchNo) : undefined });
    try {
      return { ...(await write(current.batch)), failedThreads: [] };
    } catch (error) {
      if (!isDataError(error)) throw error;
    }
    const skippedThreads: string[] = [];
    const failedThreads: Array<{ threadId: string; reason: string }> = [];
    for (const threadId of current.scanned) {
      const own = <T extends { threadId: string }>(rows: T[]) => rows.filter((r) => r.threadId === threadId);
      const batch = { checkpoints: own(current.batch.checkpoints), blobs: own(current.batch.blobs), writes: own(current.batch.writes) };
      if (batch.checkpoints.length + batch.blobs.length + batch.writes.length === 0) continue;
      try {
        skippedThreads.push(...(await write(batch)).skippedThreads);
      } catch (error) {
        if (!isDataError(error)) throw error;
        failedThreads.push({ threadId, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { skippedThreads, failedThreads };
  }

  /**
   * Reads the next batch (undefined when nothing is due). With a batch in flight, its threads
   * are left out (their entries stay queued until it is finished), except the thread it ended
   * in the middle of: that one continues after the last entry in flight, so batches stay full.
   * Epochs are read before the entries: a delete that lands after the epoch read is caught by
   * the transaction.
   */
  private async readBatch(cutoff: number, batchSize: number, inFlight: ReadBatch | undefined, batchNo: number, refused: ReadonlySet<string>): Promise<ReadBatch | undefined> {
    const split = inFlight?.split;
    const exclude = new Set([...(inFlight?.scanned.filter((t) => t !== split?.threadId) ?? []), ...refused]);
    const due = await this.hot.threadsDue('age', cutoff, batchSize + exclude.size);
    // The oldest threads are chosen by age; among them, batches go in thread-id order, so a
    // backlog lands in PostgreSQL in primary-key order and the B-tree pages fill up instead of
    // splitting in halves all over the index (-23 % index bytes on the bench's first migration).
    const threads = due.filter((t) => !exclude.has(t)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (threads.length === 0) return undefined;
    const counts = await this.hot.countDue(threads, cutoff);
    const picks: Pick[] = [];
    let budget = batchSize;
    for (let i = 0; i < threads.length && budget > 0; i += 1) {
      const threadId = threads[i]!;
      const continued = threadId === split?.threadId ? split : undefined;
      const due = Math.max(0, counts[i]! - (continued?.inFlight ?? 0));
      const limit = Math.min(due, budget);
      picks.push({ threadId, limit, after: continued?.after, more: limit < due });
      budget -= limit;
    }
    const scanned = picks.map((p) => p.threadId);
    const epochs = await this.cold.readThreadEpochs(scanned);
    // A count can grow before the read (a concurrent put); the limit keeps the batch bounded.
    const perThread = await Promise.all(picks.map((p) => (p.limit > 0 ? this.hot.readEntries(p.threadId, cutoff, p.limit, p.after) : [])));
    await this.options.migrationStepHook?.('after-read', batchNo);
    const entries = perThread.flat();
    const last = picks.length - 1;
    const lastRead = perThread[last]!;
    const splitNow =
      picks[last]!.more && lastRead.length > 0
        ? { threadId: picks[last]!.threadId, after: lastRead[lastRead.length - 1]!, inFlight: lastRead.length }
        : undefined;
    return { scanned, epochs, entries, split: splitNow, ...this.toBatch(entries) };
  }

  private toBatch(entries: HotEntry[]): { batch: MigrationBatch; bytes: number } {
    const batch: MigrationBatch = { checkpoints: [], blobs: [], writes: [] };
    // Checkpoints of one thread share channel values; send each value once per batch.
    const blobsSeen = new Set<string>();
    let bytes = 0;
    for (const entry of entries) {
      const row = this.codec.toColdRow(entry);
      if (row && entry.checkpoint) {
        batch.checkpoints.push(row);
        bytes += entry.checkpoint.skeleton.length + entry.checkpoint.metadata.length;
        for (const blob of entry.checkpoint.blobs) {
          const key = `${entry.threadId}\0${entry.checkpointNs}\0${blob.channel}\0${blob.version}`;
          if (blobsSeen.has(key)) continue;
          blobsSeen.add(key);
          batch.blobs.push({ threadId: entry.threadId, checkpointNs: entry.checkpointNs, ...blob });
          bytes += blob.bytes?.length ?? 0;
        }
      }
      for (const w of entry.writes) {
        batch.writes.push({ threadId: entry.threadId, checkpointNs: entry.checkpointNs, checkpointId: entry.checkpointId, ...w });
        bytes += w.bytes.length + encoder.encode(w.channel).length;
      }
    }
    return { batch, bytes };
  }

  /**
   * Thread TTL: deletes threads idle since before `cutoff` from both tiers. Redis first, only if
   * the thread is still idle at that moment (atomic with the delete), leaving a tombstone that
   * refuses late writes; then PostgreSQL, whose epoch bump stops a batch in flight from writing
   * the thread back.
   */
  private async expireIdle(cutoff: number, report: MigrationReport): Promise<void> {
    const { migrationBatchSize: batchSize, migrationMaxBatchesPerRun: maxBatches, threadTombstoneMs } = this.options;
    for (let round = 0; round < maxBatches; round += 1) {
      const idle = await this.hot.idleThreads(cutoff, batchSize);
      if (idle.length === 0) return;
      let expiredThisRound = 0;
      for (const threadId of idle) {
        if (!(await this.hot.deleteThread(threadId, { idleBefore: cutoff, tombstoneMs: threadTombstoneMs }))) continue;
        await this.cold.deleteThread(threadId);
        report.threadsExpired += 1;
        expiredThisRound += 1;
      }
      // Every candidate became active again: their new scores are past the cutoff.
      if (expiredThisRound === 0) return;
    }
    report.backlogRemaining = true;
  }

  /** Drops copied entries that are now older than the hot window (copy/evict split). */
  private async evictDue(cutoff: number, report: MigrationReport): Promise<void> {
    const { migrationBatchSize: batchSize, migrationMaxBatchesPerRun: maxBatches } = this.options;
    for (let round = 0; round < maxBatches; round += 1) {
      const threads = await this.hot.threadsDue('copied', cutoff, batchSize);
      if (threads.length === 0) return;
      report.entriesEvicted += await this.hot.evictCopied(threads, cutoff, batchSize);
    }
    report.backlogRemaining = true;
  }
}

/** PostgreSQL refused the data itself (SQLSTATE class 22 data exception, 23 integrity), not the connection. */
function isDataError(error: unknown): boolean {
  // node-postgres puts the SQLSTATE on the error; Prisma's raw API (P2010) nests the driver
  // adapter's error in `meta`.
  type Coded = { code?: unknown; originalCode?: unknown };
  const e = error as (Coded & { meta?: Coded & { driverAdapterError?: { cause?: Coded } }; cause?: Coded }) | null;
  const adapter = e?.meta?.driverAdapterError?.cause;
  return [e?.code, e?.meta?.code, e?.cause?.code, e?.cause?.originalCode, adapter?.code, adapter?.originalCode].some(
    (code) => typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code),
  );
}

function groupByThread<T extends { threadId: string }>(items: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(item.threadId);
    if (list) list.push(item);
    else map.set(item.threadId, [item]);
  }
  return map;
}

/** One thread of a batch: how many due entries to read, and after which entry. */
interface Pick {
  threadId: string;
  limit: number;
  after?: CheckpointKey;
  /** More is due than the batch had room for. */
  more: boolean;
}

/** One batch read from Redis, ready to be written. */
interface ReadBatch {
  /** Threads the batch covers (finished after the commit, even those with no entries). */
  scanned: string[];
  /**
   * The thread the batch ended in the middle of: a batch read while this one is in flight
   * continues after `after`, and its due count includes the `inFlight` entries read here.
   */
  split?: { threadId: string; after: CheckpointKey; inFlight: number };
  epochs: Map<string, number>;
  entries: HotEntry[];
  batch: MigrationBatch;
  bytes: number;
}

/**
 * Awaits both; rejects with the first failure only once both settled, so a failed read ahead
 * never leaves a transaction running unobserved (and a failed write never one of its reads).
 */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}
