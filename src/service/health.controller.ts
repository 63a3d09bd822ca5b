import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { MIGRATION_HEALTH_TARGET, POSTGRES_HEALTH_TARGET, REDIS_HEALTH_TARGET } from '../health/health.module.js';
import { MigrationHealthIndicator, type MigrationHealthTarget } from '../health/migration.health.js';
import { MigrationService } from '../tiering/migration.job.js';
import { PostgresHealthIndicator, type PostgresHealthTarget } from '../health/postgres.health.js';
import { RedisHealthIndicator, type RedisHealthTarget } from '../health/redis.health.js';

/**
 * Probes of the standalone service.
 *
 * - `GET /health/live`: 200 whenever the process serves HTTP. It checks no store on purpose: a
 *   Redis outage must take replicas out of rotation (readiness), not restart them all.
 * - `GET /health/ready`: Redis and PostgreSQL; 503 with terminus's body (`error` names the
 *   store that is down) when either is down, or while the app is shutting down. Redis is also
 *   `down` when its eviction policy can drop un-migrated checkpoints, and carries warnings for
 *   missing persistence and detected data loss. `migration` (when a {@link MIGRATION_HEALTH_TARGET}
 *   is bound) reports lag, backlog and the last run; it is always `up`, warning above the lag
 *   bound (see `MigrationHealthIndicator` for why lag must not fail readiness).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly postgres: PostgresHealthIndicator,
    @Inject(REDIS_HEALTH_TARGET) private readonly hotTier: RedisHealthTarget,
    @Inject(POSTGRES_HEALTH_TARGET) private readonly coldTier: PostgresHealthTarget,
    private readonly migration: MigrationHealthIndicator,
    @Optional() @Inject(MIGRATION_HEALTH_TARGET) private readonly migrationTarget?: MigrationHealthTarget,
    // By class, not through an alias token: an alias (`useExisting`) of the job would make
    // @nestjs/schedule discover its @Cron twice.
    @Optional() @Inject(MigrationService) private readonly migrationJob?: MigrationService,
  ) {}

  /** Liveness. */
  @Get('live')
  @HealthCheck()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness of both tiers, and migration lag. */
  @Get('ready')
  @HealthCheck()
  ready() {
    const checks: HealthIndicatorFunction[] = [
      () => this.redis.isHealthy('redis', this.hotTier),
      () => this.postgres.isHealthy('postgres', this.coldTier),
    ];
    const target = this.migrationTarget;
    if (target) checks.push(() => this.migration.isHealthy('migration', target, { job: this.migrationJob }));
    return this.health.check(checks);
  }
}
