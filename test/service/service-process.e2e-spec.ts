import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../support/servers.js';
import { DATABASE_URL, uniqueName } from '../support/test-stores.js';

/**
 * The standalone service as an orchestrator runs it: `node dist/service/main.js` with
 * credentials in its URLs, probed over HTTP, stopped with SIGTERM. Its whole output is read.
 */

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const REDIS_SECRET = 'redis-s3cret-do-not-log';
const PG_SECRET = 'pg-s3cret-do-not-log';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

describe('the standalone service process', () => {
  const schema = uniqueName('t_svcproc').toLowerCase();
  const keyPrefix = uniqueName('tcsvc');
  const dir = mkdtempSync(join(tmpdir(), 'tc-svc-redis-'));
  let redis: ChildProcess;
  let service: ChildProcess;
  let output = '';
  let redisPort: number;
  let base: string;

  beforeAll(async () => {
    execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
    redisPort = await freePort();
    // A Redis of its own that requires a password (AUTH), on a spare port.
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', REDIS_SECRET, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await until('redis', async () => (execFileSync('redis-cli', ['-p', String(redisPort), '-a', REDIS_SECRET, '--no-auth-warning', 'ping'], { encoding: 'utf8' }).trim() === 'PONG' ? true : undefined));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const pgUrl = new URL(DATABASE_URL);
    pgUrl.password = PG_SECRET; // trust auth ignores it; it must still never be printed
    service = spawn('node', ['dist/service/main.js'], {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: `redis://:${REDIS_SECRET}@127.0.0.1:${redisPort}`,
        DATABASE_URL: pgUrl.toString(),
        CHECKPOINT_SCHEMA: schema,
        REDIS_KEY_PREFIX: keyPrefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_TOKEN,
        SHUTDOWN_GRACE_MS: '1500',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (d) => (output += String(d)));
    service.stderr!.on('data', (d) => (output += String(d)));
    await until('service liveness', async () => ((await fetch(`${base}/health/live`)).status === 200 ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    service?.kill('SIGKILL');
    redis?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('serves probes and the admin API, drains on SIGTERM, and never prints a secret', async () => {
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.json()) as Record<string, unknown>).toMatchObject({ status: 'ok', info: { redis: { status: 'up' }, postgres: { status: 'up' } } });

    expect((await fetch(`${base}/admin/stats`)).status).toBe(401);
    expect((await fetch(`${base}/admin/stats`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const stats = await fetch(`${base}/admin/stats`, { headers: auth });
    expect(stats.status).toBe(200);
    expect((await stats.json()) as Record<string, unknown>).toMatchObject({ cold: { checkpoints: 0 }, dataLoss: { lost: false } });
    const run = await fetch(`${base}/admin/migration/run`, { method: 'POST', headers: auth });
    expect(run.status).toBe(201);
    expect((await run.json()) as Record<string, unknown>).toMatchObject({ leaseAcquired: true, checkpointsCopied: 0 });
    const badThread = await fetch(`${base}/admin/threads/${'x'.repeat(1100)}`, { headers: auth });
    expect(badThread.status).toBe(400);
    expect((await badThread.json()) as Record<string, unknown>).toMatchObject({ code: 'INVALID_CHECKPOINT_CONFIG' });

    const exited = new Promise<number | string | null>((resolve) => service.once('exit', (code, signal) => resolve(code ?? signal)));
    const stoppedAt = Date.now();
    service.kill('SIGTERM');
    // Readiness goes 503 while the service drains, before it stops listening.
    const drainingStatus = await until('readiness 503 while draining', async () => {
      const res = await fetch(`${base}/health/ready`);
      return res.status === 503 ? res.status : undefined;
    }, 1400);
    expect(drainingStatus).toBe(503);
    await exited;
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1400);

    const lines = output.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).toContain('readiness answers 503 for 1500 ms');
    expect(output).toContain(`127.0.0.1:${redisPort}`);
    expect(output).not.toContain(REDIS_SECRET);
    expect(output).not.toContain(PG_SECRET);
    expect(output).not.toContain(ADMIN_TOKEN);
  }, 60_000);
});
