import {
  TASKS,
  maxChannelVersion,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type ChannelVersions,
  type PendingWrite,
  type SerializerProtocol,
  WRITES_IDX_MAP,
} from '@langchain/langgraph-checkpoint';
import type { BlobRecord, CheckpointKey, ColdCheckpoint, ColdCheckpointJsonRow, WriteRecord } from '../core/records.js';
import { InvalidCheckpointError, InvalidWritesError, PayloadTooLargeError, StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';
import { jsonProblem, textProblem } from '../core/storable-text.js';
import type { HotCheckpoint, HotCheckpointWrite, HotEntry } from '../hot-tier/hot-entry.codec.js';

const decoder = new TextDecoder();

/** Serde bytes of a JSON document as the JSON text PostgreSQL's JSONB column parses. */
function jsonTextFromSerde(type: string, bytes: Uint8Array, what: string): string {
  if (type !== 'json') throw new StoreCorruptedError(`${what} was serialized as "${type}"; the cold tier stores it as JSONB and needs "json"`);
  // Raw NUL bytes are dropped, as PostgresSaver does: PostgreSQL text cannot hold them.
  const text = decoder.decode(bytes);
  return text.includes('\0') ? text.replace(/\0/g, '') : text;
}

/** A tuple assembled from either tier, with the identity the merge rules need. */
export interface KeyedTuple extends CheckpointKey {
  tuple: CheckpointTuple;
}

/**
 * Turns LangGraph objects into what the tiers store and back. All state bytes come from the
 * saver's `serde`; the checkpoint skeleton and metadata also exist as JSON for PostgreSQL's
 * JSONB columns, in exactly the form `PostgresSaver` writes.
 */
export class TupleCodec {
  constructor(
    private readonly serde: SerializerProtocol,
    private readonly maxPayloadBytes: number,
  ) {}

  /** Everything `put` hands to Redis. Throws {@link PayloadTooLargeError} before anything is stored. */
  async encodePut(key: CheckpointKey, parentCheckpointId: string | undefined, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<HotCheckpointWrite> {
    const { channel_values: values = {}, ...skeleton } = checkpoint;
    const [skeletonBytes, metadataBytes, blobs] = await Promise.all([
      this.serde.dumpsTyped(skeleton),
      this.serde.dumpsTyped(metadata),
      Promise.all(
        Object.entries(newVersions).map(async ([channel, version]): Promise<BlobRecord> => {
          if (!(channel in values)) return { channel, version: String(version), type: 'empty', bytes: null };
          const [type, bytes] = await this.serde.dumpsTyped((values as Record<string, unknown>)[channel]);
          return { channel, version: String(version), type, bytes };
        }),
      ),
    ]);
    for (const [what, [type, bytes]] of [['checkpoint', skeletonBytes], ['metadata', metadataBytes]] as const) {
      // PostgreSQL keeps both as JSONB (as PostgresSaver does): other serde types could never migrate.
      const problem = type === 'json' ? jsonProblem(bytes) : `was serialized by the serde as "${type}", not "json"`;
      if (problem) throw new InvalidCheckpointError(`put: the ${what} of checkpoint ${checkpoint.id} ${problem}; PostgreSQL cannot store it, so it could never migrate.`);
    }
    const size = skeletonBytes[1].length + metadataBytes[1].length + blobs.reduce((n, b) => n + (b.bytes?.length ?? 0), 0);
    if (size > this.maxPayloadBytes) throw new PayloadTooLargeError(`checkpoint ${checkpoint.id}`, size, this.maxPayloadBytes);

    // Every (channel, version) the checkpoint refers to, plus values written under versions its
    // own map does not name, so each stored value is referenced and eventually released.
    const refs = new Map<string, { channel: string; version: string }>();
    for (const [channel, version] of [...Object.entries(checkpoint.channel_versions ?? {}), ...Object.entries(newVersions)]) {
      refs.set(`${channel}\0${String(version)}`, { channel, version: String(version) });
    }
    return { ...key, skeleton: skeletonBytes, metadata: metadataBytes, parentCheckpointId, blobs, refs: [...refs.values()] };
  }

  /** Serialized writes of one `putWrites` call, indexed as LangGraph's savers index them. */
  async encodeWrites(writes: PendingWrite[], taskId: string, taskPath: string): Promise<WriteRecord[]> {
    return Promise.all(
      writes.map(async ([channel, value], i) => {
        for (const [what, text] of [['channel', channel], ['task path', taskPath]] as const) {
          const problem = textProblem(text);
          if (problem) throw new InvalidWritesError(`putWrites: the ${what} ${JSON.stringify(text)} of task ${taskId} ${problem}; PostgreSQL cannot store it.`);
        }
        const [type, bytes] = await this.serde.dumpsTyped(value);
        if (bytes.length > this.maxPayloadBytes) throw new PayloadTooLargeError(`write to channel "${channel}" of task ${taskId}`, bytes.length, this.maxPayloadBytes);
        return { taskId, idx: WRITES_IDX_MAP[channel] ?? i, channel, type, bytes, taskPath };
      }),
    );
  }

  /** A hot checkpoint as a tuple; `coldBlobs` are the values it references that live in PostgreSQL. */
  async decodeHot(key: CheckpointKey, hot: HotCheckpoint, writes: WriteRecord[], coldBlobs: BlobRecord[] = []): Promise<CheckpointTuple> {
    const skeleton = (await this.serde.loadsTyped(hot.skeletonType, hot.skeleton)) as Omit<Checkpoint, 'channel_values'>;
    const metadata = (await this.serde.loadsTyped(hot.metadataType, hot.metadata)) as CheckpointMetadata;
    return this.assemble(key, skeleton, metadata, hot.parentCheckpointId, [...coldBlobs, ...hot.blobs], writes);
  }

  /** A cold row as a tuple, read the way `PostgresSaver` reads its own rows. */
  async decodeCold(row: ColdCheckpoint, writes: WriteRecord[]): Promise<CheckpointTuple> {
    // Revived through serde as PostgresSaver does; the JSON text goes in as is (serde accepts
    // strings), no UTF-8 round trip.
    const metadata = (await this.serde.loadsTyped('json', JSON.stringify(row.metadata))) as CheckpointMetadata;
    const skeleton = row.checkpoint as unknown as Omit<Checkpoint, 'channel_values'>;
    return this.assemble(row, skeleton, metadata, row.parentCheckpointId ?? undefined, row.blobs, writes);
  }

  private async assemble(
    key: CheckpointKey,
    skeleton: Omit<Checkpoint, 'channel_values'>,
    metadata: CheckpointMetadata,
    parentCheckpointId: string | undefined,
    blobs: BlobRecord[],
    writes: WriteRecord[],
  ): Promise<CheckpointTuple> {
    const versions = skeleton.channel_versions ?? {};
    const channelValues: Record<string, unknown> = {};
    await Promise.all(
      blobs.map(async (b) => {
        if (b.type === 'empty' || b.bytes === null) return;
        // Only the version the checkpoint names is its value (a value stored under another
        // version of the channel belongs to another checkpoint).
        if (String(versions[b.channel]) !== b.version) return;
        channelValues[b.channel] = await this.serde.loadsTyped(b.type, b.bytes);
      }),
    );
    const checkpoint: Checkpoint = {
      ...skeleton,
      channel_values: channelValues,
      channel_versions: { ...versions },
      versions_seen: skeleton.versions_seen ?? {},
    } as Checkpoint;
    const ids = { thread_id: key.threadId, checkpoint_ns: key.checkpointNs };
    return {
      config: { configurable: { ...ids, checkpoint_id: key.checkpointId } },
      checkpoint,
      metadata,
      parentConfig: parentCheckpointId ? { configurable: { ...ids, checkpoint_id: parentCheckpointId } } : undefined,
      pendingWrites: await this.decodeWrites(writes),
    };
  }

  /** Writes (already in `writesSortKey` order) as LangGraph's pending writes. */
  async decodeWrites(writes: WriteRecord[]): Promise<CheckpointPendingWrite[]> {
    return Promise.all(writes.map(async (w) => [w.taskId, w.channel, await this.serde.loadsTyped(w.type, w.bytes)] as CheckpointPendingWrite));
  }

  /**
   * Checkpoints of format v < 4 kept pending sends as writes to TASKS on their parent; newer
   * LangGraph expects them as a channel value. Applied on read, as the stock savers do.
   */
  async applyPendingSends(tuple: CheckpointTuple, parentWrites: WriteRecord[]): Promise<void> {
    const checkpoint = tuple.checkpoint;
    const sends = await Promise.all(parentWrites.filter((w) => w.channel === TASKS).map((w) => this.serde.loadsTyped(w.type, w.bytes)));
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : 1;
  }

  /**
   * A hot entry as the row PostgreSQL stores (used by migration). The serde's JSON text goes to
   * JSONB as it is: PostgreSQL parses it anyway, and a parse + stringify here would only cost
   * CPU (the text came from JSON.stringify, so it is already what a re-stringify would give).
   */
  toColdRow(entry: HotEntry): ColdCheckpointJsonRow | undefined {
    const hot = entry.checkpoint;
    if (!hot) return undefined;
    return {
      threadId: entry.threadId,
      checkpointNs: entry.checkpointNs,
      checkpointId: entry.checkpointId,
      parentCheckpointId: hot.parentCheckpointId ?? null,
      checkpointJson: jsonTextFromSerde(hot.skeletonType, hot.skeleton, `checkpoint ${entry.checkpointId}`),
      metadataJson: jsonTextFromSerde(hot.metadataType, hot.metadata, `metadata of checkpoint ${entry.checkpointId}`),
    };
  }
}
