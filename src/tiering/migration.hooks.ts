/**
 * Points in a migration batch where a test (or a chaos experiment) can inject a failure or kill
 * the process, to prove that a crash at any step loses and duplicates nothing.
 *
 * - `after-read`: entries read from Redis, nothing written to PostgreSQL yet;
 * - `in-transaction`: rows inserted, PostgreSQL transaction not yet committed;
 * - `after-commit`: PostgreSQL committed, Redis not yet cleaned up;
 * - `mid-cleanup`: Redis cleaned up for the first thread of the batch only (the others, if
 *   any, not yet).
 */
export type MigrationStep = 'after-read' | 'in-transaction' | 'after-commit' | 'mid-cleanup';

/** Called at each step; throwing aborts the run at that point. */
export type MigrationStepHook = (step: MigrationStep, batch: number) => void | Promise<void>;
