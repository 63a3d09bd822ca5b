/**
 * Every SQL statement of the cold tier, in one place.
 *
 * Rules the statements follow:
 * - The schema name is the only thing interpolated. It is validated against
 *   {@link SCHEMA_NAME_PATTERN} (no quote can occur) and always double-quoted; every value a
 *   caller supplies travels as a `$n` parameter.
 * - Ordering that callers observe is byte order: `COLLATE "C"` on `checkpoint_id`, `task_path`
 *   and `task_id`, so results do not depend on the database's locale and agree with the hot
 *   tier's ordering. The migrations also declare `checkpoint_id` as `COLLATE "C"`, so the primary
 *   key (and the opt-in `checkpoints_checkpoint_id_idx`) serve these orderings.
 * - Batch inserts take one array parameter per column and `unnest` them: the parameter count is
 *   fixed whatever the batch size (PostgreSQL's limit is 65 535 per statement). Byte columns
 *   have two forms. On the store's own node-postgres pool they are packed: one binary `bytea`
 *   parameter with every value back to back, cut with `substring` by offset/length arrays (a
 *   `bytea[]` would go as hex text, encoded in JS and parsed again by PostgreSQL). Through
 *   Prisma's raw API (a client the caller passed in) they travel as base64 `text[]` and are
 *   `decode`d in SQL: Prisma
 *   infers an array parameter's type from its first element only, so a `bytea[]` starting with
 *   NULL would reach PostgreSQL as base64 text stored verbatim.
 * - Checkpoint reads fetch their blobs and pending writes through lateral subselects in the same
 *   statement (one round trip, never N+1). Each side comes back as two columns: a `json` array
 *   of the small fields (with each value's byte length) and one `bytea` of the values
 *   concatenated in the same order. Both parse natively in the client (JSON.parse, hex decode);
 *   `text[]`/`bytea[]` arrays would go through node-pg's array parser, which walks the text
 *   character by character (it cost more CPU than the rest of a cold read together).
 */

import { createHash } from 'node:crypto';

/** A PostgreSQL identifier we accept as a schema name (same rule as option validation). */
export const SCHEMA_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Names of the tables the cold tier owns, as they appear in migrations and `stats()`. */
export const COLD_TIER_TABLES = ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes'] as const;

/** Quotes a validated schema name. Throws on anything that is not a plain identifier. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME_PATTERN.test(schema)) {
    throw new Error(`schema "${schema}" is not a plain PostgreSQL identifier`);
  }
  return `"${schema}"`;
}

/** sha256 of a text, as bytes (node's crypto; lock keys must be stable across processes and versions). */
function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Key of the session-independent advisory lock that serializes `setup()` on one schema
 * (`pg_advisory_xact_lock(int8)`), as a decimal string. Derived from the schema name, so setups
 * of different schemas do not wait for each other. The one-argument (int8) and two-argument
 * (int4, int4) advisory lock forms never collide, so this cannot clash with the thread locks.
 */
export function migrationLockKey(schema: string): string {
  return sha256(`tiered-checkpointer:migrate:${schema}`).readBigInt64BE(0).toString();
}

/**
 * First key of the per-thread advisory locks (`pg_advisory_xact_lock[_shared](ns, hashtext(thread_id))`)
 * of one schema, as a signed int4. deleteThread takes the thread's lock exclusively, migration
 * batches take it shared.
 */
export function threadLockNamespace(schema: string): number {
  return sha256(`tiered-checkpointer:thread:${schema}`).readInt32BE(0);
}

/** `[channel, version, type, byte length or null]` of one channel value. */
export type BlobMeta = [channel: string, version: string, type: string, length: number | null];
/** `[task_id, idx, channel, type, task_path, byte length]` of one pending write. */
export type WriteMeta = [taskId: string, idx: number, channel: string, type: string | null, taskPath: string, length: number];

/**
 * Row shape shared by getTuple and list. `*_meta` and `*_data` are NULL when there is nothing
 * (aggregates over no rows); `*_data` holds the values of `*_meta` concatenated in its order
 * (a NULL value contributes no bytes). `*_meta` is a JSON text on clients that leave `json`
 * unparsed.
 */
export interface CheckpointSqlRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  checkpoint: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  blob_meta: BlobMeta[] | string | null;
  blob_data: Uint8Array | null;
  write_meta: WriteMeta[] | string | null;
  write_data: Uint8Array | null;
}

/** A statement and its parameters, ready for `$queryRawUnsafe(text, ...values)`. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Filters of {@link ColdTierSql.selectCheckpoints}; an absent field does not filter. */
export interface CheckpointSelection {
  threadId?: string;
  checkpointNs?: string;
  checkpointId?: string;
  before?: string;
  /** JSON text of a metadata containment filter. */
  filterJson?: string;
  limit?: number;
}

/** All statements for one schema. Build once per store with {@link coldTierSql}. */
export interface ColdTierSql {
  readonly schema: string;
  readonly ping: string;
  /** $1 thread_id, $2 checkpoint_ns. */
  readonly latestCheckpointId: string;
  /** $1 thread_id, $2 checkpoint_ns, $3 channels text[], $4 versions text[]. */
  readonly selectBlobs: string;
  /** $1 thread ids text[]. */
  readonly selectEpochs: string;
  /** $1 lock namespace int4, $2 thread ids text[]: shared per-thread locks in hash order. */
  readonly lockThreadsShared: string;
  /** $1 lock namespace int4, $2 thread_id: exclusive per-thread lock. */
  readonly lockThreadExclusive: string;
  /** Columns $1..$6: thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint JSON, metadata JSON (all text[]). */
  readonly upsertCheckpoints: string;
  /** Columns $1..$6: thread_id, checkpoint_ns, channel, version, type, blob (base64 text, NULL for none), all text[]. */
  readonly insertBlobs: string;
  /** Columns $1..$9: thread_id, checkpoint_ns, checkpoint_id, task_id, idx (int4[]), channel, type, task_path, blob (base64 text). First write wins. */
  readonly insertWrites: string;
  /** Same columns as insertWrites; latest write wins (special channels, idx < 0). */
  readonly upsertWrites: string;
  /**
   * insertBlobs / insertWrites / upsertWrites with the blob column packed (node-postgres pool):
   * instead of the blob array, `blob_off int4[]` (1-based) and `blob_len int4[]` (-1 = NULL)
   * columns, and after them one `bytea` parameter ($8 for blobs, $11 for writes) holding the values.
   */
  readonly packed: { readonly insertBlobs: string; readonly insertWrites: string; readonly upsertWrites: string };
  /** $1 thread_id. */
  readonly bumpTombstone: string;
  readonly deleteThreadCheckpoints: string;
  readonly deleteThreadBlobs: string;
  readonly deleteThreadWrites: string;
  /** $1 thread_id, $2 namespaces text[], $3 checkpoint ids text[]: the writes of those checkpoints. */
  readonly pruneWrites: string;
  /** Same parameters: those checkpoints. */
  readonly pruneCheckpoints: string;
  /** $1 thread_id, $2 ns text[], $3 channel text[], $4 version text[]: values of the thread not in that keep list. */
  readonly pruneBlobs: string;
  readonly counts: string;
  readonly sizes: string;
  readonly truncateAll: string;
  /**
   * The opt-in indexes for `list` across threads (`coldSearchIndexes`): newest first without a
   * thread, and metadata containment. Same names and definitions the first migrations created.
   */
  readonly createSearchIndexes: readonly string[];
  /** getTuple / list: one statement returning checkpoints with their blobs and writes. */
  selectCheckpoints(selection: CheckpointSelection): SqlQuery;
}

/** Builds the statements of one schema (validated and quoted here). */
export function coldTierSql(schema: string): ColdTierSql {
  const s = quoteSchema(schema);
  const checkpoints = `${s}."checkpoints"`;
  const blobs = `${s}."checkpoint_blobs"`;
  const writes = `${s}."checkpoint_writes"`;
  const tombstones = `${s}."checkpoint_thread_tombstones"`;

  // Blobs named by the checkpoint's channel_versions (as PostgresSaver's SELECT_SQL joins them)
  // and pending writes in writesSortKey order. The json and the bytea aggregate of one side use
  // the same ORDER BY, and its keys are unique within a checkpoint (one value per channel; the
  // primary key covers (task_id, idx)), so both list the rows in the same order.
  const blobOrder = `ORDER BY bl.channel COLLATE "C"`;
  const writeOrder = `ORDER BY cw.task_path COLLATE "C", cw.task_id COLLATE "C", cw.idx`;
  const selectHead = `SELECT
    cp.thread_id, cp.checkpoint_ns, cp.checkpoint_id, cp.parent_checkpoint_id, cp.checkpoint, cp.metadata,
    b.blob_meta, b.blob_data, w.write_meta, w.write_data
  FROM (%CHECKPOINTS%) cp
  LEFT JOIN LATERAL (
    SELECT
      json_agg(json_build_array(bl.channel, bl.version, bl.type, octet_length(bl.blob)) ${blobOrder}) AS blob_meta,
      string_agg(bl.blob, ''::bytea ${blobOrder}) AS blob_data
    FROM jsonb_each_text(COALESCE(cp.checkpoint -> 'channel_versions', '{}'::jsonb)) cv
    -- One primary-key lookup per channel. LIMIT 1 (the key is unique anyway) keeps the planner
    -- from flattening this into a hash join over every value the thread ever stored.
    CROSS JOIN LATERAL (
      SELECT b1.channel, b1.version, b1.type, b1.blob FROM ${blobs} b1
      WHERE b1.thread_id = cp.thread_id AND b1.checkpoint_ns = cp.checkpoint_ns AND b1.channel = cv.key AND b1.version = cv.value
      LIMIT 1
    ) bl
  ) b ON TRUE
  LEFT JOIN LATERAL (
    SELECT
      json_agg(json_build_array(cw.task_id, cw.idx, cw.channel, cw.type, cw.task_path, octet_length(cw.blob)) ${writeOrder}) AS write_meta,
      string_agg(cw.blob, ''::bytea ${writeOrder}) AS write_data
    FROM ${writes} cw
    WHERE cw.thread_id = cp.thread_id
      AND cw.checkpoint_ns = cp.checkpoint_ns
      AND cw.checkpoint_id = cp.checkpoint_id
  ) w ON TRUE
  ORDER BY cp.checkpoint_id COLLATE "C" DESC`;

  // Byte columns, last in every batch insert: base64 text decoded in SQL (Prisma's raw API), or
  // packed (pool): one binary bytea parameter holding every value back to back, cut by offset
  // and length (-1 = NULL) arrays, so no value is hex- or base64-encoded on either side.
  type BytesForm = 'base64' | 'packed';
  const bytesColumns = (form: BytesForm, n: number) => (form === 'base64' ? [`$${n}::text[]`] : [`$${n}::int4[]`, `$${n + 1}::int4[]`]);
  const bytesNames = (form: BytesForm) => (form === 'base64' ? 'blob' : 'blob_off, blob_len');
  const bytesValue = (form: BytesForm, packedParam: number) =>
    form === 'base64' ? `decode(r.blob, 'base64')` : `CASE WHEN r.blob_len < 0 THEN NULL ELSE substring($${packedParam}::bytea FROM r.blob_off FOR r.blob_len) END`;
  const writeColumns = `(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, task_path, blob)`;
  const writeSource = (form: BytesForm) => `SELECT r.thread_id, r.checkpoint_ns, r.checkpoint_id, r.task_id, r.idx, r.channel, r.type, r.task_path, ${bytesValue(form, 11)}
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::text[], $7::text[], $8::text[], ${bytesColumns(form, 9).join(', ')})
        AS r(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, task_path, ${bytesNames(form)})`;
  const insertBlobs = (form: BytesForm) => `INSERT INTO ${blobs} (thread_id, checkpoint_ns, channel, version, type, blob)
      SELECT r.thread_id, r.checkpoint_ns, r.channel, r.version, r.type, ${bytesValue(form, 8)}
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], ${bytesColumns(form, 6).join(', ')})
        AS r(thread_id, checkpoint_ns, channel, version, type, ${bytesNames(form)})
      ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING`;
  const insertWrites = (form: BytesForm) => `INSERT INTO ${writes} ${writeColumns}
      ${writeSource(form)}
      ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING`;
  const upsertWrites = (form: BytesForm) => `INSERT INTO ${writes} ${writeColumns}
      ${writeSource(form)}
      ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
        channel = EXCLUDED.channel,
        type = EXCLUDED.type,
        blob = EXCLUDED.blob,
        task_path = EXCLUDED.task_path`;

  const sizeOf = (table: string) => `SELECT '${table}' AS table_name,
      pg_table_size(c.oid) AS table_and_toast_bytes,
      pg_indexes_size(c.oid) AS index_bytes,
      CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_total_relation_size(c.reltoastrelid) END AS toast_bytes,
      pg_total_relation_size(c.oid) AS total_bytes
    FROM pg_class c WHERE c.oid = to_regclass('${s}."${table}"')`;

  return {
    schema,
    ping: 'SELECT 1 AS ok',
    latestCheckpointId: `SELECT checkpoint_id FROM ${checkpoints}
      WHERE thread_id = $1 AND checkpoint_ns = $2
      ORDER BY checkpoint_id COLLATE "C" DESC LIMIT 1`,
    selectBlobs: `SELECT bl.channel, bl.version, bl.type, bl.blob
      FROM ${blobs} bl
      JOIN unnest($3::text[], $4::text[]) AS ref(channel, version)
        ON bl.channel = ref.channel AND bl.version = ref.version
      WHERE bl.thread_id = $1 AND bl.checkpoint_ns = $2
      ORDER BY bl.channel COLLATE "C", bl.version COLLATE "C"`,
    selectEpochs: `SELECT thread_id, epoch FROM ${tombstones} WHERE thread_id = ANY($1::text[])`,
    // The ordered subquery is not flattened (it has ORDER BY and DISTINCT), so the locks are
    // taken in ascending hash order: every batch locks in the same order, which rules out a
    // lock-order cycle between two batches queued behind deleteThread's exclusive lock.
    lockThreadsShared: `SELECT count(*)::int4 AS locked FROM (
        SELECT pg_advisory_xact_lock_shared($1::int4, h.key) AS l
        FROM (SELECT DISTINCT hashtext(t) AS key FROM unnest($2::text[]) AS t ORDER BY 1) h
      ) locks`,
    lockThreadExclusive: `SELECT 1 AS locked FROM pg_advisory_xact_lock($1::int4, hashtext($2::text))`,
    upsertCheckpoints: `INSERT INTO ${checkpoints} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
      SELECT r.thread_id, r.checkpoint_ns, r.checkpoint_id, r.parent_checkpoint_id, r.checkpoint::jsonb, r.metadata::jsonb
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
        AS r(thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
      ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
        checkpoint = EXCLUDED.checkpoint,
        metadata = EXCLUDED.metadata,
        parent_checkpoint_id = EXCLUDED.parent_checkpoint_id`,
    insertBlobs: insertBlobs('base64'),
    insertWrites: insertWrites('base64'),
    upsertWrites: upsertWrites('base64'),
    packed: { insertBlobs: insertBlobs('packed'), insertWrites: insertWrites('packed'), upsertWrites: upsertWrites('packed') },
    bumpTombstone: `INSERT INTO ${tombstones} AS t (thread_id, epoch, deleted_at) VALUES ($1, 1, now())
      ON CONFLICT (thread_id) DO UPDATE SET epoch = t.epoch + 1, deleted_at = now()
      RETURNING epoch`,
    deleteThreadCheckpoints: `DELETE FROM ${checkpoints} WHERE thread_id = $1`,
    deleteThreadBlobs: `DELETE FROM ${blobs} WHERE thread_id = $1`,
    deleteThreadWrites: `DELETE FROM ${writes} WHERE thread_id = $1`,
    pruneWrites: `DELETE FROM ${writes} w USING unnest($2::text[], $3::text[]) AS d(ns, id)
      WHERE w.thread_id = $1 AND w.checkpoint_ns = d.ns AND w.checkpoint_id = d.id`,
    pruneCheckpoints: `DELETE FROM ${checkpoints} c USING unnest($2::text[], $3::text[]) AS d(ns, id)
      WHERE c.thread_id = $1 AND c.checkpoint_ns = d.ns AND c.checkpoint_id = d.id`,
    pruneBlobs: `DELETE FROM ${blobs} b WHERE b.thread_id = $1 AND NOT EXISTS (
        SELECT 1 FROM unnest($2::text[], $3::text[], $4::text[]) AS k(ns, channel, version)
        WHERE k.ns = b.checkpoint_ns AND k.channel = b.channel AND k.version = b.version)`,
    counts: `SELECT
        (SELECT count(*) FROM ${checkpoints}) AS checkpoints,
        (SELECT count(*) FROM ${blobs}) AS blobs,
        (SELECT count(*) FROM ${writes}) AS writes`,
    sizes: COLD_TIER_TABLES.map(sizeOf).join('\n    UNION ALL\n    '),
    truncateAll: `TRUNCATE ${checkpoints}, ${blobs}, ${writes}, ${tombstones}`,
    createSearchIndexes: [
      `CREATE INDEX IF NOT EXISTS "checkpoints_checkpoint_id_idx" ON ${checkpoints} ("checkpoint_id")`,
      `CREATE INDEX IF NOT EXISTS "checkpoints_metadata_idx" ON ${checkpoints} USING GIN ("metadata" jsonb_path_ops)`,
    ],
    selectCheckpoints(selection: CheckpointSelection): SqlQuery {
      const where: string[] = [];
      const values: unknown[] = [];
      const param = (value: unknown, cast: string) => {
        values.push(value);
        return `$${values.length}::${cast}`;
      };
      if (selection.threadId !== undefined) where.push(`thread_id = ${param(selection.threadId, 'text')}`);
      if (selection.checkpointNs !== undefined) where.push(`checkpoint_ns = ${param(selection.checkpointNs, 'text')}`);
      if (selection.checkpointId !== undefined) where.push(`checkpoint_id = ${param(selection.checkpointId, 'text')}`);
      if (selection.before !== undefined) where.push(`checkpoint_id COLLATE "C" < ${param(selection.before, 'text')}`);
      if (selection.filterJson !== undefined) where.push(`metadata @> ${param(selection.filterJson, 'jsonb')}`);
      let inner = `SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata
      FROM ${checkpoints}`;
      if (where.length > 0) inner += `\n      WHERE ${where.join(' AND ')}`;
      inner += `\n      ORDER BY checkpoint_id COLLATE "C" DESC`;
      if (selection.limit !== undefined) inner += ` LIMIT ${param(selection.limit, 'int8')}`;
      return { text: selectHead.replace('%CHECKPOINTS%', inner), values };
    },
  };
}

/**
 * The `_prisma_migrations` table exactly as Prisma Migrate creates it for PostgreSQL (same
 * columns, types and defaults), so `prisma migrate deploy` / `migrate status` read our records.
 */
export function prismaMigrationsSql(schema: string) {
  const table = `${quoteSchema(schema)}."_prisma_migrations"`;
  return {
    createSchema: `CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schema)}`,
    /** Scopes the migration files (which name no schema) to the target schema, for this transaction only. */
    setSearchPath: `SET LOCAL search_path TO ${quoteSchema(schema)}`,
    /** $1 lock key (int8 as text). Held until the migration transaction ends. */
    lock: `SELECT 1 AS locked FROM pg_advisory_xact_lock($1::int8)`,
    createTable: `CREATE TABLE IF NOT EXISTS ${table} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
    selectApplied: `SELECT id, migration_name, checksum, finished_at, rolled_back_at FROM ${table} ORDER BY started_at, migration_name`,
    /** $1 id, $2 checksum, $3 migration_name. */
    insertStarted: `INSERT INTO ${table} (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
    /** $1 id. */
    markFinished: `UPDATE ${table} SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
  };
}
