import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';

/**
 * Optional compression of channel values and writes in Redis (a cost lever: Redis memory is the
 * hot tier's price). A compressed value keeps its serde type behind a prefix (`deflate:json`),
 * so values written under either setting stay readable under the other, and migration hands
 * PostgreSQL the plain bytes (the cold tier applies its own setting).
 *
 * Raw deflate at level 1: a few tens of microseconds for a few kB of JSON, less than the serde
 * call that produced it. Trade-off: CPU on every write and read of a compressed value.
 */
export type HotCompression = 'none' | 'deflate';

const PREFIX = 'deflate:';
/** Smaller values are left alone: the gain would not pay for the call. */
const MIN_BYTES = 512;

/** The stored (type, bytes) of a value: compressed when that makes it smaller. */
export function compressHot(type: string, bytes: Uint8Array, mode: HotCompression): [string, Uint8Array] {
  if (mode === 'none' || bytes.length < MIN_BYTES) return [type, bytes];
  const packed = deflateRawSync(bytes, { level: 1 });
  return packed.length < bytes.length ? [PREFIX + type, packed] : [type, bytes];
}

/** The serde (type, bytes) of a stored value; values stored plain are returned as they are. */
export function decompressHot(type: string, bytes: Buffer): [string, Buffer] {
  if (!type.startsWith(PREFIX)) return [type, bytes];
  try {
    return [type.slice(PREFIX.length), inflateRawSync(bytes)];
  } catch (error) {
    throw new StoreCorruptedError(`a compressed hot-tier value does not inflate: ${error instanceof Error ? error.message : String(error)}`);
  }
}
