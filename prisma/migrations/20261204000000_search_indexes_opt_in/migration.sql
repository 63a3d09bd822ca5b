-- The two cross-thread search indexes become opt-in (option `coldSearchIndexes`, env
-- COLD_SEARCH_INDEXES): every read and write the saver makes on its own names a thread and is
-- served by the primary keys, and these two cost about as many bytes per checkpoint as the
-- primary key of `checkpoints` itself. With the option on, setup() creates them again (same
-- names and definitions, IF NOT EXISTS), so a database that opts in keeps what it had.
--
-- `list` without a thread (newest first across threads) and a metadata filter across threads
-- then scan the table instead.

-- DropIndex
DROP INDEX IF EXISTS "checkpoints_checkpoint_id_idx";

-- DropIndex
DROP INDEX IF EXISTS "checkpoints_metadata_idx";
