import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { POSTGRES_HEALTH_TARGET, REDIS_HEALTH_TARGET } from '../health/health.module.js';
import { PostgresHealthIndicator, type PostgresHealthTarget } from '../health/postgres.health.js';
import { RedisHealthIndicator, type RedisHealthTarget } from '../health/redis.health.js';

/**
 * Probes of the standalone service.
 *
 * - `GET /health/live`: 200 whenever the process serves HTTP. It checks no store on purpose: a
 *   Redis outage must take replicas out of rotation (readiness), not restart them all.
 * - `GET /health/ready`: Redis and PostgreSQL; 503 with terminus's body (`error` names the
 *   store that is down) when either is down, or while the app is shutting down.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly postgres: PostgresHealthIndicator,
    @Inject(REDIS_HEALTH_TARGET) private readonly hotTier: RedisHealthTarget,
    @Inject(POSTGRES_HEALTH_TARGET) private readonly coldTier: PostgresHealthTarget,
  ) {}

  /** Liveness. */
  @Get('live')
  @HealthCheck()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness of both tiers. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.redis.isHealthy('redis', this.hotTier),
      () => this.postgres.isHealthy('postgres', this.coldTier),
    ]);
  }
}
