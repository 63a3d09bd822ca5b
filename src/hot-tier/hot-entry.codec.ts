/**
 * How one hot entry is laid out in Redis values, and back: the checkpoint value (one packed
 * string: refs, cold refs, then the parts only the client reads), channel values and writes
 * (record-codec packings, optionally compressed). Pure functions over what the scripts return.
 */
import type { BlobRecord, CheckpointKey, WriteRecord } from '../core/records.js';
import { decompressHot } from './hot-compression.js';
import { pack, unpack } from './record-codec.js';
import { SEP } from './redis-keys.js';

export const EMPTY = Buffer.alloc(0);

/** A checkpoint as Redis holds it: serde bytes, not yet deserialized. */
export interface HotCheckpoint {
  skeletonType: string;
  skeleton: Buffer;
  metadataType: string;
  metadata: Buffer;
  parentCheckpointId?: string;
  /** Channel values found in Redis. */
  blobs: BlobRecord[];
  /** Channel values this checkpoint references that live in PostgreSQL only. */
  coldRefs: Array<{ channel: string; version: string }>;
}

/** What Redis knows about one checkpoint lookup. */
export interface HotLookup {
  /** The id looked up, or the latest hot id when none was given; undefined when Redis has none. */
  checkpointId?: string;
  /** Highest id of this namespace already copied to PostgreSQL, if any. */
  coldMax?: string;
  checkpoint?: HotCheckpoint;
  /** Pending writes held in Redis for checkpoint `writesFor` (unsorted). */
  writes: WriteRecord[];
  /**
   * The checkpoint `writes` belong to: the one looked up, or for "latest" with no hot
   * checkpoint the cold high-water mark (normally PostgreSQL's latest).
   */
  writesFor?: string;
}

/** One entry read for migration, with the counter that makes its clean-up exact. */
export interface HotEntry extends CheckpointKey {
  version: string;
  ageScore: number;
  checkpoint?: HotCheckpoint;
  writes: WriteRecord[];
}

/** Input of {@link HotTierStore.putCheckpoint}. */
export interface HotCheckpointWrite extends CheckpointKey {
  skeleton: [string, Uint8Array];
  metadata: [string, Uint8Array];
  parentCheckpointId?: string;
  /** Values of the channels in `newVersions`. */
  blobs: BlobRecord[];
  /** Every (channel, version) this checkpoint references. */
  refs: Array<{ channel: string; version: string }>;
}

/** A Buffer over the same memory (serde output is already bytes; copying it costs GC). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function toStr(b: Buffer | string | null | undefined): string {
  if (b === null || b === undefined) return '';
  return typeof b === 'string' ? b : b.toString('utf8');
}

function flatToMap(flat: Array<Buffer | string>): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const v = flat[i + 1];
    map.set(toStr(flat[i]), typeof v === 'string' ? Buffer.from(v) : v);
  }
  return map;
}

function parseRefs(joined: string): Array<{ channel: string; version: string }> {
  if (joined === '') return [];
  return joined.split('\x01').map((f) => {
    const at = f.indexOf(SEP);
    return { channel: f.slice(0, at), version: f.slice(at + 1) };
  });
}

export function decodeWrites(flat: Array<Buffer | string>): WriteRecord[] {
  const out: WriteRecord[] = [];
  for (const [field, value] of flatToMap(flat)) {
    const at = field.lastIndexOf(SEP);
    const [channel, storedType, storedBytes, taskPath] = unpack(value, 4);
    const [type, bytes] = decompressHot(storedType.toString('utf8'), storedBytes);
    out.push({
      taskId: field.slice(0, at),
      idx: Number(field.slice(at + 1)),
      channel: channel.toString('utf8'),
      type,
      bytes: new Uint8Array(bytes),
      taskPath: taskPath.toString('utf8'),
    });
  }
  return out;
}

/** Parts of a checkpoint value, in order (the Lua side reads and rewrites the first two). */
const CHECKPOINT_PARTS = 7;

/** The part of a checkpoint value the client writes: everything after refs and cold. */
export function packCheckpointRest(write: HotCheckpointWrite): Buffer {
  return pack([asBuffer(write.skeleton[1]), write.skeleton[0], asBuffer(write.metadata[1]), write.metadata[0], write.parentCheckpointId ?? '']);
}

export function decodeCheckpoint(value: Buffer | string, blobValues: Array<Buffer | null>): HotCheckpoint | undefined {
  if (value.length === 0) return undefined;
  const [refsPart, coldPart, skeleton, skeletonType, metadata, metadataType, parent] = unpack(typeof value === 'string' ? Buffer.from(value) : value, CHECKPOINT_PARTS);
  const refs = parseRefs(refsPart.toString('utf8'));
  const blobs: BlobRecord[] = [];
  const coldRefs = parseRefs(coldPart.toString('utf8'));
  refs.forEach((ref, i) => {
    const blob = blobValues[i];
    // A counted reference whose value is gone can only mean outside interference; fall back to
    // PostgreSQL for it rather than returning a checkpoint without the channel.
    if (!blob) return void coldRefs.push(ref);
    const [storedType, storedBytes] = unpack(blob, 2);
    const [t, bytes] = decompressHot(storedType.toString('utf8'), storedBytes);
    blobs.push({ ...ref, type: t, bytes: t === 'empty' ? null : new Uint8Array(bytes) });
  });
  const parentId = parent.toString('utf8');
  return {
    skeletonType: skeletonType.toString('utf8'),
    skeleton,
    metadataType: metadataType.toString('utf8'),
    metadata,
    parentCheckpointId: parentId === '' ? undefined : parentId,
    blobs,
    coldRefs,
  };
}
