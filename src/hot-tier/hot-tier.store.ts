import { randomBytes, randomUUID } from 'node:crypto';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import type { BlobRecord, CheckpointKey, WriteRecord } from '../core/records.js';
import { StoreCorruptedError, StoreUnavailableError, ThreadExpiredError, TieredCheckpointError } from '../errors/tiered-checkpoint.errors.js';
import { compressHot, type HotCompression } from './hot-compression.js';
import {
  EMPTY,
  decodeCheckpoint,
  decodeWrites,
  packCheckpointRest,
  toStr,
  type HotCheckpointWrite,
  type HotEntry,
  type HotLookup,
} from './hot-entry.codec.js';
import { describeRedisUrl, waitUntilReady } from './redis-connection.js';
import { pack } from './record-codec.js';
import {
  ADOPT_BLOBS,
  DELETE_ENTRIES,
  DELETE_THREAD,
  EVICT_COPIED,
  FINISH_COPY,
  GET_TUPLE,
  LEASE_ACQUIRE,
  LEASE_RELEASE,
  LEASE_RENEW,
  LIST_PAGE,
  PUT_CHECKPOINT,
  PUT_WRITES,
  READ_ENTRIES,
} from './lua-scripts.js';
import { RedisKeys, blobField, encodeKeyPart, entryMember, parseEntryMember, writeField } from './redis-keys.js';

export type { HotCheckpoint, HotCheckpointWrite, HotEntry, HotLookup } from './hot-entry.codec.js';

/** Options of {@link HotTierStore}. */
export interface HotTierStoreOptions {
  /** An existing client (single node or Cluster). Not closed by {@link HotTierStore.close}. */
  redis?: Redis | Cluster;
  /** Used to create a client when `redis` is not given. */
  redisUrl?: string;
  /** Prefix of every key. */
  keyPrefix: string;
  /**
   * Record each thread's last write (a small key per thread and an index entry, kept while the
   * thread exists) so the thread TTL can find idle threads. Default false: no per-thread state
   * survives migration beyond the cold high-water mark.
   */
  trackActivity?: boolean;
  /** Compression of channel values and writes in Redis (see `hot-compression.ts`). Default none. */
  compression?: HotCompression;
}

/** The store options the saver's resolved options imply (one place for the module and `fromConfig`). */
export function hotTierStoreOptions(options: ResolvedTieredCheckpointOptions): HotTierStoreOptions {
  return { redis: options.redis, redisUrl: options.redisUrl, keyPrefix: options.keyPrefix, trackActivity: options.threadTtlMs > 0, compression: options.hotCompression };
}

type ScriptName =
  | 'tcPutCheckpoint'
  | 'tcPutWrites'
  | 'tcGetTuple'
  | 'tcListPage'
  | 'tcReadEntries'
  | 'tcFinishCopy'
  | 'tcEvictCopied'
  | 'tcDeleteThread'
  | 'tcLeaseAcquire'
  | 'tcLeaseRenew'
  | 'tcLeaseRelease'
  | 'tcAdoptBlobs'
  | 'tcDeleteEntries';

const SCRIPTS: Record<ScriptName, string> = {
  tcPutCheckpoint: PUT_CHECKPOINT,
  tcPutWrites: PUT_WRITES,
  tcGetTuple: GET_TUPLE,
  tcListPage: LIST_PAGE,
  tcReadEntries: READ_ENTRIES,
  tcFinishCopy: FINISH_COPY,
  tcEvictCopied: EVICT_COPIED,
  tcDeleteThread: DELETE_THREAD,
  tcLeaseAcquire: LEASE_ACQUIRE,
  tcLeaseRenew: LEASE_RENEW,
  tcLeaseRelease: LEASE_RELEASE,
  tcAdoptBlobs: ADOPT_BLOBS,
  tcDeleteEntries: DELETE_ENTRIES,
};

type ScriptFn = (numKeys: number, ...args: Array<string | Buffer | number>) => Promise<any>;
type Scripted = Record<ScriptName | `${ScriptName}Buffer`, ScriptFn>;

/** Key layout of this version, named in the data marker (v2: a checkpoint is one packed string). */
const HOT_LAYOUT = 'v2';

/** Checkpoints per list script call: bounds the time one script holds Redis and its reply size. */
const LIST_PAGE_SIZE = 100;

/** Eviction policies under which Redis may drop keys that are not yet safe in PostgreSQL. */
const SAFE_EVICTION_POLICIES = new Set(['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']);

/** What the data marker says about Redis keeping its data since this process started. */
export interface RedisDataLossReport {
  /** True once the marker was found missing or replaced: Redis restarted empty or was flushed. */
  lost: boolean;
  /** When this process first noticed (ms since epoch, wall clock). */
  detectedAt?: number;
}

/** Redis settings that decide whether un-migrated data survives; reported by readiness. */
export interface RedisServerReport {
  maxmemoryPolicy: string;
  /** True when the policy may evict keys without a TTL, i.e. ours. */
  evictionCanDropKeys: boolean;
  persistence: { rdb: boolean; aof: boolean };
}

/**
 * A fresh entry version: unique, so a version read before an eviction never matches a later
 * entry. A random per-process nonce (48 bits) and a counter: unique without a random draw per
 * write, and short (it is stored once per hot entry).
 */
const TOKEN_NONCE = randomBytes(6).toString('base64url');
let tokenCounter = 0;
function versionToken(): string {
  tokenCounter += 1;
  return `${TOKEN_NONCE}${tokenCounter.toString(36)}`;
}

/** Members per multi-member ZADD / ZREM: keeps each command (and Redis' time on it) bounded. */
const MEMBERS_PER_COMMAND = 1000;

function chunks<T>(items: T[], size = MEMBERS_PER_COMMAND): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The hot tier: checkpoints, channel values and pending writes in Redis, plus the age indexes
 * migration reads. Plain class; Nest only constructs it (see `hot-tier.module.ts`).
 *
 * Every public method is one round trip on the request path. Redis failures surface as
 * {@link StoreUnavailableError} immediately (no offline queue), so a write never hangs or
 * silently succeeds while Redis is down.
 */
export class HotTierStore {
  readonly keys: RedisKeys;
  readonly client: Redis | Cluster;
  private readonly trackActivity: boolean;
  private readonly compression: HotCompression;
  private readonly ownsClient: boolean;
  /** Whether write scripts update the global indexes themselves (see {@link writeEntry}). */
  private indexInScript: boolean;
  private readonly scripted: Scripted;
  private marker?: string;
  private dataLossDetectedAt?: number;
  /** `host:port` for error messages; never the credentials. */
  private readonly where: string;

  constructor(options: HotTierStoreOptions) {
    this.keys = new RedisKeys(options.keyPrefix);
    this.trackActivity = options.trackActivity ?? false;
    this.compression = options.compression ?? 'none';
    if (options.redis) {
      this.client = options.redis;
      this.ownsClient = false;
      const o = (options.redis as Redis).options as { host?: string; port?: number } | undefined;
      this.where = 'startupNodes' in options.redis ? 'Redis Cluster' : `${o?.host ?? '?'}:${o?.port ?? '?'}`;
    } else {
      this.where = describeRedisUrl(options.redisUrl);
      const clientOptions: RedisOptions = {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 5000,
        retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
      };
      this.client = new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379', clientOptions);
      // Errors are reported through the commands that fail; this only keeps ioredis from
      // printing unhandled 'error' events while it reconnects.
      this.client.on('error', () => undefined);
      this.ownsClient = true;
    }
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in this.client)) this.client.defineCommand(name, { lua });
    }
    this.scripted = this.client as unknown as Scripted;
    this.indexInScript = !('startupNodes' in this.client);
  }

  /** A channel value as Redis stores it: (type, bytes), compressed per the store's setting. */
  private packValue(blob: BlobRecord): Buffer {
    return pack(blob.bytes === null ? [blob.type, EMPTY] : compressHot(blob.type, blob.bytes, this.compression));
  }

  /** Connects (when the client is ours) and checks that Redis answers. */
  async connect(): Promise<void> {
    if (this.ownsClient && this.client.status !== 'ready') {
      try {
        // 'wait': never connected (lazy). Otherwise a first command already started the
        // connection: wait for it rather than failing on a socket that is still opening.
        if (this.client.status === 'wait') await this.client.connect();
        else await waitUntilReady(this.client as Redis, 5000);
      } catch (error) {
        throw this.unavailable('could not connect; check the Redis URL (redisUrl / REDIS_URL) and that the server is running', error);
      }
    }
    await this.ping();
    await this.readMarker();
  }

  /**
   * Takes the existing data marker, or writes one if Redis has none yet. The marker names the
   * key layout it was written with, so data of an incompatible earlier layout under the same
   * prefix is refused at connect with a clear error instead of failing command by command.
   */
  private async readMarker(): Promise<void> {
    const fresh = `${HOT_LAYOUT}:${randomUUID()}`;
    await this.run(() => this.client.set(this.keys.dataMarker, fresh, 'NX'));
    const marker = (await this.run(() => this.client.get(this.keys.dataMarker))) ?? fresh;
    if (!marker.startsWith(`${HOT_LAYOUT}:`)) {
      throw new StoreCorruptedError(
        `Redis holds hot-tier data of an earlier key layout under prefix "${this.keys.prefix}" (this version stores checkpoints as ${HOT_LAYOUT}). ` +
          'Migrate it out with the version that wrote it (copy-after and window 0, one migrate run), or use a new keyPrefix.',
      );
    }
    this.marker = marker;
  }

  /**
   * Checks that Redis still holds the marker it had when this store connected. A missing or
   * different marker means Redis lost its data (restarted without persistence, failed over to
   * an empty replica, or was flushed): checkpoints not yet copied to PostgreSQL are gone. The
   * loss stays reported for the life of this store; a new marker is written so a second loss
   * is noticed too.
   */
  async checkDataLoss(): Promise<RedisDataLossReport> {
    if (this.marker !== undefined) {
      const current = await this.run(() => this.client.get(this.keys.dataMarker));
      if (current !== this.marker) {
        this.dataLossDetectedAt ??= Date.now();
        await this.readMarker();
      }
    }
    return { lost: this.dataLossDetectedAt !== undefined, detectedAt: this.dataLossDetectedAt };
  }

  /** Closes the client if this store created it. */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  /** Reads the settings that decide whether Redis may lose data that is not yet copied. */
  async inspectServer(): Promise<RedisServerReport> {
    return this.run(async () => {
      const info = String(await this.client.info('persistence'));
      let policy = 'unknown';
      try {
        const reply = (await this.client.config('GET', 'maxmemory-policy')) as unknown as string[];
        policy = reply[1] ?? 'unknown';
      } catch {
        // CONFIG is often disabled on managed Redis; then the policy cannot be checked.
      }
      const rdb = await this.hasSaveRules();
      const aof = /aof_enabled:1/.test(info);
      return { maxmemoryPolicy: policy, evictionCanDropKeys: policy !== 'unknown' && !SAFE_EVICTION_POLICIES.has(policy), persistence: { rdb, aof } };
    });
  }

  private async hasSaveRules(): Promise<boolean> {
    try {
      const reply = (await this.client.config('GET', 'save')) as unknown as string[];
      return (reply[1] ?? '').trim() !== '';
    } catch {
      return true;
    }
  }

  /** Stores a checkpoint, its new channel values and its references in one script. */
  async putCheckpoint(write: HotCheckpointWrite, now: number): Promise<void> {
    const { threadId, checkpointNs: ns, checkpointId: id } = write;
    const k = this.keys;
    const args: Array<string | Buffer> = [k.threadBase(threadId), encodeKeyPart(ns), ns, id, String(now), packCheckpointRest(write), String(write.blobs.length)];
    for (const blob of write.blobs) {
      args.push(blobField(blob.channel, blob.version), this.packValue(blob));
    }
    args.push(write.refs.map((r) => blobField(r.channel, r.version)).join('\x01'), versionToken(), this.trackActivity ? '1' : '0', threadId);
    const routing = k.age(threadId);
    await this.writeEntry(threadId, now, (globalKeys) => this.scripted.tcPutCheckpoint(1 + globalKeys.length, routing, ...globalKeys, ...args));
  }

  /**
   * Copies channel values that a hot checkpoint references but that live only in PostgreSQL
   * (its thread resumed after the history migrated) into Redis, counted as references of that
   * checkpoint. Later reads of it — and puts of its children, which reference the same values —
   * are then answered by Redis alone. No-op if the checkpoint left Redis meanwhile.
   */
  async adoptBlobs(key: CheckpointKey, blobs: BlobRecord[]): Promise<number> {
    if (blobs.length === 0) return 0;
    const k = this.keys;
    const args = blobs.flatMap((b) => [blobField(b.channel, b.version), this.packValue(b)]);
    const cpKey = k.checkpoint(key.threadId, key.checkpointNs, key.checkpointId);
    return Number(await this.run(() => this.scripted.tcAdoptBlobs(3, cpKey, k.blobs(key.threadId, key.checkpointNs), k.blobRefs(key.threadId, key.checkpointNs), ...args)));
  }

  /** Stores pending writes of one task against one checkpoint (which may live in either tier). */
  async putWrites(key: CheckpointKey, writes: WriteRecord[], now: number): Promise<void> {
    const k = this.keys;
    const { threadId, checkpointNs: ns, checkpointId: id } = key;
    const args: Array<string | Buffer> = [k.threadBase(threadId), encodeKeyPart(ns), ns, id, String(now), versionToken(), this.trackActivity ? '1' : '0', threadId];
    for (const w of writes) {
      const [type, bytes] = compressHot(w.type, w.bytes, this.compression);
      args.push(writeField(w.taskId, w.idx), pack([w.channel, type, bytes, w.taskPath]), w.idx < 0 ? '1' : '0');
    }
    const routing = k.age(threadId);
    await this.writeEntry(threadId, now, (globalKeys) => this.scripted.tcPutWrites(1 + globalKeys.length, routing, ...globalKeys, ...args));
  }

  /**
   * Runs a write script and records the thread in the global age index (and, with the thread
   * TTL, the activity index). The global indexes are other slots. On one node the script is
   * given their keys and updates them itself: one command per write, and the update follows
   * the thread's keys atomically, which is what lets migration drop a drained thread from the
   * index without missing a concurrent put. On a Cluster (or behind a proxy that enforces slot
   * rules and refuses the script with CROSSSLOT before running it) the update is a separate
   * command that waits for the script: connections to different nodes do not order against
   * each other.
   */
  private async writeEntry(threadId: string, now: number, script: (globalKeys: string[]) => Promise<unknown>): Promise<void> {
    const runScript = (globalKeys: string[]) =>
      script(globalKeys).catch((error: unknown) => {
        if (error instanceof Error && error.message.includes('TC_THREAD_EXPIRED')) throw new ThreadExpiredError(threadId);
        throw error;
      });
    await this.run(async () => {
      if (this.indexInScript) {
        try {
          await runScript(this.trackActivity ? [this.keys.threadsByAge, this.keys.threadsActive] : [this.keys.threadsByAge]);
          return;
        } catch (error) {
          if (!(error instanceof Error && error.message.includes('CROSSSLOT'))) throw error;
          this.indexInScript = false;
        }
      }
      // An entry that had been copied and changed again keeps its original age: index that age.
      const score = Math.min(now, Number(await runScript([])));
      await Promise.all([
        this.client.zadd(this.keys.threadsByAge, 'LT', score, threadId),
        ...(this.trackActivity ? [this.client.zadd(this.keys.threadsActive, 'GT', now, threadId)] : []),
      ]);
    });
  }

  /** One checkpoint (latest of the namespace when `checkpointId` is undefined) with its values and writes. */
  async getTuple(threadId: string, checkpointNs: string, checkpointId?: string): Promise<HotLookup> {
    const [lookup] = await this.getTuples(threadId, checkpointNs, [checkpointId ?? '']);
    return lookup;
  }

  /** Several checkpoints of one namespace in one pipelined round trip. `''` asks for the latest. */
  async getTuples(threadId: string, checkpointNs: string, checkpointIds: string[]): Promise<HotLookup[]> {
    if (checkpointIds.length === 0) return [];
    const k = this.keys;
    const keys = [k.index(threadId, checkpointNs), k.blobs(threadId, checkpointNs), k.coldMax(threadId)];
    const base = k.threadBase(threadId);
    const enc = encodeKeyPart(checkpointNs);
    const replies = await this.run(() =>
      Promise.all(checkpointIds.map((id) => this.scripted.tcGetTupleBuffer(keys.length, ...keys, base, enc, checkpointNs, id))),
    );
    return replies.map((reply: [Buffer, Buffer, Buffer, Array<Buffer | null>, Buffer[], Buffer]) => {
      const [id, coldMax, cp, blobs, writes, writesFor] = reply;
      return {
        checkpointId: toStr(id) || undefined,
        coldMax: toStr(coldMax) || undefined,
        checkpoint: decodeCheckpoint(cp, blobs),
        writes: decodeWrites(writes),
        writesFor: toStr(writesFor) || undefined,
      };
    });
  }

  /**
   * Hot checkpoints of one namespace, newest first, `before` exclusive, at most `limit` (all when
   * undefined, in pages), with the namespace's cold high-water mark. One round trip per page.
   */
  async listPage(threadId: string, checkpointNs: string, before: string | undefined, limit: number | undefined): Promise<{ coldMax?: string; entries: HotLookup[] }> {
    const k = this.keys;
    const keys = [k.index(threadId, checkpointNs), k.blobs(threadId, checkpointNs), k.coldMax(threadId)];
    const base = k.threadBase(threadId);
    const enc = encodeKeyPart(checkpointNs);
    const entries: HotLookup[] = [];
    let coldMax: string | undefined;
    let cursor = before ?? '';
    for (;;) {
      const want = Math.min(limit === undefined ? LIST_PAGE_SIZE : limit - entries.length, LIST_PAGE_SIZE);
      const [mark, page]: [Buffer, Array<[Buffer, Buffer, Array<Buffer | null>, Buffer[]]>] = await this.run(() =>
        this.scripted.tcListPageBuffer(keys.length, ...keys, base, enc, checkpointNs, cursor, String(want)),
      );
      coldMax = toStr(mark) || undefined;
      for (const [id, cp, blobs, writes] of page) {
        const checkpointId = toStr(id);
        entries.push({ checkpointId, coldMax, checkpoint: decodeCheckpoint(cp, blobs), writes: decodeWrites(writes), writesFor: checkpointId });
      }
      if (page.length < want || (limit !== undefined && entries.length >= limit)) return { coldMax, entries };
      cursor = entries[entries.length - 1].checkpointId!;
    }
  }

  /** Namespaces of a thread that have hot checkpoints. */
  async namespaces(threadId: string): Promise<string[]> {
    return this.run(() => this.client.smembers(this.keys.namespaces(threadId)));
  }

  /** Pending writes held in Redis for checkpoints that live in PostgreSQL (one pipelined round trip). */
  async getWrites(keys: CheckpointKey[]): Promise<WriteRecord[][]> {
    if (keys.length === 0) return [];
    const replies = await this.run(() =>
      Promise.all(keys.map((key) => this.client.hgetallBuffer(this.keys.writes(key.threadId, key.checkpointNs, key.checkpointId)))),
    );
    return replies.map((hash) => decodeWrites(Object.entries(hash).flatMap(([f, v]) => [f, v])));
  }

  /**
   * Hot checkpoint ids of a thread, newest first: one namespace, or all when `checkpointNs` is
   * undefined. `before` is exclusive. Bounded by the hot window's size, not by history.
   */
  async listIds(threadId: string, checkpointNs: string | undefined, before?: string, limit?: number): Promise<CheckpointKey[]> {
    return this.run(async () => {
      const namespaces = checkpointNs !== undefined ? [checkpointNs] : await this.client.smembers(this.keys.namespaces(threadId));
      const max = before !== undefined ? `(${before}` : '+';
      const perNs = await Promise.all(
        namespaces.map((ns) =>
          limit !== undefined
            ? this.client.zrevrangebylex(this.keys.index(threadId, ns), max, '-', 'LIMIT', 0, limit)
            : this.client.zrevrangebylex(this.keys.index(threadId, ns), max, '-'),
        ),
      );
      const all = perNs.flatMap((ids, i) => ids.map((checkpointId) => ({ threadId, checkpointNs: namespaces[i], checkpointId })));
      return all.sort((a, b) => (a.checkpointId < b.checkpointId ? 1 : a.checkpointId > b.checkpointId ? -1 : 0));
    });
  }

  /** Highest copied checkpoint id per namespace of a thread. */
  async coldMaxes(threadId: string): Promise<Map<string, string>> {
    const hash = await this.run(() => this.client.hgetall(this.keys.coldMax(threadId)));
    return new Map(Object.entries(hash));
  }

  /** Threads that have any data in Redis (both age indexes). Used by `list` without a thread id. */
  async hotThreads(): Promise<string[]> {
    const [a, b] = await this.run(() => Promise.all([this.client.zrange(this.keys.threadsByAge, 0, -1), this.client.zrange(this.keys.threadsCopied, 0, -1)]));
    return [...new Set([...a, ...b])];
  }

  /**
   * Removes every key of a thread. With `idleBefore`, only if its last write is not newer (the
   * TTL sweep), leaving a tombstone for `tombstoneMs`. Returns false when the thread was not idle.
   */
  async deleteThread(threadId: string, ttl?: { idleBefore: number; tombstoneMs: number }): Promise<boolean> {
    const k = this.keys;
    const keys = [k.namespaces(threadId), k.age(threadId), k.copied(threadId), k.versions(threadId), k.coldMax(threadId)];
    return this.run(async () => {
      const deleted = Number(await this.scripted.tcDeleteThread(keys.length, ...keys, k.threadBase(threadId), ttl ? String(ttl.idleBefore) : '', ttl ? String(ttl.tombstoneMs) : ''));
      if (deleted < 0) return false;
      await Promise.all([this.client.zrem(k.threadsByAge, threadId), this.client.zrem(k.threadsCopied, threadId), this.client.zrem(k.threadsActive, threadId)]);
      return true;
    });
  }

  /** Threads whose last write is at or before `cutoff` (thread TTL candidates). */
  async idleThreads(cutoff: number, limit: number): Promise<string[]> {
    return this.run(() => this.client.zrangebyscore(this.keys.threadsActive, '-inf', cutoff, 'LIMIT', 0, limit));
  }

  /** Deletes chosen entries of one thread (prune), releasing their channel-value references. */
  async deleteEntries(threadId: string, entries: Array<{ checkpointNs: string; checkpointId: string }>): Promise<number> {
    if (entries.length === 0) return 0;
    const args = entries.flatMap((e) => [e.checkpointNs, e.checkpointId]);
    return Number(await this.run(() => this.scripted.tcDeleteEntries(1, this.keys.versions(threadId), this.keys.threadBase(threadId), ...args)));
  }

  // ---- migration ----------------------------------------------------------------------------

  /** Threads whose oldest uncopied (`age`) or copied-not-evicted (`copied`) entry is at or before `cutoff`. */
  async threadsDue(index: 'age' | 'copied', cutoff: number, limit: number): Promise<string[]> {
    const key = index === 'age' ? this.keys.threadsByAge : this.keys.threadsCopied;
    return this.run(() => this.client.zrangebyscore(key, '-inf', cutoff, 'LIMIT', 0, limit));
  }

  /**
   * How many uncopied entries at or before `cutoff` each thread has, in one pipelined round trip:
   * a batch picks its threads from these counts instead of asking thread after thread.
   */
  async countDue(threadIds: string[], cutoff: number): Promise<number[]> {
    if (threadIds.length === 0) return [];
    return this.run(() => Promise.all(threadIds.map((threadId) => this.client.zcount(this.keys.age(threadId), '-inf', cutoff))));
  }

  /**
   * Up to `limit` uncopied entries of a thread at or before `cutoff`, oldest first (after the
   * entry `after` when given), each read (checkpoint, values, writes, version token) atomically
   * with choosing it. Calls for several threads issued together share one round trip.
   */
  async readEntries(threadId: string, cutoff: number, limit: number, after?: CheckpointKey): Promise<HotEntry[]> {
    if (limit <= 0) return [];
    const k = this.keys;
    const from = after ? entryMember(after.checkpointNs, after.checkpointId) : '';
    const reply: Array<[Buffer, Buffer, Buffer, Buffer, Array<Buffer | null>, Buffer[]]> = await this.run(() =>
      this.scripted.tcReadEntriesBuffer(2, k.age(threadId), k.versions(threadId), k.threadBase(threadId), String(cutoff), String(limit), from),
    );
    return reply.map(([member, score, ver, cp, blobs, writes]) => ({
      threadId,
      ...parseEntryMember(toStr(member)),
      ageScore: Number(toStr(score)),
      version: toStr(ver),
      checkpoint: decodeCheckpoint(cp, blobs),
      writes: decodeWrites(writes),
    }));
  }

  /**
   * After PostgreSQL committed a batch, per thread: evicts (or marks copied) each entry that did
   * not change since it was read and raises the cold high-water marks (one script per thread, all
   * threads in one round trip), then re-indexes the threads (see {@link reindexThreads}).
   */
  async finishCopy(
    threads: Array<{ threadId: string; entries: Array<CheckpointKey & { version: string; hasCheckpoint: boolean }> }>,
    evict: boolean,
  ): Promise<Array<{ finished: number; changed: number }>> {
    if (threads.length === 0) return [];
    const k = this.keys;
    const replies = await this.run(() =>
      Promise.all(
        threads.map(({ threadId, entries }) => {
          const keys = [k.age(threadId), k.copied(threadId), k.versions(threadId), k.coldMax(threadId)];
          const args = [
            k.threadBase(threadId),
            evict ? '1' : '0',
            String(entries.length),
            ...entries.flatMap((e) => [e.checkpointNs, e.checkpointId, e.version, e.hasCheckpoint ? '1' : '0']),
          ];
          return this.scripted.tcFinishCopy(keys.length, ...keys, ...args);
        }),
      ),
    );
    await this.reindexThreads(threads.map(({ threadId }, i) => ({ threadId, oldestUncopied: toStr(replies[i][2]), oldestCopied: toStr(replies[i][3]) })));
    return replies.map(([finished, changed]) => ({ finished: Number(finished), changed: Number(changed) }));
  }

  /** Evicts copied entries older than `cutoff` of each thread (up to `limit` per thread); returns the total. */
  async evictCopied(threadIds: string[], cutoff: number, limit: number): Promise<number> {
    if (threadIds.length === 0) return 0;
    const k = this.keys;
    const replies = await this.run(() =>
      Promise.all(threadIds.map((t) => this.scripted.tcEvictCopied(2, k.copied(t), k.age(t), k.threadBase(t), String(cutoff), String(limit)))),
    );
    await this.reindexThreads(threadIds.map((threadId, i) => ({ threadId, oldestCopied: toStr(replies[i][1]), oldestUncopied: toStr(replies[i][2]) })));
    return replies.reduce((n, [evicted]) => n + Number(evicted), 0);
  }

  /**
   * Sets the threads' scores in both global indexes from the oldest scores their thread scripts
   * just returned. Race-freedom: every global update is sent only after the thread script
   * replied, and a removal re-checks the thread's own set only after the removal replied. A put
   * that raced in either ran its thread script before that re-check (and is seen, then
   * re-indexed), or indexes the thread itself after it. Three round trips for any number of
   * threads (the third only when a re-check found entries); a thread's keys and the global
   * indexes are different slots, so this cannot be one script on a Cluster.
   */
  private async reindexThreads(threads: Array<{ threadId: string; oldestUncopied: string; oldestCopied: string }>): Promise<void> {
    const k = this.keys;
    const indexes = [
      { global: k.threadsByAge, own: (t: string) => k.age(t), oldest: (r: (typeof threads)[number]) => r.oldestUncopied },
      { global: k.threadsCopied, own: (t: string) => k.copied(t), oldest: (r: (typeof threads)[number]) => r.oldestCopied },
    ];
    await this.run(async () => {
      const updates: Array<Promise<unknown>> = [];
      const removed = indexes.map((ix) => threads.filter((r) => ix.oldest(r) === '').map((r) => r.threadId));
      indexes.forEach((ix, i) => {
        const scored = threads.filter((r) => ix.oldest(r) !== '');
        for (const part of chunks(scored)) updates.push(this.client.zadd(ix.global, ...part.flatMap((r) => [ix.oldest(r), r.threadId])));
        for (const part of chunks(removed[i]!)) updates.push(this.client.zrem(ix.global, ...part));
      });
      await Promise.all(updates);
      const rechecks = indexes.flatMap((ix, i) => removed[i]!.map((threadId) => ({ ix, threadId })));
      const again = await Promise.all(rechecks.map(({ ix, threadId }) => this.client.zrange(ix.own(threadId), 0, 0, 'WITHSCORES')));
      const readd = indexes.map((ix) => ({ ix, members: [] as string[] }));
      rechecks.forEach(({ ix, threadId }, i) => {
        const [, score] = again[i]!;
        if (score !== undefined) readd.find((r) => r.ix === ix)!.members.push(score, threadId);
      });
      await Promise.all(readd.filter((r) => r.members.length > 0).map((r) => this.client.zadd(r.ix.global, 'LT', ...r.members)));
    });
  }

  /**
   * How many checkpoints Redis holds and the server's `used_memory` (live cost estimate). Walks
   * the hot threads' namespace indexes: O(hot threads), for the admin API, not the request path.
   */
  async hotFootprint(): Promise<{ checkpoints: number; usedMemoryBytes: number }> {
    const threads = await this.hotThreads();
    let checkpoints = 0;
    for (const threadId of threads) {
      const namespaces = await this.run(() => this.client.smembers(this.keys.namespaces(threadId)));
      const counts = await this.run(() => Promise.all(namespaces.map((ns) => this.client.zcard(this.keys.index(threadId, ns)))));
      checkpoints += counts.reduce((a, b) => a + b, 0);
    }
    const info = String(await this.run(() => this.client.info('memory')));
    const usedMemoryBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    return { checkpoints, usedMemoryBytes };
  }

  /** Age (ms) of the oldest entry waiting for copy, and how many threads wait. */
  async backlog(): Promise<{ oldestUncopiedAt?: number; threadsWaiting: number; threadsCopiedHot: number }> {
    const [oldest, waiting, copied] = await this.run(() =>
      Promise.all([this.client.zrange(this.keys.threadsByAge, 0, 0, 'WITHSCORES'), this.client.zcard(this.keys.threadsByAge), this.client.zcard(this.keys.threadsCopied)]),
    );
    return { oldestUncopiedAt: oldest[1] !== undefined ? Number(oldest[1]) : undefined, threadsWaiting: waiting, threadsCopiedHot: copied };
  }

  // ---- lease ----------------------------------------------------------------------------------

  async acquireLease(token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.run(() => this.scripted.tcLeaseAcquire(1, this.keys.migrationLease, token, String(ttlMs)))) === 1;
  }
  async renewLease(token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.run(() => this.scripted.tcLeaseRenew(1, this.keys.migrationLease, token, String(ttlMs)))) === 1;
  }
  async releaseLease(token: string): Promise<void> {
    await this.run(() => this.scripted.tcLeaseRelease(1, this.keys.migrationLease, token));
  }

  /** Wraps driver failures in {@link StoreUnavailableError}; our own errors pass through. */
  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      if (error instanceof TieredCheckpointError) throw error;
      throw this.unavailable(error instanceof Error ? error.message : String(error), error);
    }
  }

  private unavailable(message: string, cause: unknown): StoreUnavailableError {
    const hint = /isn't writeable|Connection is closed/.test(message) ? ' (not connected: call setup() first, or Redis is unreachable)' : '';
    return new StoreUnavailableError('redis', `${this.where}: ${message}${hint}`, { cause });
  }
}
