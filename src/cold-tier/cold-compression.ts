import { gunzipSync, gzipSync } from 'node:zlib';
import { StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';

/**
 * Optional compression of channel values and writes in the cold tier (a cost lever).
 *
 * A compressed value keeps its serde type behind a prefix (`gzip:json`), so reads know to
 * inflate it and rows written without compression stay readable whatever the setting.
 * PostgreSQL already compresses large values itself (TOAST, pglz, above ~2 kB); gzip gains on
 * top of that for JSON-heavy states. Trade-off: `PostgresSaver` cannot read compressed rows, so
 * leave it off while anything still reads the tables with `PostgresSaver`.
 */
export type ColdCompression = 'none' | 'gzip';

const PREFIX = 'gzip:';
/** Smaller values are left alone: the gzip header would eat the gain. */
const MIN_BYTES = 256;

interface Serialized {
  type: string;
  bytes: Uint8Array | null;
}

/** Compresses one value when that makes it smaller. */
export function compressValue<T extends Serialized>(record: T, mode: ColdCompression): T {
  if (mode === 'none' || record.bytes === null || record.bytes.length < MIN_BYTES || record.type.startsWith(PREFIX)) return record;
  const packed = gzipSync(record.bytes, { level: 6 });
  return packed.length < record.bytes.length ? { ...record, type: PREFIX + record.type, bytes: new Uint8Array(packed.buffer, packed.byteOffset, packed.length) } : record;
}

/** Inflates a value stored compressed; anything else is returned as it is. */
export function decompressValue<T extends Serialized>(record: T): T {
  if (!record.type.startsWith(PREFIX) || record.bytes === null) return record;
  try {
    const raw = gunzipSync(record.bytes);
    return { ...record, type: record.type.slice(PREFIX.length), bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.length) };
  } catch (error) {
    throw new StoreCorruptedError(`a compressed cold-tier value does not inflate: ${error instanceof Error ? error.message : String(error)}`);
  }
}
