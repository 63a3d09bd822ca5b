/**
 * Tier-neutral shapes of what the saver stores. Both tiers speak these; bytes always come
 * from the saver's `serde` (never `JSON.stringify` of state), except the checkpoint skeleton
 * and metadata, which the cold tier keeps as JSONB exactly as `PostgresSaver` does so that
 * either saver can read the other's rows.
 */

/** A channel value at one version (`type === 'empty'` and `bytes === null` when the channel had no value). */
export interface BlobRecord {
  channel: string;
  version: string;
  type: string;
  bytes: Uint8Array | null;
}

/** One pending write of a task against a checkpoint. `idx` is negative for special channels (WRITES_IDX_MAP). */
export interface WriteRecord {
  taskId: string;
  idx: number;
  channel: string;
  type: string;
  bytes: Uint8Array;
  /** Serialized task path passed to `putWrites`; `''` when none was given. */
  taskPath: string;
}

/** Identity of one checkpoint. */
export interface CheckpointKey {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
}

/**
 * A checkpoint as the cold tier stores it: skeleton (`Checkpoint` minus `channel_values`) and
 * metadata as plain JSON, channel values and writes as serde bytes.
 */
export interface ColdCheckpointRow extends CheckpointKey {
  parentCheckpointId: string | null;
  checkpoint: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** A cold checkpoint with the channel values its `channel_versions` reference and its pending writes. */
export interface ColdCheckpoint extends ColdCheckpointRow {
  blobs: BlobRecord[];
  /** Sorted by (taskPath, taskId, idx). */
  writes: WriteRecord[];
}

/**
 * A checkpoint row whose skeleton and metadata are JSON text already (as the serde wrote them):
 * migration hands that text to the JSONB columns as it is, instead of parsing and re-stringifying.
 */
export interface ColdCheckpointJsonRow extends CheckpointKey {
  parentCheckpointId: string | null;
  checkpointJson: string;
  metadataJson: string;
}

/** What one migration batch copies into PostgreSQL in one transaction. */
export interface MigrationBatch {
  checkpoints: Array<ColdCheckpointRow | ColdCheckpointJsonRow>;
  blobs: Array<{ threadId: string; checkpointNs: string } & BlobRecord>;
  writes: Array<CheckpointKey & WriteRecord>;
}

/** Query for `list` on one tier. Absent fields do not filter. Results are newest first. */
export interface ListQuery {
  threadId?: string;
  checkpointNs?: string;
  /** Only checkpoints whose id sorts strictly before this one. */
  before?: string;
  limit?: number;
  /** Metadata containment filter (JSONB `@>` semantics). */
  filter?: Record<string, unknown>;
}
