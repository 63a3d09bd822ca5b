#!/usr/bin/env node
/**
 * Removes what an interrupted bench run left behind (its `bench_<run>_*` schemas and
 * `bench<run>` / `benchraw<run>` Redis keys). A run whose PostgreSQL connections are still open
 * (application_name `bench-<run>-*`) is left alone.
 *
 *   node bench/tools/cleanup.mjs            # list leftovers
 *   node bench/tools/cleanup.mjs --delete   # remove them
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { DATABASE_URL, REDIS_URL } from '../lib/savers.mjs';

const remove = process.argv.includes('--delete');
const client = new pg.Client({ connectionString: DATABASE_URL });
await client.connect();
const redis = new Redis(REDIS_URL);
const active = new Set((await client.query(`SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'bench-%'`)).rows.map((r) => r.application_name.split('-')[1]));
const schemas = (await client.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^bench_[a-z0-9]+_[a-z]+$'`)).rows.map((r) => r.nspname);
const runs = new Map();
for (const s of schemas) {
  const run = s.split('_')[1];
  (runs.get(run) ?? runs.set(run, { schemas: [], keys: 0 }).get(run)).schemas.push(s);
}
for await (const batch of redis.scanStream({ match: 'bench*', count: 1000 })) {
  for (const key of batch) {
    const m = /^bench(?:raw)?([a-z0-9]+):/.exec(key);
    if (!m) continue;
    (runs.get(m[1]) ?? runs.set(m[1], { schemas: [], keys: 0 }).get(m[1])).keys += 1;
  }
}
for (const [run, r] of runs) {
  const live = active.has(run);
  console.log(`run ${run}: ${r.schemas.length} schemas, ${r.keys} Redis keys${live ? ' (still running: kept)' : ''}`);
  if (!remove || live) continue;
  for (const s of r.schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  for (const prefix of [`bench${run}:`, `benchraw${run}:`]) {
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) if (batch.length > 0) await redis.unlink(...batch);
  }
  console.log(`  removed`);
}
if (runs.size === 0) console.log('nothing left behind');
await client.end();
await redis.quit();
