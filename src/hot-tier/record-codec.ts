/**
 * A length-prefixed binary packing of several byte strings into one Redis value, so a write or
 * a channel value is one hash field without `JSON.stringify` of state. Layout: for each part,
 * a 4-byte big-endian length, then the bytes.
 */
import { StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';

export type Part = Uint8Array | string;

export function pack(parts: Part[]): Buffer {
  const buffers = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  const out = Buffer.allocUnsafe(buffers.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of buffers) {
    out.writeUInt32BE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}

export function unpack(value: Buffer, expectedParts: number): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < value.length) {
    if (at + 4 > value.length) break;
    const len = value.readUInt32BE(at);
    if (at + 4 + len > value.length) break;
    parts.push(value.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (parts.length !== expectedParts || at !== value.length) {
    throw new StoreCorruptedError(`a packed Redis value has ${parts.length} parts, expected ${expectedParts}`);
  }
  return parts;
}
