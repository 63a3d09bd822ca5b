/**
 * Builds every saver of the comparison on the shared servers, each with its own Redis key prefix
 * or PostgreSQL schema and its own connections (tagged with application_name, so the CPU of its
 * PostgreSQL backends can be attributed), and removes everything afterwards.
 */
import { randomBytes } from 'node:crypto';
import { MemorySaver } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TieredCheckpointSaver } from '../../dist/index.js';
import { ColdTierStore } from '../../dist/cold-tier/cold-tier.store.js';
import { RawPostgresSaver, RawRedisSaver } from './floors.mjs';

// A closed stdout (`npm run bench | head`) must not kill the run before it cleans up.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export function withAppName(url, app) {
  const u = new URL(url);
  u.searchParams.set('application_name', app);
  return u.toString();
}

export const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
export const appName = (what) => `bench-${runId}-${what}`;

/** `cp`, `w`, `b`, `idx`, ... : the part of a key name after the thread's hash tag, without ids. */
function keyKind(key, prefix) {
  const tag = key.indexOf('}:');
  const rest = tag >= 0 ? key.slice(tag + 2) : key.slice(prefix.length + 1);
  return rest.split(':').filter((x) => x !== '')[0] ?? rest;
}

/** Counts which tier answered each read (the saver's metrics hook). */
export class TierCounter {
  constructor() {
    this.reset();
  }
  reset() {
    this.reads = {};
  }
  read(operation, tier) {
    const k = `${operation}:${tier}`;
    this.reads[k] = (this.reads[k] ?? 0) + 1;
  }
  write() {}
  migrationRun() {}
  migrationFailed() {}
}

/**
 * Everything one bench run uses. `create()` builds the savers named in `which`
 * (tiered, raw-redis, postgres-saver, memory, raw-pg).
 */
export class Savers {
  constructor() {
    this.entries = new Map();
    this.schemas = [];
    this.prefixes = [];
    this.pools = [];
  }

  /** @param {string[]} which @param {{ tieredOptions?: object }} [options] extra TieredCheckpointSaver options (e.g. cost levers) */
  static async create(which, { tieredOptions = {} } = {}) {
    const s = new Savers();
    s.tieredOptions = tieredOptions;
    s.admin = new pg.Client({ connectionString: withAppName(DATABASE_URL, `bench-${runId}-admin`) });
    await s.admin.connect();
    s.redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const info = await s.redis.info('server');
    s.redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined;
    for (const name of which) await s.add(name);
    return s;
  }

  /** All application_names of our PostgreSQL connections. */
  get appNames() {
    return [...this.entries.values()].flatMap((e) => e.appNames ?? []);
  }

  get(name) {
    const e = this.entries.get(name);
    if (!e) throw new Error(`saver ${name} not created`);
    return e;
  }

  async add(name) {
    let entry;
    switch (name) {
      case 'tiered': {
        const prefix = `bench${runId}`;
        const schema = `bench_${runId}_tc`;
        this.prefixes.push(prefix);
        this.schemas.push(schema);
        const tiers = new TierCounter();
        const app = appName('tiered');
        const saver = TieredCheckpointSaver.fromConfig({
          redisUrl: REDIS_URL,
          databaseUrl: withAppName(DATABASE_URL, app),
          keyPrefix: prefix,
          schema,
          metrics: tiers,
          ...this.tieredOptions,
        });
        await saver.setup();
        entry = { name, saver, prefix, schema, appNames: [app], tiers, close: () => saver.close() };
        break;
      }
      case 'raw-redis': {
        const prefix = `benchraw${runId}`;
        this.prefixes.push(prefix);
        const saver = new RawRedisSaver({ redisUrl: REDIS_URL, prefix });
        await saver.setup();
        entry = { name, saver, prefix, appNames: [], close: () => saver.end() };
        break;
      }
      case 'postgres-saver': {
        const schema = `bench_${runId}_pgs`;
        this.schemas.push(schema);
        const app = appName('pgsaver');
        const pool = new pg.Pool({ connectionString: withAppName(DATABASE_URL, app), max: 10 });
        const saver = new PostgresSaver(pool, undefined, { schema });
        await saver.setup();
        entry = { name, saver, schema, appNames: [app], close: () => saver.end() };
        break;
      }
      case 'raw-pg': {
        const schema = `bench_${runId}_rawpg`;
        this.schemas.push(schema);
        const app = appName('rawpg');
        const pool = new pg.Pool({ connectionString: withAppName(DATABASE_URL, app), max: 10 });
        const saver = new RawPostgresSaver({ pool, schema });
        await saver.setup();
        entry = { name, saver, schema, appNames: [app], close: () => saver.end() };
        break;
      }
      case 'memory': {
        const saver = new MemorySaver();
        entry = { name, saver, appNames: [], close: async () => undefined };
        break;
      }
      default:
        throw new Error(`unknown saver ${name}`);
    }
    this.entries.set(name, entry);
    return entry;
  }

  /** A cold-tier schema (identical tables) for the bulk-insert floor. */
  async bulkFloorSchema() {
    const schema = `bench_${runId}_bulk`;
    this.schemas.push(schema);
    const store = new ColdTierStore({ databaseUrl: DATABASE_URL, schema });
    await store.setup();
    await store.close();
    const app = appName('bulk');
    const pool = new pg.Pool({ connectionString: withAppName(DATABASE_URL, app), max: 2 });
    this.pools.push(pool);
    return { schema, pool, appName: app };
  }

  /** Redis bytes (MEMORY USAGE, all samples) and key count under a prefix. */
  async redisBytes(prefix) {
    let bytes = 0;
    let keys = 0;
    const byKind = {};
    for await (const batch of this.redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      if (batch.length === 0) continue;
      const p = this.redis.pipeline();
      for (const k of batch) p.memory('USAGE', k, 'SAMPLES', '0');
      const res = await p.exec();
      res.forEach(([err, n], i) => {
        if (err) return;
        const kind = keyKind(batch[i], prefix);
        const k = (byKind[kind] ??= { keys: 0, bytes: 0 });
        k.keys += 1;
        k.bytes += Number(n ?? 0);
        bytes += Number(n ?? 0);
      });
      keys += batch.length;
    }
    return { bytes, keys, byKind };
  }

  /** pg_total_relation_size (and parts) of every table of a schema. */
  async pgBytes(schema) {
    const { rows } = await this.admin.query(
      `SELECT c.relname AS table, pg_total_relation_size(c.oid)::int8 AS total, pg_relation_size(c.oid)::int8 AS heap,
              pg_indexes_size(c.oid)::int8 AS indexes,
              CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_total_relation_size(c.reltoastrelid) END::int8 AS toast
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [schema],
    );
    const tables = {};
    let total = 0;
    for (const r of rows) {
      tables[r.table] = { total: Number(r.total), heap: Number(r.heap), indexes: Number(r.indexes), toast: Number(r.toast) };
      total += Number(r.total);
    }
    return { total, tables };
  }

  async deletePrefix(prefix) {
    for await (const batch of this.redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      if (batch.length > 0) await this.redis.unlink(...batch);
    }
  }

  async cleanup() {
    const errors = [];
    for (const e of this.entries.values()) await e.close().catch((err) => errors.push(err));
    for (const p of this.pools) await p.end().catch((err) => errors.push(err));
    for (const prefix of this.prefixes) await this.deletePrefix(prefix).catch((err) => errors.push(err));
    for (const schema of this.schemas) await this.admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch((err) => errors.push(err));
    await this.admin.end().catch(() => undefined);
    await this.redis.quit().catch(() => undefined);
    return errors;
  }
}
