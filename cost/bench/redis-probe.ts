/**
 * Redis probes: `INFO commandstats` / `INFO memory` deltas, `MEMORY USAGE` of the product's keys,
 * a client-side command counter, and a throw-away `redis-server` so server-side deltas are not
 * mixed with other clients' traffic.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MEASUREMENT_COMMANDS, type RedisFootprint, type RedisPhase } from '../../src/cost/measurement.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type CommandStats = Record<string, { calls: number; usec: number }>;

/** Parses `INFO commandstats`. */
export function parseCommandStats(info: string): CommandStats {
  const out: CommandStats = {};
  for (const line of info.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (m) out[m[1]!.toLowerCase()] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Counts commands sent through one ioredis client (pipelines and scripts included), by name, and
 * the bytes of their arguments. Exact even on a shared server.
 */
export class CommandCounter {
  commands: Record<string, number> = {};
  argBytes = 0;
  private readonly seen = new WeakSet<object>();

  constructor(client: Redis) {
    const original = client.sendCommand.bind(client);
    (client as unknown as { sendCommand: typeof client.sendCommand }).sendCommand = ((command: { name: string; args: unknown[] }, ...rest: unknown[]) => {
      // A command can pass through sendCommand again (offline queue, resend): count it once.
      if (!this.seen.has(command)) {
        this.seen.add(command);
        const name = command.name.toLowerCase();
        this.commands[name] = (this.commands[name] ?? 0) + 1;
        for (const a of command.args) this.argBytes += Buffer.isBuffer(a) ? a.length : Buffer.byteLength(String(a));
      }
      return (original as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof client.sendCommand;
  }

  reset(): void {
    this.commands = {};
    this.argBytes = 0;
  }

  /** Product commands only (an ioredis ready-check `info` is not the product's). */
  productCommands(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.commands).filter(([n]) => !MEASUREMENT_COMMANDS.has(n)));
  }
}

interface RedisSnapshot {
  stats: CommandStats;
  usedMemory: number;
  at: number;
}

/** Server-side probes through a client of its own. */
export class RedisProbe {
  constructor(readonly client: Redis) {}

  async version(): Promise<string> {
    return infoField(await this.client.info('server'), 'redis_version') ?? 'unknown';
  }

  async snapshot(): Promise<RedisSnapshot> {
    const [stats, memory] = await Promise.all([this.client.info('commandstats'), this.client.info('memory')]);
    return { stats: parseCommandStats(stats), usedMemory: Number(infoField(memory, 'used_memory') ?? 0), at: performance.now() };
  }

  /** Delta between snapshots plus what the client counter saw. */
  phase(before: RedisSnapshot, after: RedisSnapshot, counter: CommandCounter): RedisPhase {
    const server: CommandStats = {};
    for (const [name, s] of Object.entries(after.stats)) {
      if (MEASUREMENT_COMMANDS.has(name.split('|')[0]!)) continue;
      const b = before.stats[name] ?? { calls: 0, usec: 0 };
      if (s.calls - b.calls > 0) server[name] = { calls: s.calls - b.calls, usec: s.usec - b.usec };
    }
    return {
      durationSec: (after.at - before.at) / 1000,
      clientCommands: counter.productCommands(),
      clientArgBytes: counter.argBytes,
      serverCommands: server,
      usedMemoryDelta: after.usedMemory - before.usedMemory,
    };
  }

  /** `MEMORY USAGE … SAMPLES 0` (exact) of every key under `prefix`, by key kind. */
  async footprint(prefix: string): Promise<RedisFootprint> {
    const out: RedisFootprint = { bytes: 0, keys: 0, byKind: {} };
    const head = `${prefix}:`;
    for await (const batch of this.client.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      const keys = batch as string[];
      if (keys.length === 0) continue;
      const pipeline = this.client.pipeline();
      for (const k of keys) pipeline.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
      const results = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const bytes = Number(results[i]?.[1] ?? 0);
        const rest = key.slice(head.length);
        // `{P:t}:cp:ns:id` → `cp`; global keys `threads:age`, `meta:marker`, `migration:lease` keep two parts.
        const kind = rest.startsWith('{') ? rest.slice(rest.indexOf('}:') + 2).split(':')[0]! : rest.split(':').slice(0, 2).join(':');
        const k = (out.byKind[kind] ??= { keys: 0, bytes: 0 });
        k.keys += 1;
        k.bytes += bytes;
        out.keys += 1;
        out.bytes += bytes;
      });
    }
    return out;
  }

  /** Deletes every key under `prefix` (SCAN is fine in a measurement tool). */
  async deletePrefix(prefix: string): Promise<void> {
    for await (const batch of this.client.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      const keys = batch as string[];
      if (keys.length > 0) await this.client.unlink(...keys);
    }
  }
}

async function freePort(): Promise<number> {
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

/** A throw-away redis-server (no persistence, no eviction) for one measurement run. */
export class PrivateRedis {
  private constructor(
    readonly url: string,
    private readonly process: ChildProcess,
    private readonly dir: string,
  ) {}

  /** True when `redis-server` can be started here. */
  static available(): boolean {
    return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  }

  static async start(): Promise<PrivateRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tc-cost-redis-'));
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    const server = new PrivateRedis(url, child, dir);
    process.once('exit', () => server.killSync());
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined); // refused until the server listens; retried below
    for (let i = 0; i < 100; i += 1) {
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return server;
      } catch {
        client.disconnect();
        await sleep(50);
      }
    }
    server.killSync();
    throw new Error(`redis-server did not start on port ${port}`);
  }

  killSync(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
      this.process.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
    }
    this.killSync();
  }
}
