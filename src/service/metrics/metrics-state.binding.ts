import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TieredCheckpointSaver } from '../../tiering/tiered-checkpoint.saver.js';
import { PrometheusCheckpointMetrics } from './prometheus-metrics.js';

/**
 * Points the scrape-time gauges at the saver's hot tier, clock and copy window. Provided by
 * the app module, which sees both the metrics and the saver (the metrics module cannot: the
 * saver's module imports it to receive the metrics).
 */
@Injectable()
export class MetricsStateBinding implements OnModuleInit {
  constructor(
    @Inject(PrometheusCheckpointMetrics) private readonly metrics: PrometheusCheckpointMetrics,
    @Inject(TieredCheckpointSaver) private readonly saver: TieredCheckpointSaver,
  ) {}

  onModuleInit(): void {
    this.metrics.observeState({ source: this.saver.hot, clock: this.saver.options.clock, copyAfterMs: this.saver.options.copyAfterMs });
  }
}
