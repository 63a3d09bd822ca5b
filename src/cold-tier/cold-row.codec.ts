/**
 * The read side: one row of the checkpoint SELECT (`cold-tier.sql.ts`) as a {@link ColdCheckpoint}.
 * Values and writes come as a json list of their small fields with each value's byte length,
 * and one bytea of all values in the same order, cut here by those lengths.
 */
import type { BlobRecord, ColdCheckpoint, WriteRecord } from '../core/records.js';
import { StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';
import { decompressValue } from './cold-compression.js';
import type { CheckpointSqlRow } from './cold-tier.sql.js';

/** A `*_meta` column as an array (parsed here when the client left `json` as text). */
function metaList<T>(meta: T[] | string | null, where: string): T[] {
  const list: unknown = typeof meta === 'string' ? JSON.parse(meta) : (meta ?? []);
  if (!Array.isArray(list)) throw new StoreCorruptedError(`Cold tier returned no list of values for checkpoint ${where}`);
  return list as T[];
}

/** Hands out consecutive slices of a `*_data` column; `end()` checks that every byte was claimed. */
function slicer(data: Uint8Array | null, where: string) {
  let offset = 0;
  const size = data?.byteLength ?? 0;
  const misaligned = () => new StoreCorruptedError(`Cold tier returned values that do not match their lengths for checkpoint ${where}`);
  return {
    next(length: number): Uint8Array {
      if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) throw misaligned();
      // A view, not a copy: the row's buffer is only referenced by its values.
      const bytes = data!.subarray(offset, offset + length);
      offset += length;
      return bytes;
    },
    end(): void {
      if (offset !== size) throw misaligned();
    },
  };
}

/** A cold checkpoint with its compressed values and writes inflated. */
export function inflate(cp: ColdCheckpoint): ColdCheckpoint {
  return { ...cp, blobs: cp.blobs.map(decompressValue), writes: cp.writes.map(decompressValue) };
}

/** Converts one row of the checkpoint SELECT into a {@link ColdCheckpoint}. */
export function toColdCheckpoint(row: CheckpointSqlRow): ColdCheckpoint {
  const where = `${row.thread_id}/${row.checkpoint_ns}/${row.checkpoint_id}`;
  if (typeof row.checkpoint !== 'object' || row.checkpoint === null || Array.isArray(row.checkpoint)) {
    throw new StoreCorruptedError(`Cold tier checkpoint ${where} has no JSON object in column "checkpoint"`);
  }
  const blobs: BlobRecord[] = [];
  const blobBytes = slicer(row.blob_data, where);
  for (const [channel, version, type, length] of metaList(row.blob_meta, where)) {
    blobs.push({ channel, version, type, bytes: length === null ? null : blobBytes.next(length) });
  }
  blobBytes.end();
  const writes: WriteRecord[] = [];
  const writeBytes = slicer(row.write_data, where);
  for (const [taskId, idx, channel, type, taskPath, length] of metaList(row.write_meta, where)) {
    if (type === null || type === undefined || length === null || length === undefined) {
      throw new StoreCorruptedError(`Cold tier pending write ${writes.length} of checkpoint ${where} has no type or no bytes`);
    }
    writes.push({ taskId, idx: Number(idx), channel, type, bytes: writeBytes.next(length), taskPath: taskPath ?? '' });
  }
  writeBytes.end();
  return {
    threadId: row.thread_id,
    checkpointNs: row.checkpoint_ns,
    checkpointId: row.checkpoint_id,
    parentCheckpointId: row.parent_checkpoint_id ?? null,
    checkpoint: row.checkpoint,
    metadata: row.metadata ?? {},
    blobs,
    writes,
  };
}
