import { Module } from '@nestjs/common';
import { PrometheusCheckpointMetrics } from './prometheus-metrics.js';

/**
 * Provides the service's one {@link PrometheusCheckpointMetrics} instance. A module of its own
 * so `TieredCheckpointModule.forRootAsync({ imports: [MetricsModule], inject: [...] })` can hand
 * the same instance to the saver that `GET /metrics` reads (static modules are singletons).
 */
@Module({
  providers: [{ provide: PrometheusCheckpointMetrics, useFactory: () => new PrometheusCheckpointMetrics() }],
  exports: [PrometheusCheckpointMetrics],
})
export class MetricsModule {}
