import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DEFAULT_HEALTH_TIMEOUT_MS } from './redis.health.js';

/**
 * The part of the cold-tier store this indicator uses, typed structurally so the indicator
 * works with the library's `ColdTierStore` or anything else that can ping PostgreSQL.
 */
export interface PostgresHealthTarget {
  /** Resolves when PostgreSQL answers; rejects (e.g. with `StoreUnavailableError`) otherwise. */
  ping(): Promise<void>;
}

/** Options of {@link PostgresHealthIndicator.isHealthy}. */
export interface PostgresHealthCheckOptions {
  /** Time the ping may take before the check is `down`. Default 1000 ms. */
  timeoutMs?: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Readiness of the cold tier: `up` with `latencyMs` when PostgreSQL answers within the
 * timeout, `down` with the error (or the timeout) otherwise. Reports, never throws.
 */
@Injectable()
export class PostgresHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  /** Checks `target` and reports under `key`. */
  async isHealthy<const Key extends string>(
    key: Key,
    target: PostgresHealthTarget,
    options: PostgresHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    try {
      return await session
        .attempt(async () => {
          const started = performance.now();
          await target.ping();
          return { latencyMs: round(performance.now() - started) };
        })
        .withTimeout(options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    } catch (error) {
      // Only reachable through a bad option (e.g. a negative timeout): still a report, not a throw.
      return session.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
