/**
 * The Redis key layout, in one place.
 *
 * Every key of one thread carries the hash tag `{<prefix>:<thread>}` so that a thread's keys
 * share one Redis Cluster slot and one Lua script can update them atomically. Thread ids and
 * namespaces are percent-encoded in key names (anything outside `[A-Za-z0-9._~-]`), so ids
 * containing `:`, `*`, `?`, `[`, `{`, `}` or non-ASCII characters map to distinct keys and never
 * act as patterns. Checkpoint ids are the last component of a key and are used as they are.
 *
 * Per thread `t`, namespace `n`, checkpoint `c` (`\0` separates parts of hash fields and members):
 *
 * | key                      | type | holds |
 * |--------------------------|------|-------|
 * | `P:{P:t}:ns`             | SET  | namespaces that have hot checkpoints |
 * | `P:{P:t}:idx:n`          | ZSET | hot checkpoint ids of `n`, score 0 (lexicographic = id order) |
 * | `P:{P:t}:cp:n:c`         | STR  | one checkpoint, packed: channel refs, cold refs, skeleton, metadata, parent |
 * | `P:{P:t}:w:n:c`          | HASH | pending writes of `c`, field `task\0idx` |
 * | `P:{P:t}:b:n`            | HASH | channel values, field `channel\0version` |
 * | `P:{P:t}:bref:n`         | HASH | how many hot checkpoints reference each channel value |
 * | `P:{P:t}:age`            | ZSET | entries (`n\0c`) not yet copied to PostgreSQL, score = first write (ms) |
 * | `P:{P:t}:copied`         | ZSET | entries copied but still served hot, score = first write (ms) |
 * | `P:{P:t}:ver`            | HASH | per-entry mutation counter, field `n\0c` |
 * | `P:{P:t}:coldmax`        | HASH | highest checkpoint id copied to PostgreSQL, per namespace |
 * | `P:{P:t}:last`           | STR  | time of the thread's last write (ms), for the thread TTL |
 * | `P:{P:t}:expired`        | STR  | tombstone of a thread deleted by its TTL (expires); writes are refused |
 * | `P:threads:age`          | ZSET | threads with uncopied entries, score = oldest entry (ms) |
 * | `P:threads:copied`       | ZSET | threads with copied, not yet evicted entries, score = oldest |
 * | `P:threads:active`       | ZSET | every thread, score = its last write (ms): the TTL sweep reads it |
 * | `P:migration:lease`      | STR  | token of the replica currently migrating |
 * | `P:meta:marker`          | STR  | `<layout>:<random id>` written at start; its loss means Redis lost its data |
 *
 * An *entry* is what migration moves as one unit: a checkpoint together with its pending writes
 * (or only writes, when they arrive for a checkpoint that already lives in PostgreSQL).
 */

const SAFE = /^[A-Za-z0-9._~-]*$/;

/** Percent-encodes every byte outside `[A-Za-z0-9._~-]` of the UTF-8 form (same rule as the Lua side). */
export function encodeKeyPart(value: string): string {
  if (SAFE.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Separator inside hash fields and set members. Ids and namespaces may not contain it. */
export const SEP = '\0';

/** Member / field naming one entry of a thread: `ns\0checkpointId`. */
export function entryMember(checkpointNs: string, checkpointId: string): string {
  return `${checkpointNs}${SEP}${checkpointId}`;
}

/** Splits an {@link entryMember}. */
export function parseEntryMember(member: string): { checkpointNs: string; checkpointId: string } {
  const at = member.indexOf(SEP);
  return { checkpointNs: member.slice(0, at), checkpointId: member.slice(at + 1) };
}

/** Field of a channel value: `channel\0version`. */
export function blobField(channel: string, version: string): string {
  return `${channel}${SEP}${version}`;
}

/** Field of a pending write: `taskId\0idx`. */
export function writeField(taskId: string, idx: number): string {
  return `${taskId}${SEP}${idx}`;
}

/** Key names for one key prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** `P:{P:t}:` — the start of every key of thread `t`. */
  threadBase(threadId: string): string {
    return `${this.prefix}:{${this.prefix}:${encodeKeyPart(threadId)}}:`;
  }

  namespaces(threadId: string): string {
    return `${this.threadBase(threadId)}ns`;
  }
  index(threadId: string, checkpointNs: string): string {
    return `${this.threadBase(threadId)}idx:${encodeKeyPart(checkpointNs)}`;
  }
  checkpoint(threadId: string, checkpointNs: string, checkpointId: string): string {
    return `${this.threadBase(threadId)}cp:${encodeKeyPart(checkpointNs)}:${checkpointId}`;
  }
  writes(threadId: string, checkpointNs: string, checkpointId: string): string {
    return `${this.threadBase(threadId)}w:${encodeKeyPart(checkpointNs)}:${checkpointId}`;
  }
  blobs(threadId: string, checkpointNs: string): string {
    return `${this.threadBase(threadId)}b:${encodeKeyPart(checkpointNs)}`;
  }
  blobRefs(threadId: string, checkpointNs: string): string {
    return `${this.threadBase(threadId)}bref:${encodeKeyPart(checkpointNs)}`;
  }
  age(threadId: string): string {
    return `${this.threadBase(threadId)}age`;
  }
  copied(threadId: string): string {
    return `${this.threadBase(threadId)}copied`;
  }
  versions(threadId: string): string {
    return `${this.threadBase(threadId)}ver`;
  }
  coldMax(threadId: string): string {
    return `${this.threadBase(threadId)}coldmax`;
  }

  /** Threads with entries not yet copied to PostgreSQL. */
  get threadsByAge(): string {
    return `${this.prefix}:threads:age`;
  }
  /** Threads with copied entries that are still served from Redis. */
  get threadsCopied(): string {
    return `${this.prefix}:threads:copied`;
  }
  /** Every thread by last write time (thread TTL). */
  get threadsActive(): string {
    return `${this.prefix}:threads:active`;
  }
  get migrationLease(): string {
    return `${this.prefix}:migration:lease`;
  }
  /** Written once; if it disappears, Redis restarted empty or was flushed. */
  get dataMarker(): string {
    return `${this.prefix}:meta:marker`;
  }
}
