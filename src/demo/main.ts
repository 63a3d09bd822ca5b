/**
 * `npm run demo`: the support-agent graph of `demo-graph.ts` on the tiered saver, against real
 * Redis and PostgreSQL, with a manual clock so "a day later" takes no time.
 *
 * It prints what each tier holds before and after every migration, the migration reports, and
 * checks that the threads resumed from PostgreSQL finished correctly — and that the whole run
 * (every state, every history) is identical to the same script on LangGraph's `MemorySaver`.
 *
 * Environment: `REDIS_URL` (default `redis://127.0.0.1:6379`), `DATABASE_URL` (default
 * `postgresql://postgres@127.0.0.1:5432/test`). The demo uses its own key prefix and schema
 * (`demo_<random>`) and removes both at the end; `--keep` leaves them for inspection.
 * Exit code 0 on success, 1 with a message on any failure.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { MemorySaver } from '@langchain/langgraph-checkpoint';
import { Cluster, type Redis } from 'ioredis';
import pg from 'pg';
import { ManualClock } from '../core/clock.js';
import { TieredCheckpointError } from '../errors/tiered-checkpoint.errors.js';
import type { MigrationReport } from '../tiering/migration.runner.js';
import { TieredCheckpointSaver } from '../tiering/tiered-checkpoint.saver.js';
import { buildDemoGraph, DEMO_THREADS, runDemoScript, type DemoPhase, type DemoResult } from './demo-graph.js';

const HOUR = 3_600_000;
const HOT_WINDOW_MS = 24 * HOUR;

/** How far the clock moves after each phase: past the window twice, then less than the window. */
const CLOCK_STEP: Record<DemoPhase, number> = { opened: HOT_WINDOW_MS + HOUR, resumed: 2 * HOT_WINDOW_MS, 'follow-up': HOUR };

/** Credentials and query strings never reach the output. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Keys matching `<prefix>:*`, on a single node or on every master of a cluster. */
async function scanKeys(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    for await (const batch of node.scanStream({ match: `${prefix}:*`, count: 1000 })) keys.push(...(batch as string[]));
  }
  return keys;
}

interface TierSnapshot {
  redisKeys: number;
  hotCheckpoints: Record<string, number>;
  threadsWaitingForCopy: number;
  threadsCopiedStillHot: number;
  cold: { checkpoints: number; blobs: number; writes: number; totalBytes: number };
}

/** Reads what each tier holds. SCAN over the demo's own prefix is fine here, never on the request path. */
async function snapshot(saver: TieredCheckpointSaver): Promise<TierSnapshot> {
  const stats = await saver.stats();
  const redisKeys = (await scanKeys(saver.hot.client, saver.options.keyPrefix)).length;
  const hotCheckpoints: Record<string, number> = {};
  for (const t of DEMO_THREADS) hotCheckpoints[t] = (await saver.hot.listIds(t, undefined)).length;
  const totalBytes = Object.values(stats.cold.tables).reduce((n, t) => n + t.totalBytes, 0);
  return {
    redisKeys,
    hotCheckpoints,
    threadsWaitingForCopy: stats.hot.threadsWaitingForCopy,
    threadsCopiedStillHot: stats.hot.threadsCopiedStillHot,
    cold: { checkpoints: stats.cold.checkpoints, blobs: stats.cold.blobs, writes: stats.cold.writes, totalBytes },
  };
}

function printSnapshot(label: string, s: TierSnapshot): void {
  const perThread = Object.entries(s.hotCheckpoints).map(([t, n]) => `${t}=${n}`).join(' ');
  console.log(`  ${label}`);
  console.log(`    Redis      : ${s.redisKeys} keys; hot checkpoints ${perThread}; threads waiting for copy ${s.threadsWaitingForCopy}, copied but still hot ${s.threadsCopiedStillHot}`);
  console.log(`    PostgreSQL : ${s.cold.checkpoints} checkpoints, ${s.cold.blobs} channel values, ${s.cold.writes} pending writes (${(s.cold.totalBytes / 1024).toFixed(0)} KiB on disk)`);
}

function printReport(r: MigrationReport): void {
  console.log(
    `  migration report: lease ${r.leaseAcquired ? 'acquired' : 'NOT acquired'}, ${r.batches} batch(es), copied ${r.checkpointsCopied} checkpoints / ` +
      `${r.writesCopied} writes / ${r.blobsCopied} channel values (${r.bytesCopied} bytes), evicted ${r.entriesEvicted} entries, ` +
      `changed ${r.entriesChanged}, backlog remaining ${r.backlogRemaining}, lease lost ${r.leaseLost}, took ${r.finishedAt - r.startedAt} ms`,
  );
}

class DemoCheckFailed extends Error {}

function check(condition: boolean, what: string): void {
  if (!condition) throw new DemoCheckFailed(what);
  console.log(`  ok  ${what}`);
}

/** Everything two runs must agree on (raw checkpoint ids excluded: they differ per run). */
function comparable(result: DemoResult): unknown {
  return { transcript: result.transcript, threads: result.threads.map(({ checkpointIds: _ids, ...rest }) => rest) };
}

/**
 * Removes the demo's key prefix and schema. Before `setup()` succeeded nothing was written to
 * Redis, and a failure to drop a schema that may not exist is not worth a second error message.
 */
async function dropDemoData(saver: TieredCheckpointSaver | undefined, ready: boolean, databaseUrl: string, schema: string, keyPrefix: string): Promise<void> {
  if (saver && ready) {
    try {
      // One DEL per key: on a cluster the keys of different threads live in different slots.
      for (const key of await scanKeys(saver.hot.client, keyPrefix)) await saver.hot.client.del(key);
    } catch (error) {
      console.error(`  could not remove Redis keys "${keyPrefix}:*": ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch (error) {
    if (ready) console.error(`  could not drop schema "${schema}": ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log('usage: npm run demo [-- --keep]\n  REDIS_URL, DATABASE_URL: the stores (defaults: local servers)\n  --keep: leave the demo key prefix and schema in place');
    return;
  }
  const keep = argv.includes('--keep');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const keyPrefix = `demo_${suffix}`;
  const schema = `demo_${suffix}`;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));

  console.log('tiered-checkpointer demo: a LangGraph support agent on Redis (hot) + PostgreSQL (cold)');
  console.log(`  Redis ${redact(redisUrl)} key prefix "${keyPrefix}"; PostgreSQL ${redact(databaseUrl)} schema "${schema}"; hot window ${HOT_WINDOW_MS / HOUR} h`);

  let saver: TieredCheckpointSaver | undefined;
  let ready = false;
  try {
    saver = TieredCheckpointSaver.fromConfig({ redisUrl, databaseUrl, keyPrefix, schema, hotWindowMs: HOT_WINDOW_MS, clock });
    await saver.setup();
    ready = true;
    const tiered = saver;
    const graph = buildDemoGraph().compile({ checkpointer: tiered });
    const stateOf = (thread: string) => graph.getState({ configurable: { thread_id: thread } });

    const afterPhase = async (phase: DemoPhase) => {
      console.log(`\n== after phase "${phase}": clock +${CLOCK_STEP[phase] / HOUR} h, then migrate`);
      printSnapshot('before migration', await snapshot(tiered));
      clock.advance(CLOCK_STEP[phase]);
      const report = await tiered.migrate();
      printReport(report);
      const after = await snapshot(tiered);
      printSnapshot('after migration', after);

      if (phase === 'opened') {
        check(report.checkpointsCopied > 0 && after.cold.checkpoints === report.checkpointsCopied, `every phase-1 checkpoint (${report.checkpointsCopied}) is now in PostgreSQL`);
        check(Object.values(after.hotCheckpoints).every((n) => n === 0), 'Redis no longer holds any checkpoint of the three threads');
        const billing = await stateOf('billing-1');
        check(billing.next[0] === 'review' && billing.tasks[0]?.interrupts.length === 1, 'billing-1 is still waiting at review, its interrupt read back from PostgreSQL');
      }
      if (phase === 'resumed') {
        for (const thread of ['billing-1', 'tech-1'] as const) {
          const s = await stateOf(thread);
          check(s.next.length === 0 && s.values.sentCount === 1 && s.values.approvedBy === 'sam', `${thread}, resumed from PostgreSQL with Command({ resume }), finished: reply sent, approved by sam`);
        }
      }
      if (phase === 'follow-up') {
        check(report.checkpointsCopied === 0 && Object.values(after.hotCheckpoints).some((n) => n > 0), 'checkpoints younger than the window stay in Redis only (nothing copied)');
      }
    };

    console.log('\n== running the script on the tiered saver');
    const result = await runDemoScript(tiered, { afterPhase, log: (line) => console.log(line) });

    console.log('\n== final state per thread (tiered saver)');
    for (const t of result.threads) {
      const v = t.finalValues as { category: string; sentCount?: number; approvedBy?: string | null; messages: Array<{ content: unknown }> };
      console.log(
        `  ${t.threadId.padEnd(10)} ${t.history.length} checkpoints, next: ${t.finalNext.join(', ') || '(done)'}, category ${v.category}, ` +
          `sent ${v.sentCount ?? 0}, approved by ${v.approvedBy ?? '-'}, ${v.messages.length} messages; last: "${String(v.messages.at(-1)?.content).slice(0, 70)}"`,
      );
    }

    console.log('\n== same script on MemorySaver, compared');
    const reference = await runDemoScript(new MemorySaver());
    check(isDeepStrictEqual(comparable(result), comparable(reference)), 'every invoke output, final state and getStateHistory equals the MemorySaver run');
    const billing = result.threads.find((t) => t.threadId === 'billing-1')!;
    check(billing.finalNext.length === 0 && (billing.finalValues as { sentCount: number }).sentCount === 2, 'billing-1 (history in PostgreSQL, follow-up in Redis) sent both replies');
    // A fork point: a checkpoint whose parent is not the next-older checkpoint of the thread.
    const forkParents: string[] = [];
    for (const t of result.threads) {
      for (const [i, s] of t.history.entries()) {
        if (i + 1 >= t.history.length || s.parent === t.history[i + 1]!.checkpoint) continue;
        const position = Number(s.parent!.slice('cp'.length));
        const parentId = t.checkpointIds[t.checkpointIds.length - 1 - position]!;
        const hot = (await tiered.hot.listIds(t.threadId, '')).some((k) => k.checkpointId === parentId);
        console.log(`  ${t.threadId}: fork at ${s.checkpoint} from ${s.parent} (${parentId}), which lives in ${hot ? 'Redis' : 'PostgreSQL only'}`);
        if (!hot) forkParents.push(t.threadId);
      }
    }
    check(forkParents.sort().join(',') === 'general-1,tech-1', 'the time-travel forks of tech-1 and general-1 branch off checkpoints that live in PostgreSQL');
    check(result.threads.every((t) => t.finalNext.length === 0), 'all three threads finished (no pending review)');

    console.log('\ndemo finished: OK');
  } finally {
    if (keep) {
      console.log(`\nkept: Redis keys "${keyPrefix}:*", PostgreSQL schema "${schema}"`);
    } else {
      // Before close: the saver's Redis client does the cleanup (a no-op if it never connected).
      await dropDemoData(saver, ready, databaseUrl, schema, keyPrefix);
    }
    await saver?.close().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    if (error instanceof DemoCheckFailed) console.error(`\ndemo FAILED: ${error.message}`);
    else if (error instanceof TieredCheckpointError) console.error(`\ndemo FAILED (${error.code}): ${error.message}`);
    else console.error('\ndemo FAILED:', error);
    process.exitCode = 1;
  },
);
