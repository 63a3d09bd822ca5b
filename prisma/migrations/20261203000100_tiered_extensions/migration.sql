-- What the tiered checkpointer adds to the PostgresSaver layout. Additive and idempotent, so it
-- is also safe on tables PostgresSaver created. PostgresSaver keeps working on the result: it
-- never names task_path (the default fills it) nor the tombstones table.

-- Serialized task path of a pending write (`putWrites`' third argument); pending writes are
-- returned ordered by (task_path, task_id, idx). Rows written by PostgresSaver get ''.
ALTER TABLE "checkpoint_writes" ADD COLUMN IF NOT EXISTS "task_path" TEXT NOT NULL DEFAULT '';

-- CreateTable
-- Deletion epoch per thread. deleteThread bumps it under an exclusive per-thread advisory lock;
-- a migration batch re-reads it under the shared lock and skips a thread whose epoch moved, so a
-- copy that started before the delete cannot bring the thread back.
CREATE TABLE IF NOT EXISTS "checkpoint_thread_tombstones" (
    "thread_id" TEXT NOT NULL,
    "epoch" BIGINT NOT NULL,
    "deleted_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoint_thread_tombstones_pkey" PRIMARY KEY ("thread_id")
);

-- Checkpoint ids order by bytes (COLLATE "C") whatever the database's locale, so the order
-- PostgreSQL returns is the order the hot tier and the saver's merge use. Declaring it on the
-- columns (rather than only in queries) lets the primary keys serve
-- `ORDER BY checkpoint_id COLLATE "C"` and `checkpoint_id COLLATE "C" < $before`: an index in the
-- database's default collation cannot serve a "C" ordering, even on a C.UTF-8 database.
-- Only the collation changes: no table rewrite, the indexes on these columns are rebuilt.
-- (Prisma's schema language has no column collation and `migrate diff` ignores it.)
ALTER TABLE "checkpoints" ALTER COLUMN "checkpoint_id" SET DATA TYPE TEXT COLLATE "C";
ALTER TABLE "checkpoints" ALTER COLUMN "parent_checkpoint_id" SET DATA TYPE TEXT COLLATE "C";
ALTER TABLE "checkpoint_writes" ALTER COLUMN "checkpoint_id" SET DATA TYPE TEXT COLLATE "C";

-- CreateIndex
-- `list` without a thread: newest first across threads and namespaces.
CREATE INDEX IF NOT EXISTS "checkpoints_checkpoint_id_idx" ON "checkpoints"("checkpoint_id");

-- CreateIndex
-- `list` with a metadata filter: `metadata @> $filter::jsonb`.
CREATE INDEX IF NOT EXISTS "checkpoints_metadata_idx" ON "checkpoints" USING GIN ("metadata" jsonb_path_ops);
