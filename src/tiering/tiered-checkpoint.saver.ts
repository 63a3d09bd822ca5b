import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';
import { ColdTierStore } from '../cold-tier/cold-tier.store.js';
import { nextChannelVersion } from '../core/channel-versions.js';
import { readListAddress, readThreadAddress, requireId } from '../core/checkpoint-config.js';
import type { CheckpointKey, WriteRecord } from '../core/records.js';
import type { AnsweringTier } from '../core/metrics.js';
import { InvalidCheckpointConfigError, InvalidOptionsError, InvalidWritesError, StoreUnavailableError } from '../errors/tiered-checkpoint.errors.js';
import { HotTierStore, hotTierStoreOptions, type HotLookup } from '../hot-tier/hot-tier.store.js';
import { resolveOptions, type ResolvedTieredCheckpointOptions, type TieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { MigrationRunner, type MigrationReport } from './migration.runner.js';
import { jsonContains, mergeNewestFirst, mergeWrites, sortWrites } from './tier-merge.js';
import { TupleCodec, type KeyedTuple } from './tuple-codec.js';
import { ThreadMaintenance, type PruneReport } from './thread-maintenance.js';
import type { RetentionPolicy } from './retention.js';

/** Where each checkpoint of a thread lives (admin API). */
export interface ThreadInspection {
  threadId: string;
  checkpoints: Array<{ checkpointNs: string; checkpointId: string; tier: 'hot' | 'cold' | 'both' }>;
  counts: { hot: number; cold: number; both: number };
}

/** Where the saver's data is, for operators and the cost model. */
export interface TierStats {
  hot: { threadsWaitingForCopy: number; threadsCopiedStillHot: number; oldestUncopiedAgeMs?: number };
  cold: Awaited<ReturnType<ColdTierStore['stats']>>;
}

/**
 * A LangGraph checkpoint saver over two tiers: every write lands in Redis, reads look in Redis
 * first, and {@link migrate} moves what aged past the hot window to PostgreSQL. Callers cannot
 * tell which tier answered: `getTuple`, `list` and pending writes return the same whether data
 * is hot, cold or split.
 *
 * A plain class: construct it with the two stores (or {@link fromConfig}), call {@link setup}
 * once, {@link close} at the end. The Nest modules only construct it.
 */
export class TieredCheckpointSaver extends BaseCheckpointSaver {
  readonly options: ResolvedTieredCheckpointOptions;
  private readonly codec: TupleCodec;
  private readonly migration: MigrationRunner;
  private readonly maintenance: ThreadMaintenance;
  private readonly ownedStores: Array<HotTierStore | ColdTierStore>;

  constructor(
    readonly hot: HotTierStore,
    readonly cold: ColdTierStore,
    options: TieredCheckpointOptions | ResolvedTieredCheckpointOptions,
    { ownsStores = false }: { ownsStores?: boolean } = {},
  ) {
    super(options.serde);
    this.options = resolveOptions(options, { storesGiven: true });
    this.codec = new TupleCodec(this.serde, this.options.maxPayloadBytes);
    this.maintenance = new ThreadMaintenance(this, hot, cold, this.codec, this.options.clock);
    this.migration = new MigrationRunner(hot, cold, this.codec, this.options, (threads) => this.maintenance.prune(threads, this.options.retention));
    this.ownedStores = ownsStores ? [hot, cold] : [];
  }

  /**
   * Builds the saver and both stores from plain options. Clients created here are closed by
   * {@link close}; clients passed in (`redis`, `prisma`) are left open for their owner.
   */
  static fromConfig(options: TieredCheckpointOptions): TieredCheckpointSaver {
    const resolved = resolveOptions(options);
    const hot = new HotTierStore(hotTierStoreOptions(resolved));
    const cold = new ColdTierStore({ prisma: resolved.prisma, databaseUrl: resolved.databaseUrl, schema: resolved.schema, compression: resolved.coldCompression, searchIndexes: resolved.coldSearchIndexes });
    return new TieredCheckpointSaver(hot, cold, resolved, { ownsStores: true });
  }

  /** Connects to Redis and applies pending PostgreSQL migrations. Safe to call on every replica. */
  async setup(): Promise<void> {
    await this.hot.connect();
    await this.cold.setup();
  }

  /** Closes the stores this saver created. */
  async close(): Promise<void> {
    await Promise.all(this.ownedStores.map((s) => s.close()));
  }

  /** Alias of {@link close}, matching `PostgresSaver.end()`. */
  async end(): Promise<void> {
    await this.close();
  }

  /** Runs one migration pass (copy, then evict) now, or as of `now` (ms) for tests. */
  async migrate(options: { now?: number } = {}): Promise<MigrationReport> {
    const now = options?.now;
    if (now !== undefined && (typeof now !== 'number' || !Number.isFinite(now))) {
      throw new InvalidOptionsError([`migrate: now must be a finite number of milliseconds since the epoch, got ${String(now)}`]);
    }
    const started = performance.now();
    try {
      const report = await this.migration.run({ now });
      this.options.metrics.migrationRun(report, (performance.now() - started) / 1000);
      return report;
    } catch (error) {
      this.options.metrics.migrationFailed(error);
      throw error;
    }
  }

  async stats(): Promise<TierStats> {
    const [backlog, cold] = await Promise.all([this.hot.backlog(), this.cold.stats()]);
    const now = this.options.clock.now();
    return {
      hot: {
        threadsWaitingForCopy: backlog.threadsWaiting,
        threadsCopiedStillHot: backlog.threadsCopiedHot,
        oldestUncopiedAgeMs: backlog.oldestUncopiedAt !== undefined ? Math.max(0, now - backlog.oldestUncopiedAt) : undefined,
      },
      cold,
    };
  }

  /**
   * Deletes old checkpoints of the given threads from both tiers, keeping per (thread,
   * namespace) the newest `keepLast` (or, with `{ finalOnly: true }`, the last checkpoint of each
   * run). What is kept stays fully readable, including the delta-channel history it needs.
   */
  async prune(threadIds: string[], options: { keepLast: number } | { finalOnly: true }): Promise<PruneReport> {
    if (typeof options !== 'object' || options === null || !('finalOnly' in options || 'keepLast' in options)) {
      throw new InvalidOptionsError([`prune: options must be { keepLast: N } or { finalOnly: true }, got ${JSON.stringify(options) ?? String(options)}`]);
    }
    const policy: RetentionPolicy = 'finalOnly' in options ? { mode: 'finalOnly' } : { mode: 'keepLast', keepLast: options.keepLast };
    if (policy.mode === 'keepLast' && (!Number.isSafeInteger(policy.keepLast) || policy.keepLast < 1)) {
      throw new InvalidOptionsError([`prune: keepLast must be an integer >= 1, got ${String(policy.keepLast)}`]);
    }
    for (const id of threadIds) requireId('threadId', id, 'prune');
    return this.maintenance.prune(threadIds, policy);
  }

  /** Copies a thread (all namespaces, both tiers, writes included) to a new, empty thread id. */
  async copyThread(fromThreadId: string, toThreadId: string): Promise<number> {
    requireId('fromThreadId', fromThreadId, 'copyThread');
    requireId('toThreadId', toThreadId, 'copyThread');
    const existing = await this.getTuple({ configurable: { thread_id: toThreadId } });
    if (existing) throw new InvalidCheckpointConfigError(`copyThread: thread "${toThreadId}" already has checkpoints; copy into a new thread id.`);
    return this.maintenance.copyThread(fromThreadId, toThreadId);
  }

  /** Lists a thread's checkpoints (all namespaces, newest first) with the tier each lives in. */
  async inspectThread(threadId: string): Promise<ThreadInspection> {
    requireId('threadId', threadId, 'inspectThread');
    const [hotKeys, coldRows] = await Promise.all([this.hot.listIds(threadId, undefined), this.cold.list({ threadId })]);
    const key = (k: CheckpointKey) => `${k.checkpointNs}\0${k.checkpointId}`;
    const cold = new Set(coldRows.map(key));
    const hot = new Set(hotKeys.map(key));
    const all = mergeNewestFirst(hotKeys, coldRows.map((r) => ({ threadId, checkpointNs: r.checkpointNs, checkpointId: r.checkpointId })));
    const checkpoints = all.map((k) => ({
      checkpointNs: k.checkpointNs,
      checkpointId: k.checkpointId,
      tier: hot.has(key(k)) && cold.has(key(k)) ? ('both' as const) : hot.has(key(k)) ? ('hot' as const) : ('cold' as const),
    }));
    const counts = { hot: 0, cold: 0, both: 0 };
    for (const c of checkpoints) counts[c.tier] += 1;
    return { threadId, checkpoints, counts };
  }

  /**
   * Fork-safe versions: unique per call yet ordered (see `channel-versions.ts`). Typed as the
   * base class types it; at run time new threads get string versions, which LangGraph supports.
   */
  override getNextVersion(current: number | undefined): number {
    return nextChannelVersion(current as string | number | undefined) as unknown as number;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    // The contract: no thread, no checkpoint (not an error, unlike writes).
    if (config?.configurable?.thread_id === undefined) return undefined;
    const { threadId, checkpointNs, checkpointId } = readThreadAddress(config, 'getTuple');
    const started = performance.now();
    let tier: AnsweringTier = 'none';
    try {
      let found: KeyedTuple | undefined;
      try {
        const hot = await this.hot.getTuple(threadId, checkpointNs, checkpointId);
        ({ found, tier } = await this.resolveLookup(threadId, checkpointNs, checkpointId, hot));
      } catch (error) {
        // Redis down: a checkpoint named by id that already lives in PostgreSQL stays readable
        // (without late writes Redis may hold). "Latest" cannot be answered without Redis.
        if (!(error instanceof StoreUnavailableError && error.store === 'redis' && checkpointId !== undefined)) throw error;
        const cold = await this.cold.getTuple(threadId, checkpointNs, checkpointId);
        if (!cold) throw error;
        found = { ...cold, tuple: await this.codec.decodeCold(cold, cold.writes) };
        tier = 'cold';
      }
      if (!found) return undefined;
      await this.applyPendingSends([found]);
      return found.tuple;
    } finally {
      this.options.metrics.read('getTuple', tier, (performance.now() - started) / 1000);
    }
  }

  /**
   * Resolves one lookup: Redis answers alone when it holds the checkpoint and (for "latest")
   * PostgreSQL cannot hold a newer one — the cold high-water mark says so — otherwise PostgreSQL
   * is asked, and late writes Redis holds for a cold checkpoint are merged in.
   */
  private async resolveLookup(
    threadId: string,
    checkpointNs: string,
    checkpointId: string | undefined,
    hot: HotLookup,
  ): Promise<{ found?: KeyedTuple; tier: AnsweringTier }> {
    const hotKey = { threadId, checkpointNs, checkpointId: hot.checkpointId! };
    const hotAnswers = hot.checkpoint && (checkpointId !== undefined || hot.coldMax === undefined || hot.checkpointId! >= hot.coldMax);
    if (hotAnswers) return this.fromHot(hotKey, hot);

    const cold = await this.cold.getTuple(threadId, checkpointNs, checkpointId);
    if (!cold) return hot.checkpoint ? { ...(await this.fromHot(hotKey, hot)), tier: 'both' } : { tier: 'none' };
    if (hot.checkpoint && hot.checkpointId! >= cold.checkpointId) return { ...(await this.fromHot(hotKey, hot)), tier: 'both' };
    // The lookup already brought the writes Redis holds for this checkpoint, unless PostgreSQL's
    // latest is not the cold high-water mark (history from elsewhere): then ask for them.
    const lateWrites = hot.writesFor === cold.checkpointId ? hot.writes : (await this.hot.getWrites([cold]))[0];
    return { found: { ...cold, tuple: await this.codec.decodeCold(cold, mergeWrites(cold.writes, lateWrites)) }, tier: 'cold' };
  }

  private async fromHot(key: CheckpointKey, hot: HotLookup): Promise<{ found: KeyedTuple; tier: AnsweringTier }> {
    const checkpoint = hot.checkpoint!;
    // Values written before the thread's history migrated live in PostgreSQL only.
    const needsCold = checkpoint.coldRefs.length > 0;
    const coldBlobs = needsCold ? await this.cold.getBlobs(key.threadId, key.checkpointNs, checkpoint.coldRefs) : [];
    // Read repair: the next reads of this checkpoint, and its children's, stay in Redis.
    if (coldBlobs.length > 0) await this.hot.adoptBlobs(key, coldBlobs);
    return { found: { ...key, tuple: await this.codec.decodeHot(key, checkpoint, sortWrites(hot.writes), coldBlobs) }, tier: needsCold ? 'both' : 'hot' };
  }

  /** Pre-v4 checkpoints read pending sends from their parent's writes (both tiers). */
  private async applyPendingSends(found: KeyedTuple[]): Promise<void> {
    for (const item of found) {
      const parent = item.tuple.parentConfig?.configurable?.checkpoint_id as string | undefined;
      if (item.tuple.checkpoint.v >= 4 || !parent) continue;
      const parentKey = { threadId: item.threadId, checkpointNs: item.checkpointNs, checkpointId: parent };
      const [[hotWrites], cold] = await Promise.all([this.hot.getWrites([parentKey]), this.cold.getTuple(item.threadId, item.checkpointNs, parent)]);
      await this.codec.applyPendingSends(item.tuple, mergeWrites(cold?.writes ?? [], hotWrites));
    }
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const { threadId, checkpointNs, checkpointId } = readListAddress(config, 'list');
    const { limit, filter } = options ?? {};
    const before = options?.before ? readListAddress(options.before, 'list (options.before)').checkpointId : undefined;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new InvalidCheckpointConfigError(`list: limit must be a non-negative integer, got ${typeof limit === 'string' ? `the string "${limit}"` : String(limit)}.`);
    }
    if (limit === 0) return;
    const started = performance.now();
    // Keys whose value is undefined are dropped, as JSON (and so PostgreSQL) drops them: both
    // tiers then filter alike.
    const definedFilter = filter ? Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) : undefined;
    const activeFilter = definedFilter && Object.keys(definedFilter).length > 0 ? definedFilter : undefined;
    const matches = (t: KeyedTuple) => (!activeFilter || jsonContains(t.tuple.metadata, activeFilter)) && (checkpointId === undefined || t.checkpointId === checkpointId);

    const threads = threadId !== undefined ? [threadId] : await this.hot.hotThreads();
    const hotLists = await Promise.all(threads.map((t) => this.listHot(t, checkpointNs, before, activeFilter || checkpointId ? undefined : limit)));
    const hotTuples = hotLists.flatMap((l) => l.tuples).filter(matches);
    const page = mergeNewestFirst(hotTuples, [], limit);

    if (threadId === undefined || !(await this.hotPageIsComplete(threadId, checkpointNs, page, limit, hotLists[0].coldMax))) {
      const coldRows = await this.cold.list({ threadId, checkpointNs, before, limit: checkpointId ? undefined : limit, filter: activeFilter });
      const hotKeys = new Set(hotTuples.map((t) => `${t.threadId}\0${t.checkpointNs}\0${t.checkpointId}`));
      const coldOnly = coldRows.filter((r) => !hotKeys.has(`${r.threadId}\0${r.checkpointNs}\0${r.checkpointId}`) && (checkpointId === undefined || r.checkpointId === checkpointId));
      const lateWrites = await this.hot.getWrites(coldOnly);
      const coldTuples = await Promise.all(coldOnly.map(async (row, i) => ({ ...row, tuple: await this.codec.decodeCold(row, mergeWrites(row.writes, lateWrites[i])) })));
      const merged = mergeNewestFirst(hotTuples, coldTuples, limit);
      await this.applyPendingSends(merged);
      this.options.metrics.read('list', hotTuples.length === 0 ? 'cold' : 'both', (performance.now() - started) / 1000);
      for (const item of merged) yield item.tuple;
      return;
    }
    await this.applyPendingSends(page);
    this.options.metrics.read('list', 'hot', (performance.now() - started) / 1000);
    for (const item of page) yield item.tuple;
  }

  /**
   * A page served from Redis alone is complete when it is full and PostgreSQL holds nothing
   * newer than its last entry (by the cold high-water mark of the namespaces involved; for one
   * namespace the list script already returned it).
   */
  private async hotPageIsComplete(
    threadId: string,
    checkpointNs: string | undefined,
    page: KeyedTuple[],
    limit: number | undefined,
    namespaceColdMax: string | undefined,
  ): Promise<boolean> {
    if (limit === undefined || page.length < limit) return false;
    const relevant = checkpointNs !== undefined ? [namespaceColdMax] : [...(await this.hot.coldMaxes(threadId)).values()];
    const highest = relevant.filter((m): m is string => m !== undefined).sort().pop();
    return highest === undefined || page[page.length - 1].checkpointId >= highest;
  }

  /** A thread's hot checkpoints (one namespace, or all), with the namespace's cold mark when one was asked. */
  private async listHot(threadId: string, checkpointNs: string | undefined, before: string | undefined, limit: number | undefined): Promise<{ tuples: KeyedTuple[]; coldMax?: string }> {
    const namespaces = checkpointNs !== undefined ? [checkpointNs] : await this.hot.namespaces(threadId);
    const pages = await Promise.all(namespaces.map((ns) => this.hot.listPage(threadId, ns, before, limit)));
    const tuples: KeyedTuple[] = [];
    for (const [i, page] of pages.entries()) {
      for (const entry of page.entries) {
        // Evicted between the index read and the load (an index entry without data): the cold
        // side of the merge has it.
        if (!entry.checkpoint) continue;
        tuples.push((await this.fromHot({ threadId, checkpointNs: namespaces[i], checkpointId: entry.checkpointId! }, entry)).found);
      }
    }
    return { tuples, coldMax: checkpointNs !== undefined ? pages[0].coldMax : undefined };
  }

  /**
   * The base walk does one `getTuple` per ancestor: on a long thread whose history crossed into
   * PostgreSQL that is one PostgreSQL query per step. Here the ancestors come from one `list`
   * of the namespace (a bounded number of round trips in each tier, whatever the chain length)
   * and the same walk runs in memory, with the base implementation's exact semantics: parents
   * only (forks off the path do not contribute), writes per channel in `writesSortKey` order,
   * stopping per channel at the nearest ancestor that stores a value.
   */
  override async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<Record<string, DeltaChannelHistory>> {
    const { config, channels } = options;
    if (channels.length === 0) return {};
    const target = await this.getTuple(config);
    const collected = new Map<string, Array<[string, string, unknown]>>(channels.map((ch) => [ch, []]));
    const seeds = new Map<string, unknown>();
    const parentId = target?.parentConfig?.configurable?.checkpoint_id as string | undefined;
    if (target && parentId !== undefined) {
      const { thread_id, checkpoint_ns } = target.config.configurable!;
      const ancestors = new Map<string, CheckpointTuple>();
      for await (const t of this.list({ configurable: { thread_id, checkpoint_ns } }, { before: target.config })) {
        ancestors.set(t.config.configurable!.checkpoint_id as string, t);
      }
      const remaining = new Set(channels);
      let cursor: string | undefined = parentId;
      while (cursor !== undefined && remaining.size > 0) {
        const tuple = ancestors.get(cursor);
        if (!tuple) break;
        const perChannel = new Map<string, Array<[string, string, unknown]>>();
        for (const write of tuple.pendingWrites ?? []) {
          if (remaining.has(write[1])) perChannel.set(write[1], [...(perChannel.get(write[1]) ?? []), write]);
        }
        // Newest ancestor first while walking; each block reversed so the final reverse restores order.
        for (const [ch, block] of perChannel) collected.get(ch)!.push(...[...block].reverse());
        for (const ch of [...remaining]) {
          if (Object.prototype.hasOwnProperty.call(tuple.checkpoint.channel_values, ch)) {
            seeds.set(ch, tuple.checkpoint.channel_values[ch]);
            remaining.delete(ch);
          }
        }
        cursor = tuple.parentConfig?.configurable?.checkpoint_id as string | undefined;
      }
    }
    const result: Record<string, DeltaChannelHistory> = {};
    for (const ch of channels) {
      result[ch] = { writes: [...collected.get(ch)!].reverse(), ...(seeds.has(ch) ? { seed: seeds.get(ch) } : {}) } as DeltaChannelHistory;
    }
    return result;
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const { threadId, checkpointNs, checkpointId: parentId } = readThreadAddress(config, 'put');
    const checkpointId = requireId('checkpoint.id', checkpoint?.id, 'put');
    const key = { threadId, checkpointNs, checkpointId };
    const started = performance.now();
    let ok = false;
    try {
      const write = await this.codec.encodePut(key, parentId, checkpoint, metadata, newVersions ?? {});
      await this.hot.putCheckpoint(write, this.options.clock.now());
      ok = true;
    } finally {
      this.options.metrics.write('put', (performance.now() - started) / 1000, ok);
    }
    return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpointId } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const { threadId, checkpointNs, checkpointId } = readThreadAddress(config, 'putWrites');
    if (checkpointId === undefined) {
      throw new InvalidCheckpointConfigError('putWrites: config.configurable.checkpoint_id is required: writes belong to a checkpoint.');
    }
    requireId('taskId', taskId, 'putWrites');
    if (!Array.isArray(writes)) throw new InvalidWritesError('putWrites: writes must be an array of [channel, value] pairs.');
    // An empty batch stores nothing, exactly like MemorySaver and PostgresSaver.
    if (writes.length === 0) return;
    for (const w of writes) {
      if (!Array.isArray(w) || typeof w[0] !== 'string' || w[0] === '') throw new InvalidWritesError('putWrites: each write must be a [channel, value] pair with a non-empty channel name.');
    }
    const started = performance.now();
    let ok = false;
    try {
      const records: WriteRecord[] = await this.codec.encodeWrites(writes, taskId, taskPath ?? '');
      await this.hot.putWrites({ threadId, checkpointNs, checkpointId }, records, this.options.clock.now());
      ok = true;
    } finally {
      this.options.metrics.write('putWrites', (performance.now() - started) / 1000, ok);
    }
  }

  /**
   * Deletes a thread from both tiers: Redis first, then PostgreSQL, whose delete bumps the
   * thread's tombstone epoch so a migration batch that read the thread before the delete
   * cannot write it back.
   */
  async deleteThread(threadId: string): Promise<void> {
    requireId('threadId', threadId, 'deleteThread');
    await this.hot.deleteThread(threadId);
    await this.cold.deleteThread(threadId);
  }
}
