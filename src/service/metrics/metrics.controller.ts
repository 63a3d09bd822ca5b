import { Controller, Get, Inject, Res } from '@nestjs/common';
import { PrometheusCheckpointMetrics } from './prometheus-metrics.js';

/** The part of the HTTP response the controller touches (Express and Fastify replies both fit). */
interface HeaderSink {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * `GET /metrics`: the checkpointer's series in Prometheus text exposition format, with the
 * content type the registry declares. Gauges read Redis during the scrape (see
 * {@link PrometheusCheckpointMetrics}); a Redis outage makes them `NaN`, not the scrape fail.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(PrometheusCheckpointMetrics) private readonly metrics: PrometheusCheckpointMetrics) {}

  @Get()
  async scrape(@Res({ passthrough: true }) response: HeaderSink): Promise<string> {
    const body = await this.metrics.metrics();
    if (typeof response.setHeader === 'function') response.setHeader('Content-Type', this.metrics.contentType);
    else response.header?.('Content-Type', this.metrics.contentType);
    return body;
  }
}
