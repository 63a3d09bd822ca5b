import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { SERVICE_CONFIG, type ServiceSettings } from '../config/service.config.js';

/** Says what a shutdown does, in order, so an operator reading the logs sees it drain. */
@Injectable()
export class ShutdownLog implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  constructor(@Inject(SERVICE_CONFIG) private readonly settings: ServiceSettings) {}
  beforeApplicationShutdown(signal?: string): void {
    this.logger.log(
      `${signal ?? 'shutdown'}: readiness answers 503 for ${this.settings.shutdownGraceMs} ms, ` +
        'the running migration batch finishes and releases its lease, then Redis and PostgreSQL connections close',
    );
  }
}
