import type { MigrationReport } from '../tiering/migration.runner.js';

/** Which tier answered a read. `both`: Redis was asked first and PostgreSQL completed the answer. */
export type AnsweringTier = 'hot' | 'cold' | 'both' | 'none';

/**
 * What the saver reports about itself. The library ships no metrics client; the standalone
 * service plugs a Prometheus implementation in, apps may plug their own. All methods must be
 * cheap and must not throw.
 */
export interface CheckpointMetrics {
  /** A `getTuple` or `list` finished: which tier answered and how long it took. */
  read(operation: 'getTuple' | 'list', tier: AnsweringTier, seconds: number): void;
  /** A `put` or `putWrites` finished (or failed, `ok = false`). */
  write(operation: 'put' | 'putWrites', seconds: number, ok: boolean): void;
  /** A migration run finished. */
  migrationRun(report: MigrationReport, seconds: number): void;
  /** A migration run failed. */
  migrationFailed(error: unknown): void;
}

/** Reports nothing. */
export const noopMetrics: CheckpointMetrics = {
  read: () => undefined,
  write: () => undefined,
  migrationRun: () => undefined,
  migrationFailed: () => undefined,
};
