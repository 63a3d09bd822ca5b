/**
 * Measurement primitives: latency samples, CPU of this process and of the servers it talks to,
 * event-loop delay, RSS. Everything here reports what it saw; nothing compares to a threshold.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Latency samples in milliseconds. */
export class Samples {
  constructor() {
    this.values = [];
    this.sorted = null;
  }
  add(ms) {
    this.values.push(ms);
    this.sorted = null;
  }
  addAll(other) {
    for (const v of other.values) this.values.push(v);
    this.sorted = null;
  }
  get n() {
    return this.values.length;
  }
  percentile(p) {
    if (this.values.length === 0) return NaN;
    if (!this.sorted) this.sorted = Float64Array.from(this.values).sort();
    const rank = Math.min(this.sorted.length - 1, Math.max(0, Math.ceil((p / 100) * this.sorted.length) - 1));
    return this.sorted[rank];
  }
  mean() {
    if (this.values.length === 0) return NaN;
    let s = 0;
    for (const v of this.values) s += v;
    return s / this.values.length;
  }
  summary() {
    return {
      n: this.n,
      p50: round(this.percentile(50)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      mean: round(this.mean()),
      max: round(this.percentile(100)),
    };
  }
}

export function round(x, digits = 3) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Clock ticks per second of /proc/<pid>/stat (almost always 100). */
let clkTck;
function ticksPerSecond() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process in ms, or undefined if it is gone / not readable. */
export function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * CPU of the servers our connections use: redis-server (one process, shared with whoever else
 * uses it) and the PostgreSQL backends of our connections (found by application_name, so exactly
 * ours). Backends can come and go while a phase runs (pool idle timeouts), so the sampler polls
 * the backend list and keeps the last value seen per pid.
 */
export class ServerCpu {
  /**
   * @param {{ redisPid?: number, pgMonitor: import('pg').Client, appNames: string[] }} options
   */
  constructor({ redisPid, pgMonitor, appNames }) {
    this.redisPid = redisPid;
    this.pg = pgMonitor;
    this.appNames = appNames;
    /** pid -> { app, first, last } for the current window */
    this.window = new Map();
    /** pid -> last value ever seen (baseline for a pid seen again in a later window) */
    this.known = new Map();
    this.timer = null;
  }

  async backends() {
    const { rows } = await this.pg.query('SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY($1::text[])', [this.appNames]);
    return rows;
  }

  async poll() {
    let rows;
    try {
      rows = await this.backends();
    } catch {
      return;
    }
    for (const { pid, application_name: app } of rows) {
      const cpu = procCpuMs(pid);
      if (cpu === undefined) continue;
      const entry = this.window.get(pid);
      if (entry) entry.last = cpu;
      else this.window.set(pid, { app, first: this.known.get(pid) ?? 0, last: cpu });
      this.known.set(pid, cpu);
    }
  }

  /** Starts a measurement window. */
  async start({ pollMs = 500 } = {}) {
    this.window = new Map();
    const rows = await this.backends().catch(() => []);
    for (const { pid, application_name: app } of rows) {
      const cpu = procCpuMs(pid);
      if (cpu === undefined) continue;
      this.window.set(pid, { app, first: cpu, last: cpu });
      this.known.set(pid, cpu);
    }
    this.redisStart = this.redisPid ? procCpuMs(this.redisPid) : undefined;
    this.startedAt = performance.now();
    this.timer = setInterval(() => void this.poll(), pollMs);
    this.timer.unref();
  }

  /** Ends the window: CPU ms of redis-server and, per application_name, of our PG backends. */
  async stop() {
    clearInterval(this.timer);
    this.timer = null;
    await this.poll();
    const elapsedMs = performance.now() - this.startedAt;
    const redisEnd = this.redisPid ? procCpuMs(this.redisPid) : undefined;
    const pgByApp = {};
    for (const { app, first, last } of this.window.values()) pgByApp[app] = (pgByApp[app] ?? 0) + Math.max(0, last - first);
    return {
      elapsedMs,
      redisMs: this.redisStart !== undefined && redisEnd !== undefined ? redisEnd - this.redisStart : undefined,
      pgByApp,
    };
  }
}

/** Measures redis-server's CPU rate while we do nothing: the load other clients put on it. */
export async function redisBackgroundRate(redisPid, ms = 500) {
  if (!redisPid) return 0;
  const a = procCpuMs(redisPid);
  await new Promise((r) => setTimeout(r, ms));
  const b = procCpuMs(redisPid);
  return a === undefined || b === undefined ? 0 : (b - a) / ms;
}

/** Client CPU (process.cpuUsage) + event-loop delay of one measurement window. */
export class ClientMeter {
  start() {
    this.cpu = process.cpuUsage();
    this.eld = monitorEventLoopDelay({ resolution: 5 });
    this.eld.enable();
  }
  stop() {
    const d = process.cpuUsage(this.cpu);
    this.eld.disable();
    const res = {
      cpuMs: (d.user + d.system) / 1000,
      eventLoopDelayMs: {
        p50: round(this.eld.percentile(50) / 1e6),
        p99: round(this.eld.percentile(99) / 1e6),
        max: round(this.eld.max / 1e6),
      },
    };
    return res;
  }
}

/** Samples RSS while a piece of work runs; returns the peak. */
export class RssSampler {
  start(everyMs = 25) {
    this.peak = process.memoryUsage.rss();
    this.startRss = this.peak;
    this.timer = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.peak) this.peak = rss;
    }, everyMs);
  }
  stop() {
    clearInterval(this.timer);
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return { startRssBytes: this.startRss, peakRssBytes: this.peak, peakDeltaBytes: this.peak - this.startRss };
  }
}

/**
 * Runs `tasks` (an array of async functions) with at most `concurrency` in flight. Each worker
 * takes the next task when its previous one finished. Returns the wall time in ms.
 */
export async function runPool(tasks, concurrency) {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return performance.now() - started;
}
