import { compareWritesSortKeys, writesSortKey } from '@langchain/langgraph-checkpoint';
import type { WriteRecord } from '../core/records.js';

/**
 * Pure rules for combining what the two tiers return, so a caller can never tell where a
 * checkpoint lives.
 */

/** Sorts writes in `writesSortKey` order (task path, task id, idx), the order LangGraph applies them. */
export function sortWrites(writes: WriteRecord[]): WriteRecord[] {
  return [...writes].sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
}

/**
 * Writes of a checkpoint that has rows in PostgreSQL and late writes in Redis. For one
 * (task, idx) a regular write keeps the first value stored — PostgreSQL's, which was there
 * first — and a special-channel write (negative idx) the newest — Redis's.
 */
export function mergeWrites(cold: WriteRecord[], hot: WriteRecord[]): WriteRecord[] {
  if (hot.length === 0) return sortWrites(cold);
  const byKey = new Map<string, WriteRecord>();
  for (const w of cold) byKey.set(`${w.taskId}\0${w.idx}`, w);
  for (const w of hot) {
    const key = `${w.taskId}\0${w.idx}`;
    if (w.idx < 0 || !byKey.has(key)) byKey.set(key, w);
  }
  return sortWrites([...byKey.values()]);
}

/**
 * Metadata filter with PostgreSQL's JSONB containment (`@>`) semantics, which is what the cold
 * tier applies, so both tiers filter alike: objects match when every filter key is contained,
 * arrays when every filter element is contained in some element, scalars when equal.
 */
export function jsonContains(doc: unknown, filter: unknown): boolean {
  if (filter === null || typeof filter !== 'object') return doc === filter;
  if (Array.isArray(filter)) {
    if (!Array.isArray(doc)) return false;
    return filter.every((f) => doc.some((d) => jsonContains(d, f)));
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const record = doc as Record<string, unknown>;
  return Object.entries(filter as Record<string, unknown>).every(
    ([k, v]) => Object.prototype.hasOwnProperty.call(record, k) && jsonContains(record[k], v),
  );
}

/** Something that has the identity of one checkpoint. */
export interface Keyed {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
}

/**
 * Merges two newest-first pages. A checkpoint in both tiers (copied, not yet evicted, or
 * mid-migration) comes out once, from the hot side. Order: checkpoint id descending, as
 * `PostgresSaver` orders; ties (same id in different threads/namespaces) by thread, namespace.
 */
export function mergeNewestFirst<T extends Keyed>(hot: T[], cold: T[], limit?: number): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of [...hot, ...cold]) {
    const key = `${item.threadId}\0${item.checkpointNs}\0${item.checkpointId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  out.sort((a, b) => byIdDesc(a, b));
  return limit !== undefined ? out.slice(0, limit) : out;
}

function byIdDesc(a: Keyed, b: Keyed): number {
  if (a.checkpointId !== b.checkpointId) return a.checkpointId < b.checkpointId ? 1 : -1;
  if (a.threadId !== b.threadId) return a.threadId < b.threadId ? -1 : 1;
  if (a.checkpointNs !== b.checkpointNs) return a.checkpointNs < b.checkpointNs ? -1 : 1;
  return 0;
}
