import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PrismaLikeClient } from '../config/tiered-checkpoint.options.js';
import type { BlobRecord, ColdCheckpoint, ListQuery, MigrationBatch } from '../core/records.js';
import { InvalidOptionsError, StoreUnavailableError } from '../errors/tiered-checkpoint.errors.js';
import { base64Params, batchThreads, byteLength, chunkRows, compareStrings, compressBatch, packedParams, prepareBatch, type PreparedBatch } from './cold-batch.js';
import { decompressValue, type ColdCompression } from './cold-compression.js';
import { inflate, toColdCheckpoint } from './cold-row.codec.js';
import { ColdTierMigrator, type MigrationReport } from './cold-tier.migrator.js';
import {
  coldTierSql,
  COLD_TIER_TABLES,
  SCHEMA_NAME_PATTERN,
  threadLockNamespace,
  type CheckpointSqlRow,
  type ColdTierSql,
} from './cold-tier.sql.js';
import { createPrismaClientWithPool, describeDatabaseUrl, redactDatabaseUrls, toColdTierError } from './prisma-client.factory.js';

/** Options of {@link ColdTierStore}. */
export interface ColdTierStoreOptions {
  /** An existing Prisma client (built with `@prisma/adapter-pg`). Never closed by the store. */
  prisma?: PrismaLikeClient;
  /** PostgreSQL URL; used only when `prisma` is not given. The store then owns the client it creates. */
  databaseUrl?: string;
  /** Schema holding the cold tier tables (created by `setup()` if missing). */
  schema: string;
  /** Where the migration files are. Default: this package's `prisma/migrations` (see `findMigrationsDir`). */
  migrationsDir?: string;
  /** Upper bound of one `writeMigrationBatch` / `deleteThread` transaction. Default 120 000 ms. */
  transactionTimeoutMs?: number;
  /** Compress channel values and writes written by migration (see `cold-compression.ts`). Default `none`. */
  compression?: ColdCompression;
  /**
   * Whether setup() creates the indexes for `list` across threads (newest first without a
   * thread; metadata filter without a thread). Default false: the migrations drop them, every
   * thread-scoped read is served by the primary keys. See `coldSearchIndexes`.
   */
  searchIndexes?: boolean;
}

/** Bytes and rows one table takes on disk. `tableBytes + indexBytes + toastBytes === totalBytes`. */
export interface TableSize {
  /** Heap (main fork plus free-space and visibility maps), without TOAST. */
  tableBytes: number;
  /** All indexes of the table. */
  indexBytes: number;
  /** The TOAST table and its index (large `checkpoint`/`metadata`/`blob` values live here). */
  toastBytes: number;
  totalBytes: number;
}

/** What {@link ColdTierStore.stats} reports. */
export interface ColdTierStats {
  checkpoints: number;
  blobs: number;
  writes: number;
  tables: Record<string, TableSize>;
}

/** Result of {@link ColdTierStore.writeMigrationBatch}. Both lists are sorted. */
export interface MigrationBatchResult {
  /** Threads whose rows are now in PostgreSQL (newly or already). */
  writtenThreads: string[];
  /** Threads deleted since their epoch was read: none of their rows were written. */
  skippedThreads: string[];
}

const DEFAULT_TRANSACTION_TIMEOUT_MS = 120_000;
const TRANSACTION_MAX_WAIT_MS = 30_000;
/** The statements of one migration transaction, whichever client runs them. */
interface BatchTransaction {
  /** How byte columns travel: packed into one binary parameter (pool), or base64 `text[]` (Prisma). */
  bytes: 'packed' | 'base64';
  query<T>(text: string, values: unknown[]): Promise<T[]>;
  execute(text: string, values: unknown[]): Promise<void>;
}

/**
 * The PostgreSQL cold tier: Prisma-owned schema, PostgresSaver-compatible tables.
 *
 * A plain class (no framework): the Nest module and the saver construct it. All SQL is in
 * `cold-tier.sql.ts`; it runs through the Prisma client's raw API with `$n` parameters.
 * Connection-level failures surface as {@link StoreUnavailableError}('postgres') naming the host
 * (never the password) and what to check.
 */
export class ColdTierStore {
  /** Schema holding the tables; validated as a plain identifier and always quoted. */
  readonly schema: string;
  private readonly prisma: PrismaLikeClient;
  private readonly ownsClient: boolean;
  private readonly databaseUrl: string | undefined;
  private readonly sql: ColdTierSql;
  private readonly lockNamespace: number;
  private readonly migrationsDir: string | undefined;
  private readonly transactionTimeoutMs: number;
  private closed = false;
  /** The pool under our own Prisma client: reads run on it as prepared statements. */
  private readonly pool?: pg.Pool;
  private readonly compression: ColdCompression;
  private readonly searchIndexes: boolean;
  private readonly statementNames = new Map<string, string>();

  /**
   * Uses `options.prisma` when given (and never closes it); otherwise creates a client from
   * `options.databaseUrl`, which {@link close} disconnects. No connection is opened here.
   *
   * @throws InvalidOptionsError when the schema is not a plain identifier or neither client nor
   *   URL is given.
   */
  constructor(options: ColdTierStoreOptions) {
    const problems: string[] = [];
    if (typeof options.schema !== 'string' || !SCHEMA_NAME_PATTERN.test(options.schema)) {
      problems.push(`schema "${String(options.schema)}" must be a plain PostgreSQL identifier (letters, digits, _ and $, at most 63 characters)`);
    }
    if (!options.prisma && !options.databaseUrl) problems.push('either databaseUrl or a Prisma client (prisma) is required');
    if (options.transactionTimeoutMs !== undefined && !(Number.isSafeInteger(options.transactionTimeoutMs) && options.transactionTimeoutMs > 0)) {
      problems.push(`transactionTimeoutMs must be a positive integer, got ${String(options.transactionTimeoutMs)}`);
    }
    if (options.searchIndexes !== undefined && typeof options.searchIndexes !== 'boolean') {
      problems.push(`searchIndexes must be true or false, got ${JSON.stringify(options.searchIndexes)}`);
    }
    if (problems.length > 0) throw new InvalidOptionsError(problems);

    this.schema = options.schema;
    this.compression = options.compression ?? 'none';
    this.searchIndexes = options.searchIndexes ?? false;
    this.sql = coldTierSql(options.schema);
    this.lockNamespace = threadLockNamespace(options.schema);
    this.migrationsDir = options.migrationsDir;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    this.databaseUrl = options.prisma ? undefined : options.databaseUrl;
    if (options.prisma) {
      this.prisma = options.prisma;
      this.ownsClient = false;
    } else {
      const { prisma, pool } = createPrismaClientWithPool({ databaseUrl: options.databaseUrl!, schema: options.schema });
      this.prisma = prisma;
      this.pool = pool;
      this.ownsClient = true;
    }
  }

  /**
   * Creates the schema if missing and applies pending migrations from `prisma/migrations`,
   * recorded in `<schema>._prisma_migrations` as Prisma Migrate records them. Idempotent; safe
   * when several processes call it at once (they serialize on an advisory lock); safe on a
   * schema where PostgresSaver already created its tables. With `searchIndexes`, then creates
   * the search indexes if missing (under the same lock; turning the option off later does not
   * drop them).
   */
  async setup(): Promise<MigrationReport> {
    const afterMigrations = this.searchIndexes ? this.sql.createSearchIndexes : [];
    return this.run('setup()', () =>
      new ColdTierMigrator(this.prisma, this.schema, { migrationsDir: this.migrationsDir, afterMigrations }).migrate(),
    );
  }

  /** Disconnects the client if this store created it; a client passed in is left open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) {
      await this.prisma.$disconnect();
      await this.pool?.end();
    }
  }

  /**
   * Runs a read. On our own pool it is a named prepared statement (planned once per
   * connection: the checkpoint query costs more to plan than to run); with a client the caller
   * passed in it goes through Prisma's raw API.
   */
  private async read<T>(text: string, values: unknown[]): Promise<T[]> {
    if (!this.pool) return this.prisma.$queryRawUnsafe<T[]>(text, ...values);
    // Hashed once per statement text (a few dozen shapes at most), not per read.
    let name = this.statementNames.get(text);
    if (name === undefined) {
      name = `tc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      this.statementNames.set(text, name);
    }
    return (await this.pool.query({ name, text, values })).rows as T[];
  }

  /** `SELECT 1`. Any failure becomes {@link StoreUnavailableError}('postgres'). */
  async ping(): Promise<void> {
    try {
      await this.prisma.$queryRawUnsafe(this.sql.ping);
    } catch (error) {
      const mapped = toColdTierError(error, 'ping', this.databaseUrl);
      if (mapped instanceof StoreUnavailableError) throw mapped;
      const where = describeDatabaseUrl(this.databaseUrl) ?? 'the server of the given Prisma client';
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError('postgres', redactDatabaseUrls(`ping at ${where} failed: ${reason}`), { cause: error });
    }
  }

  /**
   * Latest checkpoint of (thread, ns) when `checkpointId` is undefined (greatest id in byte
   * order), else that exact checkpoint. Its blobs are the ones its `channel_versions` name (joined
   * like PostgresSaver's SELECT_SQL, `type = 'empty'` rows included with `bytes: null`), sorted
   * by channel; its writes are sorted by (taskPath, taskId, idx). One query.
   */
  async getTuple(threadId: string, checkpointNs: string, checkpointId?: string): Promise<ColdCheckpoint | undefined> {
    return this.run('getTuple', async () => {
      const query = this.sql.selectCheckpoints({ threadId, checkpointNs, checkpointId, limit: 1 });
      const rows = await this.read<CheckpointSqlRow>(query.text, query.values);
      return rows.length > 0 ? inflate(toColdCheckpoint(rows[0]!)) : undefined;
    });
  }

  /**
   * Exact (channel, version) lookups for one (thread, ns). Missing refs are simply absent from
   * the result; the result is sorted by (channel, version).
   */
  async getBlobs(threadId: string, checkpointNs: string, refs: Array<{ channel: string; version: string }>): Promise<BlobRecord[]> {
    if (refs.length === 0) return [];
    return this.run('getBlobs', async () => {
      const rows = await this.read<{ channel: string; version: string; type: string; blob: Uint8Array | null }>(this.sql.selectBlobs, [
        threadId,
        checkpointNs,
        refs.map((r) => r.channel),
        refs.map((r) => String(r.version)),
      ]);
      return rows.map((r) => decompressValue({ channel: r.channel, version: r.version, type: r.type, bytes: r.blob ?? null }));
    });
  }

  /**
   * Checkpoints newest first (`checkpoint_id` descending, byte order). `threadId`/`checkpointNs`
   * filter when given; `before` keeps ids strictly less; `filter` is JSONB containment
   * (`metadata @> filter`, an empty filter does not filter); `limit` caps the count (negative
   * counts as 0). Each checkpoint comes with blobs and writes as in {@link getTuple}, all in one
   * query.
   */
  async list(query: ListQuery): Promise<ColdCheckpoint[]> {
    let limit: number | undefined;
    if (query.limit !== undefined && query.limit !== null && Number.isFinite(query.limit)) limit = Math.max(0, Math.trunc(query.limit));
    if (limit === 0) return [];
    const hasFilter = query.filter !== undefined && query.filter !== null && Object.keys(query.filter).length > 0;
    return this.run('list', async () => {
      const sql = this.sql.selectCheckpoints({
        threadId: query.threadId,
        checkpointNs: query.checkpointNs,
        before: query.before,
        filterJson: hasFilter ? JSON.stringify(query.filter) : undefined,
        limit,
      });
      const rows = await this.read<CheckpointSqlRow>(sql.text, sql.values);
      return rows.map((row) => inflate(toColdCheckpoint(row)));
    });
  }

  /** Greatest `checkpoint_id` (byte order) stored for (thread, ns), or undefined. Served by the primary key. */
  async latestCheckpointId(threadId: string, checkpointNs: string): Promise<string | undefined> {
    return this.run('latestCheckpointId', async () => {
      const rows = await this.prisma.$queryRawUnsafe<Array<{ checkpoint_id: string }>>(this.sql.latestCheckpointId, threadId, checkpointNs);
      return rows[0]?.checkpoint_id;
    });
  }

  /** Current tombstone epoch of each thread (0 when never deleted). One query; every input thread is a key. */
  async readThreadEpochs(threadIds: string[]): Promise<Map<string, number>> {
    const epochs = new Map<string, number>(threadIds.map((t) => [t, 0]));
    if (threadIds.length === 0) return epochs;
    return this.run('readThreadEpochs', async () => {
      const rows = await this.prisma.$queryRawUnsafe<Array<{ thread_id: string; epoch: bigint | number }>>(this.sql.selectEpochs, [...new Set(threadIds)]);
      for (const row of rows) epochs.set(row.thread_id, Number(row.epoch));
      return epochs;
    });
  }

  /**
   * Copies one migration batch in one transaction:
   * 1. takes `pg_advisory_xact_lock_shared(<schema key>, hashtext(thread_id))` for every thread of
   *    the batch, in ascending key order (no lock-order cycles between batches);
   * 2. re-reads the threads' tombstone epochs — under the shared lock no deleteThread of these
   *    threads can be in flight, so the epoch read is final for this transaction; threads whose
   *    epoch differs from `expectedEpochs` (missing = 0) were deleted after the batch was read and
   *    are skipped entirely (none of their rows written: no resurrection);
   * 3. multi-row `INSERT ... SELECT FROM unnest(...)` per table, in bounded chunks:
   *    checkpoints upsert (checkpoint, metadata, parent_checkpoint_id updated); blobs first wins;
   *    writes with idx >= 0 first wins, idx < 0 (special channels) latest wins.
   * Duplicate keys inside the batch follow the same rules. Idempotent: running the same batch
   * again leaves the same rows. `beforeCommit` runs inside the transaction after the inserts
   * (fault-injection point for tests); throwing from it rolls everything back.
   */
  async writeMigrationBatch(
    batch: MigrationBatch,
    expectedEpochs: Map<string, number>,
    { beforeCommit }: { beforeCommit?: () => Promise<void> } = {},
  ): Promise<MigrationBatchResult> {
    const threads = batchThreads(batch);
    if (threads.length === 0) return { writtenThreads: [], skippedThreads: [] };
    return this.run('writeMigrationBatch', () =>
      this.inBatchTransaction(async (tx) => {
        await tx.query(this.sql.lockThreadsShared, [this.lockNamespace, threads]);
        const rows = await tx.query<{ thread_id: string; epoch: bigint | number | string }>(this.sql.selectEpochs, [threads]);
        const current = new Map(rows.map((r) => [r.thread_id, Number(r.epoch)]));
        const skipped = new Set(threads.filter((t) => (current.get(t) ?? 0) !== (expectedEpochs.get(t) ?? 0)));
        const prepared = prepareBatch(this.compression === 'none' ? batch : compressBatch(batch, this.compression), skipped);
        await this.insertPrepared(tx, prepared);
        await beforeCommit?.();
        return { writtenThreads: prepared.threads, skippedThreads: [...skipped].sort(compareStrings) };
      }),
    );
  }

  /**
   * Runs a migration batch in one READ COMMITTED transaction (see {@link transactionOptions}
   * for why). On our own pool: one pooled connection, statements prepared once per connection
   * and byte columns packed into one binary parameter. With a client the caller passed in: Prisma's interactive
   * transaction, byte columns as base64 text.
   */
  private async inBatchTransaction<T>(fn: (tx: BatchTransaction) => Promise<T>): Promise<T> {
    if (!this.pool) {
      return this.prisma.$transaction(
        async (prismaTx: PrismaLikeClient) =>
          fn({
            bytes: 'base64',
            query: (text, values) => prismaTx.$queryRawUnsafe(text, ...values),
            execute: async (text, values) => void (await prismaTx.$executeRawUnsafe(text, ...values)),
          }),
        this.transactionOptions(),
      );
    }
    const client = await this.pool.connect();
    // A checked-out client has no pool listener: without ours, a server that dies mid-batch
    // would crash the process with an unhandled 'error' (the failing query reports it anyway).
    const ignoreError = () => undefined;
    client.on('error', ignoreError);
    // Same bound as Prisma's transaction timeout: past it the connection is dropped, which
    // makes PostgreSQL roll the transaction back (a commit already sent may still land:
    // batches are idempotent).
    let released = false;
    let timedOut = false;
    const release = (destroy: boolean) => {
      if (released) return;
      released = true;
      // A destroyed client keeps the listener: it may still report its socket closing.
      if (!destroy) client.off('error', ignoreError);
      client.release(destroy);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      release(true);
    }, this.transactionTimeoutMs);
    const prepared = (text: string) => ({ name: `tc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text });
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await fn({
        bytes: 'packed',
        query: async (text, values) => (await client.query({ ...prepared(text), values })).rows,
        execute: async (text, values) => void (await client.query({ ...prepared(text), values })),
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (timedOut) throw new Error(`transaction exceeded transactionTimeoutMs (${this.transactionTimeoutMs} ms) and was rolled back`, { cause: error });
      // A failed ROLLBACK means the connection is unusable: drop it instead of pooling it.
      if (!released) await client.query('ROLLBACK').catch(() => release(true));
      throw error;
    } finally {
      clearTimeout(timer);
      release(false);
    }
  }

  private async insertPrepared(tx: BatchTransaction, prepared: PreparedBatch): Promise<void> {
    const statements = tx.bytes === 'packed' ? this.sql.packed : this.sql;
    const bytesParams = tx.bytes === 'packed' ? packedParams : base64Params;
    for (const chunk of chunkRows(prepared.checkpoints, (r) => r.checkpointJson.length + r.metadataJson.length)) {
      await tx.execute(this.sql.upsertCheckpoints, [
        chunk.map((r) => r.threadId),
        chunk.map((r) => r.checkpointNs),
        chunk.map((r) => r.checkpointId),
        chunk.map((r) => r.parentCheckpointId ?? null),
        chunk.map((r) => r.checkpointJson),
        chunk.map((r) => r.metadataJson),
      ]);
    }
    for (const chunk of chunkRows(prepared.blobs, (r) => byteLength(r.bytes))) {
      await tx.execute(statements.insertBlobs, [
        chunk.map((r) => r.threadId),
        chunk.map((r) => r.checkpointNs),
        chunk.map((r) => r.channel),
        chunk.map((r) => String(r.version)),
        chunk.map((r) => r.type),
        ...bytesParams(chunk.map((r) => r.bytes)),
      ]);
    }
    for (const [statement, writes] of [
      [statements.insertWrites, prepared.insertWrites],
      [statements.upsertWrites, prepared.upsertWrites],
    ] as const) {
      for (const chunk of chunkRows(writes, (r) => byteLength(r.bytes))) {
        await tx.execute(statement, [
          chunk.map((r) => r.threadId),
          chunk.map((r) => r.checkpointNs),
          chunk.map((r) => r.checkpointId),
          chunk.map((r) => r.taskId),
          chunk.map((r) => r.idx),
          chunk.map((r) => r.channel),
          chunk.map((r) => r.type),
          chunk.map((r) => r.taskPath ?? ''),
          ...bytesParams(chunk.map((r) => r.bytes)),
        ]);
      }
    }
  }

  /**
   * Deletes a thread (all namespaces) in one transaction under
   * `pg_advisory_xact_lock(<schema key>, hashtext(thread_id))` (exclusive): bumps its tombstone
   * epoch (1 on first delete, then +1) and deletes its rows from checkpoints, blobs and writes.
   * A migration batch holding the thread's shared lock finishes first; one that read the epoch
   * before this delete skips the thread.
   */
  async deleteThread(threadId: string): Promise<void> {
    await this.run('deleteThread', () =>
      this.prisma.$transaction(
        async (tx: PrismaLikeClient) => {
          await tx.$queryRawUnsafe(this.sql.lockThreadExclusive, this.lockNamespace, threadId);
          await tx.$queryRawUnsafe(this.sql.bumpTombstone, threadId);
          await tx.$executeRawUnsafe(this.sql.deleteThreadWrites, threadId);
          await tx.$executeRawUnsafe(this.sql.deleteThreadBlobs, threadId);
          await tx.$executeRawUnsafe(this.sql.deleteThreadCheckpoints, threadId);
        },
        this.transactionOptions(),
      ),
    );
  }

  /**
   * Deletes the given checkpoints of one thread (and their writes) and every channel value of
   * the thread not in `keepRefs` (the values the kept checkpoints, hot or cold, reference). Runs
   * under the thread's exclusive lock and bumps its epoch, like {@link deleteThread}, so a
   * migration batch in flight cannot write a pruned checkpoint back.
   */
  async pruneThread(
    threadId: string,
    drop: Array<{ checkpointNs: string; checkpointId: string }>,
    keepRefs: Array<{ checkpointNs: string; channel: string; version: string }>,
  ): Promise<{ checkpoints: number; writes: number; blobs: number }> {
    return this.run('pruneThread', () =>
      this.prisma.$transaction(
        async (tx: PrismaLikeClient) => {
          await tx.$queryRawUnsafe(this.sql.lockThreadExclusive, this.lockNamespace, threadId);
          await tx.$queryRawUnsafe(this.sql.bumpTombstone, threadId);
          const ns = drop.map((d) => d.checkpointNs);
          const ids = drop.map((d) => d.checkpointId);
          const writes = await tx.$executeRawUnsafe(this.sql.pruneWrites, threadId, ns, ids);
          const checkpoints = await tx.$executeRawUnsafe(this.sql.pruneCheckpoints, threadId, ns, ids);
          const blobs = await tx.$executeRawUnsafe(
            this.sql.pruneBlobs,
            threadId,
            keepRefs.map((r) => r.checkpointNs),
            keepRefs.map((r) => r.channel),
            keepRefs.map((r) => r.version),
          );
          return { checkpoints, writes, blobs };
        },
        this.transactionOptions(),
      ),
    );
  }

  /**
   * Row counts (exact `count(*)`: a full scan, meant for ops and cost measurement, not the
   * request path) and on-disk bytes of the three tables, split into heap, indexes and TOAST.
   */
  async stats(): Promise<ColdTierStats> {
    return this.run('stats', async () => {
      const [counts] = await this.prisma.$queryRawUnsafe<Array<{ checkpoints: bigint; blobs: bigint; writes: bigint }>>(this.sql.counts);
      const sizes = await this.prisma.$queryRawUnsafe<
        Array<{ table_name: string; table_and_toast_bytes: bigint; index_bytes: bigint; toast_bytes: bigint; total_bytes: bigint }>
      >(this.sql.sizes);
      const tables: Record<string, TableSize> = {};
      for (const name of COLD_TIER_TABLES) {
        const row = sizes.find((s) => s.table_name === name);
        const toastBytes = Number(row?.toast_bytes ?? 0);
        tables[name] = {
          tableBytes: Number(row?.table_and_toast_bytes ?? 0) - toastBytes,
          indexBytes: Number(row?.index_bytes ?? 0),
          toastBytes,
          totalBytes: Number(row?.total_bytes ?? 0),
        };
      }
      return {
        checkpoints: Number(counts?.checkpoints ?? 0),
        blobs: Number(counts?.blobs ?? 0),
        writes: Number(counts?.writes ?? 0),
        tables,
      };
    });
  }

  /** Test/ops helper: empties checkpoints, blobs, writes and tombstones (the schema and migrations stay). */
  async truncateAll(): Promise<void> {
    await this.run('truncateAll', () => this.prisma.$executeRawUnsafe(this.sql.truncateAll));
  }

  /**
   * Options of our interactive transactions. READ COMMITTED explicitly, whatever the server's
   * `default_transaction_isolation`: the epoch re-read after the lock statement must see a
   * deleteThread that committed while we waited for the lock, i.e. take a fresh snapshot per
   * statement. Under REPEATABLE READ the snapshot would predate the wait.
   */
  private transactionOptions() {
    return { timeout: this.transactionTimeoutMs, maxWait: TRANSACTION_MAX_WAIT_MS, isolationLevel: 'ReadCommitted' as const };
  }

  /** Runs an operation, turning connection-level failures into StoreUnavailableError. */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toColdTierError(error, operation, this.databaseUrl);
    }
  }
}

