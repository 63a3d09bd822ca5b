import { randomBytes } from 'node:crypto';

/**
 * Cryptographically random 32-bit integers from a pooled buffer. A `randomBytes` call per value
 * costs several microseconds; a put needs a few (version suffixes), and the pool makes that
 * a read of four bytes.
 */
const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let at = 0;

export function randomUint32(): number {
  if (at + 4 > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    at = 0;
  }
  const value = pool.readUInt32LE(at);
  at += 4;
  return value;
}
