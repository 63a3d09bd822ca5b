import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { APP_FILTER } from '@nestjs/core';
import { CHECKPOINTER_CONFIG, SERVICE_CONFIG, ServiceConfigModule, type ServiceConfigModuleOptions, type ServiceSettings } from '../config/service.config.js';
import { AdminController } from './admin/admin.controller.js';
import { AdminTokenGuard } from './admin/admin-token.guard.js';
import { LiveCostService } from './admin/live-cost.service.js';
import { CheckpointErrorFilter } from './admin/checkpoint-error.filter.js';
import { ShutdownLog } from './shutdown.log.js';
import type { TieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { HealthModule, MIGRATION_HEALTH_TARGET, POSTGRES_HEALTH_TARGET, REDIS_HEALTH_TARGET } from '../health/health.module.js';
import { ColdTierStore } from '../cold-tier/cold-tier.store.js';
import { HotTierStore } from '../hot-tier/hot-tier.store.js';
import { TieredCheckpointModule } from '../tiered-checkpoint.module.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MetricsStateBinding } from './metrics/metrics-state.binding.js';
import { PrometheusCheckpointMetrics } from './metrics/prometheus-metrics.js';
import { StoreConfigWarning } from './store-config.warning.js';
import { TieredCheckpointSaver } from '../tiering/tiered-checkpoint.saver.js';

/** Options of {@link AppModule.forRoot}. */
export type AppModuleOptions = ServiceConfigModuleOptions;

/**
 * Composition root of the standalone service (not part of the library's public API): the
 * validated environment, the scheduler the migration job registers with, the checkpointer
 * built from the `checkpointer` namespace with Prometheus metrics plugged in, the health
 * probes, `GET /metrics`, and the start-up warning about an unsafe Redis configuration.
 *
 * prom-client is used here only: the library reports through its `CheckpointMetrics`
 * interface and depends on no metrics client.
 *
 * A dynamic module rather than a static one so tests can boot it with an environment of their
 * own (`AppModule.forRoot({ env })`) instead of mutating `process.env`.
 */
@Module({})
export class AppModule {
  /** Builds the service; `options.env` replaces `process.env` + `.env` (tests). */
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceConfigModule.forRoot(options),
        ScheduleModule.forRoot(),
        // During SHUTDOWN_GRACE_MS after SIGTERM readiness answers 503, so the gateway stops
        // routing here before the migration batch finishes and the connections close.
        TerminusModule.forRootAsync({
          inject: [SERVICE_CONFIG],
          useFactory: (service: ServiceSettings) => ({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: service.shutdownGraceMs }),
        }),
        MetricsModule,
        TieredCheckpointModule.forRootAsync({
          imports: [MetricsModule],
          inject: [CHECKPOINTER_CONFIG, PrometheusCheckpointMetrics],
          useFactory: (checkpointer: TieredCheckpointOptions, metrics: PrometheusCheckpointMetrics) => ({ ...checkpointer, metrics }),
        }),
        HealthModule,
      ],
      controllers: [HealthController, MetricsController, AdminController],
      providers: [
        // The readiness probe checks the very stores the saver uses, and measures lag with the
        // saver's own clock and copy window.
        { provide: REDIS_HEALTH_TARGET, useExisting: HotTierStore },
        { provide: POSTGRES_HEALTH_TARGET, useExisting: ColdTierStore },
        { provide: MIGRATION_HEALTH_TARGET, useExisting: TieredCheckpointSaver },
        MetricsStateBinding,
        StoreConfigWarning,
        AdminTokenGuard,
        LiveCostService,
        ShutdownLog,
        { provide: APP_FILTER, useClass: CheckpointErrorFilter },
      ],
    };
  }
}
