-- PostgresSaver layout (@langchain/langgraph-checkpoint-postgres 1.0.x, its migrations v0..v4),
-- column for column, so that either saver reads the other's rows.
--
-- Every statement is safe on a database where PostgresSaver.setup() already ran (fully or in
-- part): tables are created only if missing, and v4 (blob nullable) is re-applied idempotently.
-- No schema is named here: the cold tier's migrator (and `prisma migrate deploy` with
-- `?schema=`) runs this file with search_path set to the target schema.

-- CreateTable
CREATE TABLE IF NOT EXISTS "checkpoint_migrations" (
    "v" INTEGER NOT NULL,

    CONSTRAINT "checkpoint_migrations_pkey" PRIMARY KEY ("v")
);

-- CreateTable
CREATE TABLE IF NOT EXISTS "checkpoints" (
    "thread_id" TEXT NOT NULL,
    "checkpoint_ns" TEXT NOT NULL DEFAULT '',
    "checkpoint_id" TEXT NOT NULL,
    "parent_checkpoint_id" TEXT,
    "type" TEXT,
    "checkpoint" JSONB NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("thread_id", "checkpoint_ns", "checkpoint_id")
);

-- CreateTable
CREATE TABLE IF NOT EXISTS "checkpoint_blobs" (
    "thread_id" TEXT NOT NULL,
    "checkpoint_ns" TEXT NOT NULL DEFAULT '',
    "channel" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "blob" BYTEA,

    CONSTRAINT "checkpoint_blobs_pkey" PRIMARY KEY ("thread_id", "checkpoint_ns", "channel", "version")
);

-- CreateTable
CREATE TABLE IF NOT EXISTS "checkpoint_writes" (
    "thread_id" TEXT NOT NULL,
    "checkpoint_ns" TEXT NOT NULL DEFAULT '',
    "checkpoint_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "channel" TEXT NOT NULL,
    "type" TEXT,
    "blob" BYTEA NOT NULL,

    CONSTRAINT "checkpoint_writes_pkey" PRIMARY KEY ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx")
);

-- PostgresSaver migration v4 (a no-op when the column is already nullable).
ALTER TABLE "checkpoint_blobs" ALTER COLUMN "blob" DROP NOT NULL;

-- Tell PostgresSaver its migrations v0..v4 are applied, so its setup() on this schema is a no-op.
INSERT INTO "checkpoint_migrations" ("v") VALUES (0), (1), (2), (3), (4) ON CONFLICT ("v") DO NOTHING;
