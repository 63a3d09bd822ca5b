/**
 * Public API of tiered-checkpointer: the saver and its stores (usable without Nest), the Nest
 * modules that construct them, options, errors and the health indicators.
 */
export { TieredCheckpointSaver, type TierStats, type ThreadInspection } from './tiering/tiered-checkpoint.saver.js';
export type { PruneReport } from './tiering/thread-maintenance.js';
export type { RetentionPolicy } from './tiering/retention.js';
export type { MigrationStep, MigrationStepHook } from './tiering/migration.hooks.js';
export type { CheckpointMetrics, AnsweringTier } from './core/metrics.js';
export { HealthModule, REDIS_HEALTH_TARGET, POSTGRES_HEALTH_TARGET, MIGRATION_HEALTH_TARGET } from './health/health.module.js';
export { RedisHealthIndicator } from './health/redis.health.js';
export { PostgresHealthIndicator } from './health/postgres.health.js';
export { MigrationHealthIndicator, migrationLagMs } from './health/migration.health.js';
export { MigrationRunner, type MigrationReport } from './tiering/migration.runner.js';
export { MigrationService, MIGRATION_JOB_NAME, type MigrationStatus } from './tiering/migration.job.js';
export { TieringModule } from './tiering/tiering.module.js';
export { HotTierStore, type HotTierStoreOptions, type RedisServerReport } from './hot-tier/hot-tier.store.js';
export { HotTierModule } from './hot-tier/hot-tier.module.js';
export { RedisKeys } from './hot-tier/redis-keys.js';
export { ColdTierStore } from './cold-tier/cold-tier.store.js';
export { ColdTierModule } from './cold-tier/cold-tier.module.js';
export { TieredCheckpointModule, InjectCheckpointer } from './tiered-checkpoint.module.js';
export { TIERED_CHECKPOINT_OPTIONS, type TieredCheckpointModuleExtras } from './tiered-checkpoint.module-definition.js';
export { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from './tiered-checkpoint.tokens.js';
export {
  DEFAULT_OPTIONS,
  resolveOptions,
  type PrismaLikeClient,
  type ResolvedTieredCheckpointOptions,
  type TieredCheckpointOptions,
} from './config/tiered-checkpoint.options.js';
export { ManualClock, systemClock, type Clock } from './core/clock.js';
export { nextChannelVersion } from './core/channel-versions.js';
export * from './errors/tiered-checkpoint.errors.js';
