import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import type { TieredCheckpointOptions } from '../../src/config/tiered-checkpoint.options.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';

/** The shared local servers (see README); override with the same variables the service reads. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

type SaverClass<S extends TieredCheckpointSaver> = new (hot: HotTierStore, cold: ColdTierStore, options: TieredCheckpointOptions) => S;

/**
 * Real Redis and PostgreSQL for one test suite: its own PostgreSQL schema and a fresh Redis
 * key prefix per saver, all removed by {@link cleanup}.
 */
export class TestStores {
  readonly prefixes: string[] = [];
  private readonly hotStores: HotTierStore[] = [];

  private constructor(
    readonly redis: Redis,
    readonly cold: ColdTierStore,
    readonly schema: string,
  ) {}

  static async create(suite: string): Promise<TestStores> {
    const schema = uniqueName(`t_${suite}`).toLowerCase();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const cold = new ColdTierStore({ databaseUrl: DATABASE_URL, schema });
    await cold.setup();
    return new TestStores(redis, cold, schema);
  }

  /** A saver on empty storage in both tiers (fresh key prefix; cold tables truncated). */
  async freshSaver<S extends TieredCheckpointSaver = TieredCheckpointSaver>(
    options: Partial<TieredCheckpointOptions> = {},
    Saver: SaverClass<S> = TieredCheckpointSaver as unknown as SaverClass<S>,
  ): Promise<S> {
    await this.cold.truncateAll();
    return this.saver(options, Saver);
  }

  /** A saver with its own key prefix over the suite's cold schema (not truncated). */
  saver<S extends TieredCheckpointSaver = TieredCheckpointSaver>(
    options: Partial<TieredCheckpointOptions> = {},
    Saver: SaverClass<S> = TieredCheckpointSaver as unknown as SaverClass<S>,
  ): S {
    const keyPrefix = options.keyPrefix ?? uniqueName('tct');
    this.prefixes.push(keyPrefix);
    const hot = new HotTierStore({ redis: this.redis, keyPrefix, trackActivity: (options.threadTtlMs ?? 0) > 0, compression: options.hotCompression });
    this.hotStores.push(hot);
    return new Saver(hot, this.cold, { ...options, keyPrefix, schema: this.schema });
  }

  /** Number of Redis keys under a prefix (SCAN is fine in tests, never on the request path). */
  async countKeys(prefix: string): Promise<number> {
    let n = 0;
    for await (const batch of this.redis.scanStream({ match: `${prefix}:*`, count: 1000 })) n += (batch as string[]).length;
    return n;
  }

  async cleanup(): Promise<void> {
    for (const prefix of this.prefixes) {
      for await (const batch of this.redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
        if ((batch as string[]).length > 0) await this.redis.del(...(batch as string[]));
      }
    }
    await this.cold.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await client.end();
    await this.redis.quit();
  }
}

/** Deletes every key under the given prefixes (what a suite that built its own savers leaves, marker included). */
export async function dropRedisPrefixes(...prefixes: string[]): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) {
      for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
        if ((batch as string[]).length > 0) await redis.del(...(batch as string[]));
      }
    }
  } finally {
    await redis.quit();
  }
}

/** Counts calls to every query method of the cold store: a read answered by Redis makes none. */
export function countColdCalls(cold: ColdTierStore): { total(): number; reset(): void; restore(): void } {
  const methods = ['getTuple', 'getBlobs', 'list', 'latestCheckpointId', 'readThreadEpochs', 'writeMigrationBatch', 'deleteThread', 'stats'] as const;
  let calls = 0;
  const originals = new Map<string, unknown>();
  for (const m of methods) {
    const original = (cold as unknown as Record<string, (...a: unknown[]) => unknown>)[m];
    originals.set(m, Object.prototype.hasOwnProperty.call(cold, m) ? original : undefined);
    (cold as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      calls += 1;
      return original.apply(cold, args);
    };
  }
  return {
    total: () => calls,
    reset: () => {
      calls = 0;
    },
    restore: () => {
      for (const m of methods) {
        if (originals.get(m) === undefined) delete (cold as unknown as Record<string, unknown>)[m];
        else (cold as unknown as Record<string, unknown>)[m] = originals.get(m);
      }
    },
  };
}
