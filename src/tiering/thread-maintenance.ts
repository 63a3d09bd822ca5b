import type { CheckpointMetadata, CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { ColdTierStore } from '../cold-tier/cold-tier.store.js';
import type { Clock } from '../core/clock.js';
import type { WriteRecord } from '../core/records.js';
import type { HotTierStore } from '../hot-tier/hot-tier.store.js';
import { checkpointsToKeep, type RetentionPolicy } from './retention.js';
import { mergeWrites } from './tier-merge.js';
import type { TupleCodec } from './tuple-codec.js';

/** What a prune removed. */
export interface PruneReport {
  threads: number;
  checkpointsKept: number;
  checkpointsDeleted: number;
  /** Rows removed from PostgreSQL (checkpoints, writes, values). */
  coldRowsDeleted: { checkpoints: number; writes: number; blobs: number };
}

/** The saver operations maintenance needs (a narrow view of `TieredCheckpointSaver`). */
export interface MaintainedSaver {
  list(config: { configurable: Record<string, unknown> }, options?: { before?: unknown }): AsyncGenerator<CheckpointTuple>;
}

/**
 * Thread-level maintenance across both tiers: pruning old checkpoints (a cost lever) and copying
 * a thread. Reads go through the saver, so they see both tiers merged; deletions go to each tier
 * directly, Redis first (like `deleteThread`), then PostgreSQL, whose transaction bumps the
 * thread's epoch so an in-flight migration batch cannot write a pruned checkpoint back.
 */
export class ThreadMaintenance {
  constructor(
    private readonly saver: MaintainedSaver,
    private readonly hot: HotTierStore,
    private readonly cold: ColdTierStore,
    private readonly codec: TupleCodec,
    private readonly clock: Clock,
  ) {}

  async prune(threadIds: string[], policy: RetentionPolicy): Promise<PruneReport> {
    const report: PruneReport = { threads: 0, checkpointsKept: 0, checkpointsDeleted: 0, coldRowsDeleted: { checkpoints: 0, writes: 0, blobs: 0 } };
    if (policy.mode === 'all') return report;
    for (const threadId of threadIds) {
      const tuples: CheckpointTuple[] = [];
      for await (const t of this.saver.list({ configurable: { thread_id: threadId } })) tuples.push(t);
      const candidates = tuples.map((tuple) => ({ checkpointNs: tuple.config.configurable!.checkpoint_ns as string, checkpointId: tuple.config.configurable!.checkpoint_id as string, tuple }));
      const keep = checkpointsToKeep(candidates, policy);
      const drop = candidates.filter((c) => !keep.has(`${c.checkpointNs}\0${c.checkpointId}`));
      report.threads += 1;
      report.checkpointsKept += candidates.length - drop.length;
      report.checkpointsDeleted += drop.length;
      if (drop.length === 0) continue;
      const keepRefs = candidates
        .filter((c) => keep.has(`${c.checkpointNs}\0${c.checkpointId}`))
        .flatMap((c) => Object.entries(c.tuple.checkpoint.channel_versions).map(([channel, version]) => ({ checkpointNs: c.checkpointNs, channel, version: String(version) })));
      await this.hot.deleteEntries(threadId, drop);
      const rows = await this.cold.pruneThread(threadId, drop, keepRefs);
      report.coldRowsDeleted.checkpoints += rows.checkpoints;
      report.coldRowsDeleted.writes += rows.writes;
      report.coldRowsDeleted.blobs += rows.blobs;
    }
    return report;
  }

  /**
   * Copies every checkpoint of `from` (all namespaces, both tiers) with its values, metadata,
   * parent links and pending writes (task paths included) to thread `to`, into Redis. Returns
   * the number of checkpoints copied. The target thread must be empty.
   */
  async copyThread(from: string, to: string): Promise<number> {
    const tuples: CheckpointTuple[] = [];
    for await (const t of this.saver.list({ configurable: { thread_id: from } })) tuples.push(t);
    tuples.reverse(); // oldest first, so every parent exists before its children
    const now = this.clock.now();
    for (const t of tuples) {
      const ns = t.config.configurable!.checkpoint_ns as string;
      const id = t.config.configurable!.checkpoint_id as string;
      const parent = t.parentConfig?.configurable?.checkpoint_id as string | undefined;
      // Every channel value is written under its own version: the copy stands alone.
      const write = await this.codec.encodePut({ threadId: to, checkpointNs: ns, checkpointId: id }, parent, t.checkpoint, (t.metadata ?? {}) as CheckpointMetadata, t.checkpoint.channel_versions);
      await this.hot.putCheckpoint(write, now);
      const writes = await this.rawWrites(from, ns, id);
      if (writes.length > 0) await this.hot.putWrites({ threadId: to, checkpointNs: ns, checkpointId: id }, writes, now);
    }
    return tuples.length;
  }

  /** The stored writes of one checkpoint with their task paths (tuples carry no path). */
  private async rawWrites(threadId: string, checkpointNs: string, checkpointId: string): Promise<WriteRecord[]> {
    const [hot, cold] = await Promise.all([this.hot.getTuple(threadId, checkpointNs, checkpointId), this.cold.getTuple(threadId, checkpointNs, checkpointId)]);
    return mergeWrites(cold?.writes ?? [], hot.writes);
  }
}
