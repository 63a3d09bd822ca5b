/**
 * Throw-away Redis and PostgreSQL servers for fault tests, plus the workload model and the
 * invariant checks those tests share.
 *
 * Fault tests that stop, kill or restart a server start their own on a free port: the shared
 * servers on 6379 / 5432 are never touched. Every server started here is stopped and its files
 * removed by `cleanup()`; a process-exit hook kills whatever a crashed suite left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  emptyCheckpoint,
  uuid6,
  writesSortKey,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { expect } from '@jest/globals';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { ManualClock } from '../../src/core/clock.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { seededRandom } from '../../src/core/seeded-random.js';

// ---- generic helpers ----------------------------------------------------------------------------

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Prints a line of what a fault test ran (counts, timings) when FAULTS_VERBOSE is set. */
export function note(what: string, data: Record<string, unknown>): void {
  if (process.env.FAULTS_VERBOSE) process.stderr.write(`[faults] ${what} ${JSON.stringify(data)}\n`);
}

/** A port nobody listens on right now (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000, everyMs = 50): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - started;
    } catch {
      // not yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Everything still running at process exit gets killed (a crashed suite must not leak servers). */
const live = new Set<{ killSync(): void }>();
let exitHookInstalled = false;
function track(server: { killSync(): void }): void {
  live.add(server);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      try {
        s.killSync();
      } catch {
        // best effort
      }
    }
  });
}

/** Keeps the last few KB of a child's output, for error messages. */
function capture(child: ChildProcess): () => string {
  let out = '';
  const add = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// ---- redis-server ---------------------------------------------------------------------------------

/** Sends PING over a raw socket; true on +PONG. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString('utf8');
      // A server that requires a password answers -NOAUTH: it is up all the same.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  args?: string[];
  /** Replaces the default `--save "" --appendonly no` (no persistence). */
  persistenceArgs?: string[];
}

/** A redis-server child process on a free port, in its own working directory. */
export class RedisServer {
  private child?: ChildProcess;
  private output: () => string = () => '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tc-redis-'));
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--daemonize', 'no',
      '--dir', dir,
      ...(options.persistenceArgs ?? ['--save', '', '--appendonly', 'no']),
      ...(options.args ?? []),
    ];
    const server = new RedisServer(port, dir, args);
    track(server);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again, on the same port) and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn('redis-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = capture(child);
    try {
      await waitFor(`redis-server on ${this.port}`, async () => {
        if (child.exitCode !== null) throw new Error('exited');
        return redisPing(this.port);
      }, 10_000, 25);
    } catch (error) {
      throw new Error(`redis-server on port ${this.port} did not start: ${(error as Error).message}\n${this.output()}`);
    }
  }

  /** Graceful shutdown (SIGTERM). Without persistence, the data is gone. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** kill -9. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops (SIGTERM, or SIGKILL with `{ kill: true }`) and starts again on the same port. */
  async restart({ kill = false }: { kill?: boolean } = {}): Promise<void> {
    await this.signal(kill ? 'SIGKILL' : 'SIGTERM');
    await this.start();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    await exited(child);
  }

  killSync(): void {
    if (this.running) this.child!.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills the server and removes its directory. Idempotent. */
  async cleanup(): Promise<void> {
    await this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

// ---- PostgreSQL -----------------------------------------------------------------------------------

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/*/bin');
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0]!, 'bin');
}

/** Runs a PostgreSQL binary as the `postgres` OS user when we are root (initdb refuses root). */
function asPostgres(bin: string, args: string[]): { status: number | null; output: string } {
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function postgresUid(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no "postgres" OS user to run initdb as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A PostgreSQL cluster of its own (initdb in a temp dir), trust auth, user postgres, on a free port. */
export class PostgresServer {
  private readonly bin = postgresBin();

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<PostgresServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tcpg-'));
    const owner = postgresUid();
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const server = new PostgresServer(port, dir);
    track(server);
    const init = asPostgres(join(server.bin, 'initdb'), ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    if (init.status !== 0) {
      await server.cleanup();
      throw new Error(`initdb failed:\n${init.output}`);
    }
    await server.start();
    return server;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private ctl(args: string[]): void {
    const result = asPostgres(join(this.bin, 'pg_ctl'), ['-D', this.dataDir, ...args]);
    if (result.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed:\n${result.output}\n${this.log()}`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'log'), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  get running(): boolean {
    return existsSync(join(this.dataDir, 'postmaster.pid'));
  }

  /** Starts the server (again, on the same port) and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    this.ctl([
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      '-l', join(this.dir, 'log'),
      '-w', '-t', '30',
      'start',
    ]);
    await waitFor(`PostgreSQL on ${this.port}`, async () => {
      const client = new pg.Client({ connectionString: this.url() });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    });
  }

  /** Stops the server: `fast` (rolls back, disconnects clients) or `immediate` (like a crash). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    this.ctl(['-m', mode, '-w', '-t', '30', 'stop']);
  }

  /** kill -9 of the postmaster; its backends exit on their own; the next start recovers. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await waitFor('postmaster to die', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    // Let the orphaned backends notice and exit, then drop the stale pid file so start() runs.
    await sleep(200);
    rmSync(join(this.dataDir, 'postmaster.pid'), { force: true });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  killSync(): void {
    if (this.running) asPostgres(join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stops the server (immediate) and removes its files. Idempotent. */
  async cleanup(): Promise<void> {
    this.killSync();
    live.delete(this);
  }
}

// ---- workload model ------------------------------------------------------------------------------

/** Small deterministic PRNG (see src/core/seeded-random.ts), so a failing seed can be replayed. */
export const rng = seededRandom;

export interface ExpectedCheckpoint {
  threadId: string;
  ns: string;
  id: string;
  parentId?: string;
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
}

export interface ExpectedWrite {
  taskId: string;
  idx: number;
  channel: string;
  value: unknown;
  taskPath: string;
}

const key3 = (threadId: string, ns: string, id: string) => `${threadId}\0${ns}\0${id}`;
const CHANNELS = ['messages', 'count', 'topic', 'scratch'];

/** What must be readable: every acknowledged checkpoint, value and pending write. */
export class Model {
  readonly checkpoints = new Map<string, ExpectedCheckpoint>();
  /** Per checkpoint key, per `task\0idx`: regular writes keep the first value, special the last. */
  readonly writes = new Map<string, Map<string, ExpectedWrite>>();
  /** `thread\0ns\0channel\0version` of every value written (newVersions of every put). */
  readonly blobs = new Set<string>();
  /** Last put per thread/namespace (the chain continues from it). */
  readonly heads = new Map<string, ExpectedCheckpoint>();

  threads(): string[] {
    return [...new Set([...this.checkpoints.values()].map((c) => c.threadId))].sort();
  }
  namespaces(threadId: string): string[] {
    return [...new Set([...this.checkpoints.values()].filter((c) => c.threadId === threadId).map((c) => c.ns))].sort();
  }
  /** Checkpoints of a thread (one namespace, or all), newest (greatest id) first. */
  ids(threadId: string, ns?: string): string[] {
    return [...this.checkpoints.values()]
      .filter((c) => c.threadId === threadId && (ns === undefined || c.ns === ns))
      .map((c) => c.id)
      .sort()
      .reverse();
  }
  get(threadId: string, ns: string, id: string): ExpectedCheckpoint | undefined {
    return this.checkpoints.get(key3(threadId, ns, id));
  }
  /** Pending writes of a checkpoint as `getTuple` must return them (writesSortKey order). */
  pendingWrites(c: { threadId: string; ns: string; id: string }): Array<[string, string, unknown]> {
    const writes = [...(this.writes.get(key3(c.threadId, c.ns, c.id))?.values() ?? [])];
    writes.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
    return writes.map((w) => [w.taskId, w.channel, w.value]);
  }
  get writeCount(): number {
    let n = 0;
    for (const m of this.writes.values()) n += m.size;
    return n;
  }
  /** Highest checkpoint id per namespace of a thread (what `coldmax` must say after migration). */
  maxIds(threadId: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const ns of this.namespaces(threadId)) out[ns] = this.ids(threadId, ns)[0]!;
    return out;
  }
  /** Every checkpoint that has pending writes or not, in a fixed order. */
  all(): ExpectedCheckpoint[] {
    return [...this.checkpoints.values()].sort((a, b) => (key3(a.threadId, a.ns, a.id) < key3(b.threadId, b.ns, b.id) ? -1 : 1));
  }
}

export const threadConfig = (threadId: string, ns = ''): RunnableConfig => ({ configurable: { thread_id: threadId, checkpoint_ns: ns } });
export const cpConfig = (c: { threadId: string; ns: string; id: string }): RunnableConfig => ({
  configurable: { thread_id: c.threadId, checkpoint_ns: c.ns, checkpoint_id: c.id },
});

/**
 * Drives a saver the way LangGraph does (chained checkpoints, values stored per channel version,
 * pending writes per task) and records what was acknowledged in a {@link Model}.
 */
export class Workload {
  readonly model = new Model();
  readonly random: () => number;
  private counter = 0;

  constructor(
    public saver: TieredCheckpointSaver,
    readonly clock: ManualClock,
    readonly seed: number,
  ) {
    this.random = rng(seed);
  }

  pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** One checkpoint continuing the thread/namespace chain; 1–2 channels change. */
  async step(threadId: string, ns = ''): Promise<ExpectedCheckpoint> {
    const head = this.model.heads.get(`${threadId}\0${ns}`);
    const base = head?.checkpoint ?? emptyCheckpoint();
    const changed = head ? [...new Set([this.pick(CHANNELS), this.pick(CHANNELS)])] : CHANNELS.slice(0, 2 + Math.floor(this.random() * 3));
    const channel_versions = { ...base.channel_versions };
    const max = Object.values(channel_versions).sort().pop() as number | undefined;
    const newVersions: Record<string, string | number> = {};
    const values: Record<string, unknown> = { ...base.channel_values };
    this.counter += 1;
    for (const ch of changed) {
      newVersions[ch] = this.saver.getNextVersion(max);
      channel_versions[ch] = newVersions[ch]!;
      values[ch] = ch === 'messages' ? [...((values[ch] as string[] | undefined) ?? []), `m${this.counter}`] : { n: this.counter, at: threadId, ns };
    }
    const step = head ? (head.metadata.step as number) + 1 : 0;
    const checkpoint: Checkpoint = {
      ...base,
      id: uuid6(-3),
      ts: new Date(this.clock.now()).toISOString(),
      channel_values: values,
      channel_versions,
    };
    const metadata: CheckpointMetadata = { source: 'loop', step, parents: {}, seed: this.seed } as CheckpointMetadata;
    const parentConfig = head ? cpConfig(head) : threadConfig(threadId, ns);
    await this.saver.put(parentConfig, checkpoint, metadata, newVersions);
    const expected: ExpectedCheckpoint = { threadId, ns, id: checkpoint.id, parentId: head?.id, checkpoint, metadata };
    this.model.checkpoints.set(key3(threadId, ns, checkpoint.id), expected);
    this.model.heads.set(`${threadId}\0${ns}`, expected);
    for (const [ch, v] of Object.entries(newVersions)) this.model.blobs.add(`${threadId}\0${ns}\0${ch}\0${String(v)}`);
    return expected;
  }

  /** One `putWrites` call against checkpoint `c` (hot or cold); recorded with first/last-wins rules. */
  async putWrites(c: ExpectedCheckpoint, writes: Array<[string, unknown]>, taskId: string, taskPath = ''): Promise<void> {
    await this.saver.putWrites(cpConfig(c), writes, taskId, taskPath);
    const k = key3(c.threadId, c.ns, c.id);
    const map = this.model.writes.get(k) ?? new Map<string, ExpectedWrite>();
    this.model.writes.set(k, map);
    writes.forEach(([channel, value], i) => {
      const idx = (WRITES_IDX_MAP as Record<string, number>)[channel] ?? i;
      const field = `${taskId}\0${idx}`;
      if (idx >= 0 && map.has(field)) return; // regular writes: the first one stored wins
      map.set(field, { taskId, idx, channel, value, taskPath });
    });
  }

  /** Random writes of a new task (sometimes a special channel, sometimes a retry of an old task). */
  async randomWrites(c: ExpectedCheckpoint): Promise<void> {
    this.counter += 1;
    const n = 1 + Math.floor(this.random() * 3);
    const writes: Array<[string, unknown]> = [];
    for (let i = 0; i < n; i += 1) writes.push([this.pick(CHANNELS), `w${this.counter}.${i}`]);
    if (this.random() < 0.25) writes.push(['__error__', { message: `e${this.counter}` }]);
    const existing = [...(this.model.writes.get(key3(c.threadId, c.ns, c.id))?.values() ?? [])];
    // A retried task writes (task, idx) again: the first value must stay.
    const retry = existing.length > 0 && this.random() < 0.3;
    const taskId = retry ? existing[0]!.taskId : `task-${this.counter}`;
    const taskPath = retry ? existing[0]!.taskPath : `~${Math.floor(this.random() * 3)}`;
    await this.putWrites(c, writes, taskId, taskPath);
  }

  /** `steps` checkpoints on every thread/namespace, each written with probability `writeProb`. */
  async grow(threads: string[], namespaces: string[], steps: number, writeProb = 0.6): Promise<ExpectedCheckpoint[]> {
    const made: ExpectedCheckpoint[] = [];
    for (let s = 0; s < steps; s += 1) {
      for (const t of threads) {
        for (const ns of namespaces) {
          const c = await this.step(t, ns);
          made.push(c);
          if (this.random() < writeProb) await this.randomWrites(c);
        }
      }
    }
    return made;
  }

  /** Late writes to `count` random checkpoints among `among` (typically ones already in PostgreSQL). */
  async lateWrites(among: ExpectedCheckpoint[], count: number): Promise<ExpectedCheckpoint[]> {
    const hit: ExpectedCheckpoint[] = [];
    for (let i = 0; i < count; i += 1) {
      const c = this.pick(among);
      await this.randomWrites(c);
      hit.push(c);
    }
    return hit;
  }
}

// ---- invariant checks ----------------------------------------------------------------------------

export async function collect(saver: TieredCheckpointSaver, config: RunnableConfig, options?: Parameters<TieredCheckpointSaver['list']>[1]): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list(config, options)) out.push(t);
  return out;
}
const idOf = (t: CheckpointTuple | undefined) => t?.config.configurable?.checkpoint_id as string | undefined;

/** One tuple against the model: id, values, metadata, parent and pending writes. */
export function expectTuple(t: CheckpointTuple | undefined, c: ExpectedCheckpoint, model: Model, where: string): void {
  const label = `${where} ${c.threadId}/${c.ns}/${c.id}`;
  expect({ label, id: idOf(t) }).toEqual({ label, id: c.id });
  expect({ label, values: t!.checkpoint.channel_values }).toEqual({ label, values: c.checkpoint.channel_values });
  expect({ label, metadata: t!.metadata }).toEqual({ label, metadata: c.metadata });
  expect({ label, parent: t!.parentConfig?.configurable?.checkpoint_id }).toEqual({ label, parent: c.parentId });
  expect({ label, writes: t!.pendingWrites }).toEqual({ label, writes: model.pendingWrites(c) });
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

/**
 * Every acknowledged checkpoint and write readable exactly once: getTuple by id and latest,
 * list per namespace and per thread (each id once, newest first), and (unless `quick`) list
 * pages walked with limit + before across the tier boundary.
 */
export async function expectAllReadable(saver: TieredCheckpointSaver, model: Model, where = '', { quick = false }: { quick?: boolean } = {}): Promise<void> {
  await inParallel(model.all(), 8, async (c) => expectTuple(await saver.getTuple(cpConfig(c)), c, model, `${where} getTuple(id)`));
  const pairs = model.threads().flatMap((threadId) => model.namespaces(threadId).map((ns) => ({ threadId, ns })));
  await inParallel(pairs, 4, async ({ threadId, ns }) => {
    const ids = model.ids(threadId, ns);
    const latest = await saver.getTuple(threadConfig(threadId, ns));
    expect({ where, threadId, ns, latest: idOf(latest) }).toEqual({ where, threadId, ns, latest: ids[0] });
    const listed = await collect(saver, threadConfig(threadId, ns));
    expect({ where, threadId, ns, ids: listed.map(idOf) }).toEqual({ where, threadId, ns, ids });
    for (const t of listed) expectTuple(t, model.get(threadId, ns, idOf(t)!)!, model, `${where} list`);
    if (quick) return;
    // Pages of 3 walked with `before`: same ids, once each.
    const paged: string[] = [];
    let before: RunnableConfig | undefined;
    for (let page = 0; page < 100; page += 1) {
      const got = await collect(saver, threadConfig(threadId, ns), { limit: 3, before });
      paged.push(...got.map((t) => idOf(t)!));
      if (got.length < 3) break;
      before = got[got.length - 1]!.config;
    }
    expect({ where, threadId, ns, paged }).toEqual({ where, threadId, ns, paged: ids });
  });
  await inParallel(model.threads(), 4, async (threadId) => {
    // All namespaces of the thread at once.
    const all = await collect(saver, { configurable: { thread_id: threadId } });
    expect({ where, threadId, all: all.map(idOf).sort() }).toEqual({ where, threadId, all: model.ids(threadId).sort() });
  });
}

/** Row counts, key uniqueness and exact key sets of the cold tables against the model. */
export async function expectColdRows(databaseUrl: string, schema: string, model: Model, where = ''): Promise<{ checkpoints: number; writes: number; blobs: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const s = `"${schema}"`;
    const dupes = await client.query(`
      SELECT 'checkpoints' AS t, count(*)::int AS n FROM (SELECT 1 FROM ${s}.checkpoints GROUP BY thread_id, checkpoint_ns, checkpoint_id HAVING count(*) > 1) d
      UNION ALL SELECT 'writes', count(*)::int FROM (SELECT 1 FROM ${s}.checkpoint_writes GROUP BY thread_id, checkpoint_ns, checkpoint_id, task_id, idx HAVING count(*) > 1) d
      UNION ALL SELECT 'blobs', count(*)::int FROM (SELECT 1 FROM ${s}.checkpoint_blobs GROUP BY thread_id, checkpoint_ns, channel, version HAVING count(*) > 1) d`);
    expect({ where, duplicateKeys: dupes.rows }).toEqual({ where, duplicateKeys: [{ t: 'checkpoints', n: 0 }, { t: 'writes', n: 0 }, { t: 'blobs', n: 0 }] });

    const cps = await client.query<{ k: string }>(`SELECT thread_id || chr(1) || checkpoint_ns || chr(1) || checkpoint_id AS k FROM ${s}.checkpoints`);
    const writes = await client.query<{ k: string }>(
      `SELECT thread_id || chr(1) || checkpoint_ns || chr(1) || checkpoint_id || chr(1) || task_id || chr(1) || idx AS k FROM ${s}.checkpoint_writes`,
    );
    const blobs = await client.query<{ k: string }>(`SELECT thread_id || chr(1) || checkpoint_ns || chr(1) || channel || chr(1) || version AS k FROM ${s}.checkpoint_blobs`);
    const sort = (rows: Array<{ k: string }>) => rows.map((r) => r.k).sort();
    const expectedCps = model.all().map((c) => [c.threadId, c.ns, c.id].join('\x01')).sort();
    const expectedWrites: string[] = [];
    for (const [k, m] of model.writes) for (const w of m.values()) expectedWrites.push([...k.split('\0'), w.taskId, String(w.idx)].join('\x01'));
    const expectedBlobs = [...model.blobs].map((b) => b.split('\0').join('\x01'));
    expect({ where, checkpoints: sort(cps.rows) }).toEqual({ where, checkpoints: expectedCps });
    expect({ where, writes: sort(writes.rows) }).toEqual({ where, writes: expectedWrites.sort() });
    expect({ where, blobs: sort(blobs.rows) }).toEqual({ where, blobs: expectedBlobs.sort() });
    return { checkpoints: cps.rowCount ?? 0, writes: writes.rowCount ?? 0, blobs: blobs.rowCount ?? 0 };
  } finally {
    await client.end();
  }
}

/** Every key under a prefix (SCAN: test helper only). */
export async function redisKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 })) keys.push(...(batch as string[]));
  return keys.sort();
}

/**
 * After a full migration only the per-thread `coldmax` hashes (holding each namespace's highest
 * id) and `meta:marker` may remain in Redis; none of our keys carries a TTL.
 */
export async function expectRedisDrained(redis: Redis, prefix: string, model: Model, where = ''): Promise<void> {
  const keys = await redisKeys(redis, prefix);
  const coldMaxKey = (t: string) => `${prefix}:{${prefix}:${t}}:coldmax`;
  const allowed = new Set([...model.threads().map(coldMaxKey), `${prefix}:meta:marker`]);
  expect({ where, orphans: keys.filter((k) => !allowed.has(k)) }).toEqual({ where, orphans: [] });
  for (const t of model.threads()) {
    expect({ where, t, coldmax: await redis.hgetall(coldMaxKey(t)) }).toEqual({ where, t, coldmax: model.maxIds(t) });
  }
  for (const k of keys) expect({ where, k, ttl: await redis.ttl(k) }).toEqual({ where, k, ttl: -1 });
}

/** Type and size of every key under a prefix: a fingerprint to compare before/after a failed run. */
export async function redisSnapshot(redis: Redis, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const k of await redisKeys(redis, prefix)) {
    const type = await redis.type(k);
    let size: number | string;
    if (type === 'hash') size = JSON.stringify(await redis.hgetall(k));
    else if (type === 'zset') size = JSON.stringify(await redis.zrange(k, 0, -1, 'WITHSCORES'));
    else if (type === 'set') size = JSON.stringify((await redis.smembers(k)).sort());
    else if (type === 'string') size = (await redis.get(k)) ?? '';
    else size = type;
    out[k] = `${type}:${size}`;
  }
  return out;
}
