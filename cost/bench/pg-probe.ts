/**
 * PostgreSQL probes for one throw-away measurement database on a shared server.
 *
 * Isolation from other sessions: commit counts come from `pg_stat_database` of our own database,
 * row counts from its `pg_stat_user_tables`, WAL from `pg_walinspect` records that touch our
 * database (plus their commit records), CPU from `/proc/<pid>/stat` of our database's backends.
 * Only the raw `pg_wal_lsn_diff` is cluster-wide (printed for comparison).
 *
 * Statistics are flushed by backends at exit (or up to ~10 s after going idle), so each phase
 * closes the connections it used before its end snapshot, and every snapshot waits until the
 * counter stops moving.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import type { PgPhase, TableBytes } from '../../src/cost/measurement.js';

export const DATA_TABLES = ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes'] as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `postgresql://…/test` → the same server, database `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Opens a client, runs `fn`, closes it (so its statistics are flushed at backend exit). */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

interface Snapshot {
  xactCommit: number;
  flushLsn: string;
  rows: { inserted: number; updated: number; deleted: number };
  at: number;
}

/** Reads /proc/<pid>/stat user+system ticks; undefined when the process is not visible here. */
function cpuTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

/** Probes of one measurement database. `monitor` is connected to another database of the same server. */
export class PgProbe {
  walinspect = false;
  dbOid = 0;
  cpuVisible = true;
  private readonly clkTck = 100;

  constructor(
    readonly monitor: pg.Client,
    readonly database: string,
    readonly databaseUrl: string,
  ) {}

  async init(): Promise<string[]> {
    const notes: string[] = [];
    await withClient(this.databaseUrl, async (c) => {
      this.dbOid = Number((await c.query<{ oid: string }>('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0]!.oid);
      try {
        await c.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
        this.walinspect = true;
      } catch (error) {
        notes.push(`pg_walinspect unavailable (${(error as Error).message}): WAL per phase is the cluster-wide LSN difference, other sessions included; write commits are counted by construction.`);
      }
    });
    const pid = (await this.monitor.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    this.cpuVisible = stat.includes('postgres');
    if (!this.cpuVisible) notes.push('PostgreSQL backends are not visible in /proc (server on another host?): backend CPU not measured, the sizing model uses its fallback CPU figures (U).');
    return notes;
  }

  /** Turns autovacuum off for every table of the database (no background transactions during phases). */
  async disableAutovacuum(): Promise<void> {
    await withClient(this.databaseUrl, async (c) => {
      const tables = await c.query<{ schemaname: string; relname: string }>("SELECT schemaname, relname FROM pg_stat_user_tables");
      for (const t of tables.rows) await c.query(`ALTER TABLE "${t.schemaname}"."${t.relname}" SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`);
    });
  }

  private async xactCommit(): Promise<number> {
    const r = await this.monitor.query<{ x: string }>('SELECT xact_commit AS x FROM pg_stat_database WHERE datname = $1', [this.database]);
    return Number(r.rows[0]?.x ?? 0);
  }

  /** Waits until the database's commit counter stops moving (late stats flushes), then returns it. */
  private async stableXactCommit(): Promise<number> {
    let last = await this.xactCommit();
    for (let i = 0; i < 25; i += 1) {
      await sleep(250);
      const now = await this.xactCommit();
      if (now === last) {
        await sleep(250);
        const again = await this.xactCommit();
        if (again === now) return now;
        last = again;
      } else last = now;
    }
    return last;
  }

  private async rowCounts(schema: string): Promise<Snapshot['rows']> {
    return withClient(this.databaseUrl, async (c) => {
      const r = await c.query<{ i: string; u: string; d: string }>(
        `SELECT coalesce(sum(n_tup_ins), 0) AS i, coalesce(sum(n_tup_upd), 0) AS u, coalesce(sum(n_tup_del), 0) AS d
           FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2)`,
        [schema, DATA_TABLES as unknown as string[]],
      );
      return { inserted: Number(r.rows[0]!.i), updated: Number(r.rows[0]!.u), deleted: Number(r.rows[0]!.d) };
    });
  }

  /**
   * A phase boundary. Reading row counters needs a connection to the measured database, which
   * itself commits transactions there; so it is read before the commit counter at a phase's
   * start and after it at a phase's end, never inside the counted window.
   */
  async snapshot(schema: string, boundary: 'start' | 'end'): Promise<Snapshot> {
    const rowsFirst = boundary === 'start' ? await this.rowCounts(schema) : undefined;
    const xactCommit = await this.stableXactCommit();
    const flushLsn = (await this.monitor.query<{ l: string }>('SELECT pg_current_wal_flush_lsn()::text AS l')).rows[0]!.l;
    const rows = rowsFirst ?? (await this.rowCounts(schema));
    return { xactCommit, flushLsn, rows, at: performance.now() };
  }

  /** WAL of our database between two positions, with its commit records; null without pg_walinspect. */
  private async attributedWal(from: string, to: string): Promise<{ bytes: number; fpi: number; commits: number } | null> {
    if (!this.walinspect) return null;
    // pg_get_wal_records_info rejects an empty range; no WAL at all is a valid measurement.
    if (from === to) return { bytes: 0, fpi: 0, commits: 0 };
    try {
      return await withClient(this.databaseUrl, async (c) => {
        const r = await c.query<{ bytes: string; fpi: string; commits: string }>(
          `WITH r AS (
             SELECT xid::text AS xid, resource_manager, record_type, record_length, fpi_length, coalesce(block_ref, '') AS block_ref
               FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
           ), ours AS (
             SELECT DISTINCT xid FROM r WHERE xid <> '0' AND block_ref ~ $3
           )
           SELECT coalesce(sum(record_length) FILTER (WHERE block_ref ~ $3 OR xid IN (SELECT xid FROM ours)), 0) AS bytes,
                  coalesce(sum(fpi_length) FILTER (WHERE block_ref ~ $3), 0) AS fpi,
                  count(*) FILTER (WHERE resource_manager = 'Transaction' AND record_type LIKE 'COMMIT%' AND xid IN (SELECT xid FROM ours)) AS commits
             FROM r`,
          [from, to, `rel [0-9]+/${this.dbOid}/`],
        );
        return { bytes: Number(r.rows[0]!.bytes), fpi: Number(r.rows[0]!.fpi), commits: Number(r.rows[0]!.commits) };
      });
    } catch {
      return null;
    }
  }

  /** Phase figures between two snapshots. */
  async phase(before: Snapshot, after: Snapshot, cpu: CpuSampler): Promise<PgPhase> {
    const raw = await this.monitor.query<{ d: string }>('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn) AS d', [before.flushLsn, after.flushLsn]);
    const wal = await this.attributedWal(before.flushLsn, after.flushLsn);
    return {
      durationSec: cpu.durationSec,
      transactions: after.xactCommit - before.xactCommit,
      writeCommits: wal ? wal.commits : null,
      walBytes: wal ? wal.bytes : null,
      walFpiBytes: wal ? wal.fpi : null,
      walBytesRaw: Number(raw.rows[0]!.d),
      rows: {
        inserted: after.rows.inserted - before.rows.inserted,
        updated: after.rows.updated - before.rows.updated,
        deleted: after.rows.deleted - before.rows.deleted,
      },
      backendCpuSec: this.cpuVisible ? cpu.cpuSec : null,
    };
  }

  /** `VACUUM FULL` of the three data tables of `schema`: rewrites them with live rows only (what steady state holds before bloat). */
  async vacuumFull(schema: string): Promise<void> {
    await withClient(this.databaseUrl, async (c) => {
      for (const table of DATA_TABLES) await c.query(`VACUUM FULL "${schema}"."${table}"`);
    });
  }

  /** Heap / index / TOAST bytes and row counts of the three data tables of `schema`. */
  async tableSizes(schema: string): Promise<Record<string, TableBytes>> {
    return withClient(this.databaseUrl, async (c) => {
      const out: Record<string, TableBytes> = {};
      for (const table of DATA_TABLES) {
        const r = await c.query<{ table_and_toast: string; idx: string; toast: string; total: string; n: string }>(
          `SELECT pg_table_size(c.oid) AS table_and_toast, pg_indexes_size(c.oid) AS idx,
                  CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_total_relation_size(c.reltoastrelid) END AS toast,
                  pg_total_relation_size(c.oid) AS total,
                  (SELECT count(*) FROM "${schema}"."${table}") AS n
             FROM pg_class c WHERE c.oid = to_regclass($1)`,
          [`"${schema}"."${table}"`],
        );
        const row = r.rows[0]!;
        out[table] = {
          tableBytes: Number(row.table_and_toast) - Number(row.toast),
          indexBytes: Number(row.idx),
          toastBytes: Number(row.toast),
          totalBytes: Number(row.total),
          rows: Number(row.n),
        };
      }
      return out;
    });
  }

  /** Starts sampling the CPU of our database's client backends every `everyMs`. */
  startCpu(everyMs = 200): CpuSampler {
    return new CpuSampler(this, everyMs, this.clkTck);
  }

  async backendPids(): Promise<number[]> {
    const r = await this.monitor.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [this.database]);
    return r.rows.map((x) => x.pid);
  }
}

/**
 * CPU of the measurement database's backends over one phase: ticks at start are the baseline,
 * backends that appear later count from zero, the last reading of each counts (a backend that
 * exits loses at most one sampling interval).
 */
export class CpuSampler {
  private readonly baseline = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private started = performance.now();
  private stopped = 0;
  private ready: Promise<void>;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly probe: PgProbe,
    everyMs: number,
    private readonly clkTck: number,
  ) {
    this.ready = (async () => {
      for (const pid of await probe.backendPids()) {
        const t = cpuTicks(pid);
        if (t !== undefined) this.baseline.set(pid, t);
      }
      this.started = performance.now();
      this.timer = setInterval(() => {
        this.sampling = this.sampling.then(() => this.sample()).catch(() => undefined);
      }, everyMs);
    })();
  }

  async begin(): Promise<void> {
    await this.ready;
  }

  private async sample(): Promise<void> {
    for (const pid of await this.probe.backendPids()) {
      const t = cpuTicks(pid);
      if (t !== undefined) this.last.set(pid, t);
    }
  }

  /** Takes a last sample (call before closing the phase's connections) and stops. */
  async stop(): Promise<void> {
    await this.ready;
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
    this.stopped = performance.now();
  }

  get durationSec(): number {
    return ((this.stopped || performance.now()) - this.started) / 1000;
  }

  get cpuSec(): number {
    let ticks = 0;
    for (const [pid, t] of this.last) ticks += t - (this.baseline.get(pid) ?? 0);
    return ticks / this.clkTck;
  }
}
