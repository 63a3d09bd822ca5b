import type { Redis } from 'ioredis';
import pg from 'pg';
import type { ColdTierStats, ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { COLD_TIER_TABLES } from '../../src/cold-tier/cold-tier.sql.js';
import { CheckpointOracle, checkOracle, recordingSaver, type CheckOptions, type ReadableSaver, type WritableSaver } from '../../src/verify/oracle-check.js';
import { DATABASE_URL } from './test-stores.js';

export * from '../../src/verify/oracle-check.js';

/**
 * The oracle checker for tests: records every acknowledged `put` / `putWrites` /
 * `deleteThread` (either through {@link Oracle.wrap} or fed by the test with the `record*`
 * methods) and checks a saver against the model with {@link Oracle.check}, returning
 * human-readable discrepancies:
 *
 * ```ts
 * const oracle = new Oracle();
 * const saver = oracle.wrap(await stores.freshSaver({ clock }));
 * ... drive the saver (or a graph compiled with it) ...
 * expect(await oracle.check(saver)).toEqual([]);
 * expect((await countOrphans(stores, saver.options.keyPrefix, oracle)).problems).toEqual([]);
 * ```
 *
 * The checking logic lives in `src/verify/oracle-check.ts`, shared with `npm run verify`.
 */
export class Oracle extends CheckpointOracle {
  /**
   * A proxy of `saver` that records each write operation when its promise settles: resolved
   * = acknowledged, rejected = may have happened (`'maybe'`). Every other member passes through.
   */
  wrap<S extends WritableSaver>(saver: S): S {
    return recordingSaver(saver, this);
  }

  /** Checks `saver` against everything recorded; `[]` means it agrees. */
  check(saver: ReadableSaver, options?: CheckOptions): Promise<string[]> {
    return checkOracle(saver, this, options);
  }
}

/** What {@link countOrphans} found. */
export interface OrphanReport {
  /** Redis keys of threads that no longer exist (deleted, or never written by the oracle). */
  redisKeys: string[];
  /** Members of the global age indexes that name threads that no longer exist. */
  indexMembers: string[];
  /** Keys under the prefix with a TTL (Redis must never expire data); the lease is exempt. */
  expiringKeys: string[];
  /** PostgreSQL rows (table: thread x count) of threads that no longer exist. */
  coldRows: string[];
  /** Redis keys per kind (`cp`, `w`, `b`, `coldmax`, `threads:age`, ...) for residue checks. */
  redisKinds: Record<string, number>;
  coldStats: ColdTierStats;
  /** Everything above that is wrong, in words; `[]` = no orphans. */
  problems: string[];
}

const GLOBAL_KINDS = ['threads:age', 'threads:copied', 'migration:lease', 'meta:marker'];

/**
 * Looks for leftovers of threads that no longer exist: Redis keys under `prefix` (SCAN: fine
 * in tests, never on the request path), members of the global indexes, PostgreSQL rows in the
 * suite's schema, and any key with a TTL. `live` is the oracle (its live threads) or a list of
 * thread ids that may legitimately have data.
 */
export async function countOrphans(
  stores: { redis: Redis; cold: ColdTierStore; schema: string },
  prefix: string,
  live: CheckpointOracle | Iterable<string>,
): Promise<OrphanReport> {
  const liveThreads = new Set(live instanceof CheckpointOracle ? live.liveThreadIds() : live);
  const report: OrphanReport = { redisKeys: [], indexMembers: [], expiringKeys: [], coldRows: [], redisKinds: {}, coldStats: await stores.cold.stats(), problems: [] };

  const keys: string[] = [];
  for await (const batch of stores.redis.scanStream({ match: `${prefix}:*`, count: 1000 })) keys.push(...(batch as string[]));
  const threadTag = `${prefix}:{${prefix}:`;
  for (const key of keys) {
    if (key.startsWith(threadTag)) {
      const end = key.indexOf('}:', threadTag.length);
      const encoded = key.slice(threadTag.length, end);
      let threadId: string;
      try {
        threadId = decodeURIComponent(encoded);
      } catch {
        threadId = encoded;
      }
      const kind = key.slice(end + 2).split(':')[0];
      report.redisKinds[kind] = (report.redisKinds[kind] ?? 0) + 1;
      if (!liveThreads.has(threadId)) report.redisKeys.push(key);
    } else {
      const kind = key.slice(prefix.length + 1);
      report.redisKinds[kind] = (report.redisKinds[kind] ?? 0) + 1;
      if (!GLOBAL_KINDS.includes(kind)) report.redisKeys.push(key);
    }
  }
  for (const index of ['threads:age', 'threads:copied']) {
    for (const member of await stores.redis.zrange(`${prefix}:${index}`, 0, -1)) {
      if (!liveThreads.has(member)) report.indexMembers.push(`${index}: ${member}`);
    }
  }
  if (keys.length > 0) {
    const ttls = await Promise.all(keys.map((k) => stores.redis.pttl(k)));
    keys.forEach((k, i) => {
      if (ttls[i] >= 0 && k !== `${prefix}:migration:lease`) report.expiringKeys.push(`${k} (ttl ${ttls[i]} ms)`);
    });
  }

  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const table of COLD_TIER_TABLES) {
      const { rows } = await client.query<{ thread_id: string; n: number }>(`SELECT thread_id, count(*)::int AS n FROM "${stores.schema}"."${table}" GROUP BY thread_id ORDER BY thread_id`);
      for (const row of rows) if (!liveThreads.has(row.thread_id)) report.coldRows.push(`${table}: ${row.thread_id} x ${row.n}`);
    }
  } finally {
    await client.end();
  }

  for (const k of report.redisKeys) report.problems.push(`redis: orphan key ${k}`);
  for (const m of report.indexMembers) report.problems.push(`redis: global index names a thread that no longer exists: ${m}`);
  for (const k of report.expiringKeys) report.problems.push(`redis: key has a TTL (may expire before it is copied): ${k}`);
  if (report.redisKinds['migration:lease']) report.problems.push('redis: migration lease still held after the runs finished');
  for (const r of report.coldRows) report.problems.push(`postgres: orphan rows ${r}`);
  return report;
}
