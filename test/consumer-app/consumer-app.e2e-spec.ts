import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPrismaClient } from '../../src/cold-tier/prisma-client.factory.js';
import { HotTierStore, MigrationService } from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, dropRedisPrefixes, uniqueName } from '../support/test-stores.js';
import { ChatService, ConsumerAppModule, type ConsumerAppOptions } from './consumer-app.js';

/** Handles (sockets, timers) that keep the event loop alive, by kind. */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { turns: string[]; count: number } };
}

describe('a consumer Nest app using the module', () => {
  const schema = uniqueName('t_consumer').toLowerCase();
  const prefixes = [uniqueName('tccons'), uniqueName('tccons')];
  afterAll(async () => {
    await dropRedisPrefixes(...prefixes);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  async function runApp(options: Omit<ConsumerAppOptions, 'env'>, keyPrefix: string) {
    const env = { REDIS_URL, DATABASE_URL, CHECKPOINT_SCHEMA: schema, REDIS_KEY_PREFIX: keyPrefix };
    const app: INestApplication = await NestFactory.create(ConsumerAppModule.forRoot({ env, ...options }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();

    const first = await post(base, '/threads/alice/messages', { text: 'hello' });
    const second = await post(base, '/threads/alice/messages', { text: 'again' });
    await post(base, '/threads/bob/messages', { text: 'hi' });
    expect(first.status).toBe(201);
    expect(second.body).toEqual({ turns: ['hello', 'reply #1 to "hello"', 'again', 'reply #2 to "again"'], count: 2 });
    const history = await (await fetch(`${base}/threads/alice/history`)).json();
    // input + listen + reply per invoke, plus the initial empty checkpoint.
    expect(history).toEqual({ checkpoints: 8 });

    // Through the same app: migrate everything, the graph continues from PostgreSQL.
    await app.get(MigrationService).runNow();
    const report = await app.get(HotTierStore).backlog();
    expect(report.threadsWaiting).toBe(2); // nothing aged yet: still hot
    const saver = app.get(ChatService).saver;
    const moved = await saver.migrate({ now: Date.now() + 48 * 3600_000 });
    expect(moved.checkpointsCopied).toBe(12);
    const third = await post(base, '/threads/alice/messages', { text: 'later' });
    expect(third.body.count).toBe(3);
    await saver.deleteThread('alice');
    await saver.deleteThread('bob');
    await app.close();
  }

  it('runs a graph over HTTP with URLs from ConfigService and shuts down leaving no handles', async () => {
    const before = activeHandles();
    await runApp({}, prefixes[0]);
    // Let closed sockets finish closing, then compare: no socket or timer outlives the app.
    await new Promise((r) => setTimeout(r, 100));
    const after = activeHandles();
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) expect(after[kind] ?? 0).toBeLessThanOrEqual(before[kind] ?? 0);
  });

  it('runs with clients the app passes in, and leaves them open for the app', async () => {
    const redis = new Redis(REDIS_URL);
    const prisma = createPrismaClient({ databaseUrl: DATABASE_URL, schema });
    await runApp({ clients: { redis, prisma } }, prefixes[1]);
    expect(await redis.ping()).toBe('PONG');
    expect(await prisma.$queryRawUnsafe<Array<{ one: number }>>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await redis.quit();
    await prisma.$disconnect();
  });
});
