import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

/** What the hot tier reports about the Redis server's configuration. */
export interface RedisServerInspection {
  /** `maxmemory-policy` as Redis reports it, e.g. `noeviction`. */
  maxmemoryPolicy: string;
  /** Whether that policy lets Redis evict the checkpointer's keys under memory pressure. */
  evictionCanDropKeys: boolean;
  /** Which persistence mechanisms are on. */
  persistence: { rdb: boolean; aof: boolean };
}

/**
 * The part of the hot-tier store this indicator uses, typed structurally so the indicator
 * works with the library's `HotTierStore` or anything else that can ping Redis.
 */
export interface RedisHealthTarget {
  /** Resolves when Redis answers; rejects (e.g. with `StoreUnavailableError`) otherwise. */
  ping(): Promise<void>;
  /** Optional: reads the server configuration that decides whether data can be lost. */
  inspectServer?(): Promise<RedisServerInspection>;
  /**
   * Optional: whether Redis lost its data since the target connected (`HotTierStore`'s data
   * marker). `detectedAt` is when the loss was first noticed (ms since epoch).
   */
  checkDataLoss?(): Promise<{ lost: boolean; detectedAt?: number }>;
}

/** Options of {@link RedisHealthIndicator.isHealthy}. */
export interface RedisHealthCheckOptions {
  /** Time the whole check (ping and inspection) may take before it is `down`. Default 1000 ms. */
  timeoutMs?: number;
}

/** Default of {@link RedisHealthCheckOptions.timeoutMs}. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;

const round = (ms: number) => Math.round(ms * 10) / 10;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Readiness of the hot tier.
 *
 * - `up` with `latencyMs` (the ping's round trip) and, when the target can inspect the
 *   server, `maxmemoryPolicy`, `evictionCanDropKeys` and `persistence`;
 * - `down` when Redis does not answer, answers with an error, or takes longer than the
 *   timeout;
 * - `down` when the eviction policy can drop our keys: Redis may then silently lose
 *   checkpoints that exist nowhere else (invariant 1), which is worse than not serving;
 * - `up` with `dataLoss: { detectedAt }` (ISO time) and a `warning` when the target reports
 *   that Redis lost its data (restarted empty, failed over to an empty replica, flushed):
 *   what was not yet copied is gone, but the service serves correctly from what remains, so
 *   taking it out of rotation would help nobody; the loss is reported, not hidden, and stays
 *   reported for the life of the process;
 * - `up` with a `warning` when persistence is off (a Redis restart loses what has not been
 *   copied to PostgreSQL yet; serving is still correct), or when the policy or the whole
 *   inspection could not be read (managed Redis often disables `CONFIG`; the ping answered,
 *   so Redis is serving). terminus's `degraded` status would fit too, but it changes the
 *   overall status to `degraded`, which gateways that expect `ok` may misread.
 *
 * Like terminus's own indicators it reports and never throws: the deadline and the error
 * capture are terminus's `attempt().withTimeout()`.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  /** Checks `target` and reports under `key`. */
  async isHealthy<const Key extends string>(
    key: Key,
    target: RedisHealthTarget,
    options: RedisHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    try {
      const result = await session
        .attempt(async () => {
          const started = performance.now();
          await target.ping();
          const latencyMs = round(performance.now() - started);
          const warnings: string[] = [];
          const loss = await this.dataLoss(target, warnings);
          const withWarnings = <T extends object>(details: T) => (warnings.length > 0 ? { ...details, warning: warnings.join(' ') } : details);
          if (typeof target.inspectServer !== 'function') return withWarnings({ latencyMs, ...loss });
          let inspection: RedisServerInspection;
          try {
            inspection = await target.inspectServer();
          } catch (error) {
            warnings.push(`could not inspect the Redis configuration (${message(error)}); eviction policy and persistence are unknown`);
            return withWarnings({ latencyMs, ...loss });
          }
          const { maxmemoryPolicy, evictionCanDropKeys, persistence } = inspection;
          const details = { latencyMs, maxmemoryPolicy, evictionCanDropKeys, persistence: { rdb: persistence.rdb, aof: persistence.aof }, ...loss };
          if (!persistence.rdb && !persistence.aof) {
            warnings.push(
              'Redis persistence is off (no RDB snapshots, no AOF): a Redis restart loses every checkpoint not yet copied ' +
                'to PostgreSQL. Enable appendonly, or copy to PostgreSQL sooner (copyAfterMs).',
            );
          }
          if (maxmemoryPolicy === 'unknown') {
            warnings.push('Redis maxmemory-policy could not be read (CONFIG disabled?): make sure it is noeviction.');
          }
          return withWarnings(details);
        })
        .withTimeout(options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);

      const { status, ...details } = result[key];
      if (status === 'up' && details.evictionCanDropKeys === true) {
        return session.down({
          ...details,
          message:
            `Redis maxmemory-policy is "${String(details.maxmemoryPolicy)}", which can evict checkpoints that are not yet in ` +
            'PostgreSQL. Set maxmemory-policy to noeviction (or give Redis enough memory and a non-evicting policy).',
        });
      }
      return result;
    } catch (error) {
      // Only reachable through a bad option (e.g. a negative timeout): still a report, not a throw.
      return session.down({ message: message(error) });
    }
  }

  /** `{ dataLoss: { detectedAt } }` when the target reports a loss, else `{}`; adds the warning. */
  private async dataLoss(target: RedisHealthTarget, warnings: string[]): Promise<{ dataLoss?: { detectedAt: string | null } }> {
    if (typeof target.checkDataLoss !== 'function') return {};
    let report: { lost: boolean; detectedAt?: number };
    try {
      report = await target.checkDataLoss();
    } catch (error) {
      warnings.push(`could not check whether Redis lost data (${message(error)})`);
      return {};
    }
    if (!report.lost) return {};
    const detectedAt = report.detectedAt !== undefined ? new Date(report.detectedAt).toISOString() : null;
    warnings.push(
      `Redis lost its data (detected ${detectedAt ?? 'earlier'}: restarted without persistence, failed over to an empty ` +
        'replica, or flushed): checkpoints not yet copied to PostgreSQL are gone; the rest is served as usual. Enable ' +
        'persistence or lower COPY_AFTER_HOURS.',
    );
    return { dataLoss: { detectedAt } };
  }
}
