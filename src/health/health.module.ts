import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MigrationHealthIndicator } from './migration.health.js';
import { PostgresHealthIndicator } from './postgres.health.js';
import { RedisHealthIndicator } from './redis.health.js';

/**
 * Injection token of the store a Redis readiness check pings ({@link RedisHealthTarget}).
 * An app binds it to its hot-tier store, e.g. `{ provide: REDIS_HEALTH_TARGET, useExisting: HotTierStore }`.
 */
export const REDIS_HEALTH_TARGET = Symbol('REDIS_HEALTH_TARGET');

/**
 * Injection token of the store a PostgreSQL readiness check pings ({@link PostgresHealthTarget}).
 * An app binds it to its cold-tier store, e.g. `{ provide: POSTGRES_HEALTH_TARGET, useExisting: ColdTierStore }`.
 */
export const POSTGRES_HEALTH_TARGET = Symbol('POSTGRES_HEALTH_TARGET');

/**
 * Injection token of what a migration-lag readiness check reads ({@link MigrationHealthTarget}).
 * An app binds it to its saver, e.g. `{ provide: MIGRATION_HEALTH_TARGET, useExisting: TieredCheckpointSaver }`.
 */
export const MIGRATION_HEALTH_TARGET = Symbol('MIGRATION_HEALTH_TARGET');

/**
 * Provides the tiered checkpointer's terminus indicators. Like terminus's own indicators they
 * take the store to check as an argument, so this module imports no store and the app's
 * controller decides what it checks (a library ships no controllers).
 */
@Module({
  imports: [TerminusModule],
  providers: [RedisHealthIndicator, PostgresHealthIndicator, MigrationHealthIndicator],
  exports: [RedisHealthIndicator, PostgresHealthIndicator, MigrationHealthIndicator],
})
export class HealthModule {}

export type { RedisHealthTarget, RedisServerInspection, RedisHealthCheckOptions } from './redis.health.js';
export type { PostgresHealthTarget, PostgresHealthCheckOptions } from './postgres.health.js';
export type { MigrationHealthTarget, MigrationHealthCheckOptions, MigrationStatusSource, MigrationBacklog } from './migration.health.js';
