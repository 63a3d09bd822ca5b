import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { Cluster, Redis } from 'ioredis';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { freePort } from '../support/servers.js';
import { TestStores } from '../support/test-stores.js';

/** A throw-away three-master Redis Cluster on spare ports (never the shared server). */
async function startCluster(): Promise<{ ports: number[]; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < 3; i += 1) {
    const port = await freePort();
    ports.push(port);
    children.push(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
    );
  }
  for (const port of ports) {
    for (let i = 0; i < 50; i += 1) {
      try {
        if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).trim() === 'PONG') break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i += 1) {
    if (ports.every((p) => execFileSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ports,
    stop() {
      for (const c of children) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('hot tier on a Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let client: Cluster;
  let stores: TestStores;

  beforeAll(async () => {
    cluster = await startCluster();
    client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 1 } });
    stores = await TestStores.create('cluster');
  }, 60_000);
  afterAll(async () => {
    await client?.quit();
    cluster?.stop();
    await stores?.cleanup();
  });

  it('stores, reads, lists, migrates and deletes threads that live on different slots', async () => {
    const hot = new HotTierStore({ redis: client, keyPrefix: 'tccl' });
    await hot.connect();
    const saver = new TieredCheckpointSaver(hot, stores.cold, { keyPrefix: 'tccl', schema: stores.schema });
    const threads = Array.from({ length: 12 }, (_, i) => `thread-${i}`);
    const slots = new Set(threads.map((t) => Number(execFileSync('redis-cli', ['-p', String(cluster.ports[0]), 'cluster', 'keyslot', hot.keys.age(t)], { encoding: 'utf8' }).trim())));
    expect(slots.size).toBeGreaterThan(3);

    for (const [i, thread] of threads.entries()) {
      const version = saver.getNextVersion(undefined);
      const cp = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { i }, channel_versions: { i: version } };
      const config = await saver.put({ configurable: { thread_id: thread, checkpoint_ns: '' } }, cp, { source: 'input', step: -1, parents: {} }, { i: version });
      await saver.putWrites(config, [['i', i * 10]], 'task', '~0');
    }
    for (const [i, thread] of threads.entries()) {
      const t = await saver.getTuple({ configurable: { thread_id: thread } });
      expect(t?.checkpoint.channel_values).toEqual({ i });
      expect(t?.pendingWrites).toEqual([['task', 'i', i * 10]]);
    }
    const listed = [];
    for await (const t of saver.list({ configurable: {} })) listed.push(t.config.configurable?.thread_id);
    expect(listed.sort()).toEqual([...threads].sort());

    const report = await saver.migrate({ now: Date.now() + 48 * 3600_000 });
    expect(report).toMatchObject({ checkpointsCopied: 12, writesCopied: 12, entriesEvicted: 12 });
    expect((await saver.getTuple({ configurable: { thread_id: 'thread-3' } }))?.checkpoint.channel_values).toEqual({ i: 3 });

    for (const thread of threads) await saver.deleteThread(thread);
    expect(await saver.getTuple({ configurable: { thread_id: 'thread-3' } })).toBeUndefined();
    expect((await stores.cold.stats()).checkpoints).toBe(0);
  }, 60_000);

  it('falls back to separate index commands when one endpoint enforces slot rules (CROSSSLOT)', async () => {
    // One cluster-mode node owning every slot, reached through a plain client: what a proxy in
    // front of a cluster looks like. A script naming keys of two slots is refused before it runs.
    const dir = mkdtempSync(join(tmpdir(), 'tc-slotnode-'));
    const port = await freePort();
    const node = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      for (let i = 0; i < 50; i += 1) {
        try {
          await redis.connect();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      for (let i = 0; i < 100 && !String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok'); i += 1) await new Promise((r) => setTimeout(r, 100));
      const hot = new HotTierStore({ redis, keyPrefix: 'tcslot' });
      await hot.connect();
      const saver = new TieredCheckpointSaver(hot, stores.cold, { keyPrefix: 'tcslot', schema: stores.schema });
      const threads = ['a', 'b', 'c'];
      for (const thread of threads) {
        const version = saver.getNextVersion(undefined);
        const cp = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { thread }, channel_versions: { thread: version } };
        const config = await saver.put({ configurable: { thread_id: thread, checkpoint_ns: '' } }, cp, { source: 'input', step: -1, parents: {} }, { thread: version });
        await saver.putWrites(config, [['thread', `${thread}!`]], 'task', '~0');
      }
      // Every thread is in the global age index, so migration finds it.
      expect((await redis.zrange(hot.keys.threadsByAge, 0, -1)).sort()).toEqual(threads);
      const report = await saver.migrate({ now: Date.now() + 48 * 3600_000 });
      expect(report).toMatchObject({ checkpointsCopied: 3, writesCopied: 3, entriesEvicted: 3 });
      expect((await saver.getTuple({ configurable: { thread_id: 'b' } }))?.pendingWrites).toEqual([['task', 'thread', 'b!']]);
      for (const thread of threads) await saver.deleteThread(thread);
    } finally {
      redis.disconnect();
      node.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
