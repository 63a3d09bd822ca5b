/**
 * The write side of a migration batch, as plain functions: rows ordered, de-duplicated and cut
 * into statements of bounded size, byte columns as parameters (packed binary for the pool,
 * base64 text for a Prisma client passed in).
 */
import type { ColdCheckpointJsonRow, MigrationBatch } from '../core/records.js';
import { compressValue, type ColdCompression } from './cold-compression.js';

/** Rows per INSERT statement, and an approximate byte budget per statement. */
const MAX_ROWS_PER_STATEMENT = 2_000;
const MAX_BYTES_PER_STATEMENT = 32 * 1024 * 1024;

type BatchBlob = MigrationBatch['blobs'][number];
type BatchWrite = MigrationBatch['writes'][number];

/** Compares strings by UTF-16 code unit; only needs to be a fixed total order (statement row order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: Array<string | number>, b: Array<string | number>): number {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareStrings(String(x), String(y));
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Keeps one row per key: the first occurrence (`keep: 'first'`, for ON CONFLICT DO NOTHING, where
 * the first write wins) or the last (`'last'`, for DO UPDATE, where the latest wins — and where
 * PostgreSQL rejects a statement that would update the same row twice). Result sorted by key, so
 * every transaction inserts in the same global order (no insert-order deadlocks between batches).
 */
export function dedupeByKey<T>(rows: T[], key: (row: T) => Array<string | number>, keep: 'first' | 'last'): T[] {
  const byKey = new Map<string, { key: Array<string | number>; row: T }>();
  for (const row of rows) {
    const k = key(row);
    const id = JSON.stringify(k);
    if (keep === 'last' || !byKey.has(id)) byKey.set(id, { key: k, row });
  }
  return [...byKey.values()].sort((a, b) => compareKeys(a.key, b.key)).map((e) => e.row);
}

/** Splits rows into statements of at most `maxRows` rows and about `maxBytes` payload bytes (at least one row each). */
export function chunkRows<T>(rows: T[], sizeOf: (row: T) => number, maxRows = MAX_ROWS_PER_STATEMENT, maxBytes = MAX_BYTES_PER_STATEMENT): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The rows of a batch that survive the epoch check, deduplicated and in insert order. */
export interface PreparedBatch {
  threads: string[];
  checkpoints: ColdCheckpointJsonRow[];
  blobs: BatchBlob[];
  /** idx >= 0: first write wins. */
  insertWrites: BatchWrite[];
  /** idx < 0 (special channels): latest write wins. */
  upsertWrites: BatchWrite[];
}

/** Every thread a batch touches, sorted. */
export function batchThreads(batch: MigrationBatch): string[] {
  const threads = new Set<string>();
  for (const row of batch.checkpoints) threads.add(row.threadId);
  for (const row of batch.blobs) threads.add(row.threadId);
  for (const row of batch.writes) threads.add(row.threadId);
  return [...threads].sort(compareStrings);
}

/** Pure part of writeMigrationBatch: drops rows of `skip` threads, dedupes, sorts, splits writes. */
export function prepareBatch(batch: MigrationBatch, skip: ReadonlySet<string> = new Set()): PreparedBatch {
  const keepRow = (row: { threadId: string }) => !skip.has(row.threadId);
  const checkpoints = dedupeByKey(
    batch.checkpoints.filter(keepRow),
    (r) => [r.threadId, r.checkpointNs, r.checkpointId],
    'last',
  ).map((r): ColdCheckpointJsonRow =>
    'checkpointJson' in r
      ? r
      : {
          threadId: r.threadId,
          checkpointNs: r.checkpointNs,
          checkpointId: r.checkpointId,
          parentCheckpointId: r.parentCheckpointId,
          checkpointJson: JSON.stringify(r.checkpoint),
          metadataJson: JSON.stringify(r.metadata ?? {}),
        },
  );
  const blobs = dedupeByKey(batch.blobs.filter(keepRow), (r) => [r.threadId, r.checkpointNs, r.channel, r.version], 'first');
  const writeKey = (r: BatchWrite) => [r.threadId, r.checkpointNs, r.checkpointId, r.taskId, r.idx];
  const writes = batch.writes.filter(keepRow);
  return {
    threads: batchThreads(batch).filter((t) => !skip.has(t)),
    checkpoints,
    blobs,
    insertWrites: dedupeByKey(
      writes.filter((w) => w.idx >= 0),
      writeKey,
      'first',
    ),
    upsertWrites: dedupeByKey(
      writes.filter((w) => w.idx < 0),
      writeKey,
      'last',
    ),
  };
}

/** A migration batch with values and writes compressed where that makes them smaller. */
export function compressBatch(batch: MigrationBatch, mode: ColdCompression): MigrationBatch {
  return { ...batch, blobs: batch.blobs.map((b) => compressValue(b, mode)), writes: batch.writes.map((w) => compressValue(w, mode)) };
}

/** Base64 of bytes for a `text[]` parameter decoded in SQL (see cold-tier.sql.ts); null stays null. */
function toBase64(bytes: Uint8Array | null | undefined): string | null {
  if (bytes === null || bytes === undefined) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The byte column as one base64 `text[]` parameter (Prisma's raw API). */
export function base64Params(values: Array<Uint8Array | null | undefined>): unknown[] {
  return [values.map(toBase64)];
}

/**
 * The byte column packed (see cold-tier.sql.ts): 1-based offsets, lengths (-1 = NULL) and one
 * Buffer, which node-postgres sends as a binary parameter.
 */
export function packedParams(values: Array<Uint8Array | null | undefined>): [number[], number[], Buffer] {
  const offsets: number[] = [];
  const lengths: number[] = [];
  const parts: Uint8Array[] = [];
  let at = 1;
  for (const value of values) {
    offsets.push(at);
    if (value === null || value === undefined) {
      lengths.push(-1);
      continue;
    }
    lengths.push(value.byteLength);
    parts.push(value);
    at += value.byteLength;
  }
  return [offsets, lengths, Buffer.concat(parts, at - 1)];
}

export function byteLength(bytes: Uint8Array | null | undefined): number {
  return bytes?.byteLength ?? 0;
}
