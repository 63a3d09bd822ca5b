import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { redactUrl } from '../config/service.config.js';
import type { RedisServerReport } from '../hot-tier/hot-tier.store.js';
import { TieredCheckpointSaver } from '../tiering/tiered-checkpoint.saver.js';

const HOUR_MS = 3_600_000;

/**
 * The start-up warnings for a Redis that can lose checkpoints not yet copied to PostgreSQL
 * (empty when its configuration is safe). `where` names the server without credentials.
 */
export function storeConfigWarnings(report: RedisServerReport, where: string, copyAfterMs: number): string[] {
  const warnings: string[] = [];
  if (report.evictionCanDropKeys) {
    warnings.push(
      `${where}: maxmemory-policy is "${report.maxmemoryPolicy}", which can evict checkpoints that exist nowhere else yet. ` +
        'Readiness stays down until it is noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf).',
    );
  } else if (report.maxmemoryPolicy === 'unknown') {
    warnings.push(`${where}: maxmemory-policy could not be read (CONFIG disabled?); make sure it is noeviction.`);
  }
  if (!report.persistence.rdb && !report.persistence.aof) {
    warnings.push(
      `${where}: persistence is off (no RDB snapshots, no AOF): a Redis restart loses every checkpoint younger than ` +
        `the copy window (COPY_AFTER_HOURS = ${copyAfterMs / HOUR_MS} h). Enable appendonly, or lower COPY_AFTER_HOURS.`,
    );
  }
  return warnings;
}

/**
 * Logs, once at start-up, what readiness reports on every probe: a Redis whose eviction policy
 * or missing persistence can lose un-migrated checkpoints. Operators read start-up logs; probe
 * bodies are read by gateways. Never blocks or fails the boot (the stores already connected).
 */
@Injectable()
export class StoreConfigWarning implements OnApplicationBootstrap {
  private readonly logger = new Logger('TieredCheckpointer');

  constructor(@Inject(TieredCheckpointSaver) private readonly saver: TieredCheckpointSaver) {}

  async onApplicationBootstrap(): Promise<void> {
    const { redis, redisUrl, copyAfterMs } = this.saver.options;
    // Credentials in REDIS_URL never reach the logs.
    const where = redis ? 'Redis (client given by the app)' : `Redis ${redactUrl(redisUrl)}`;
    let report: RedisServerReport;
    try {
      report = await this.saver.hot.inspectServer();
    } catch (error) {
      this.logger.warn(`${where}: could not read its configuration (${error instanceof Error ? error.message : String(error)}); eviction policy and persistence are unchecked.`);
      return;
    }
    for (const warning of storeConfigWarnings(report, where, copyAfterMs)) this.logger.warn(warning);
  }
}
