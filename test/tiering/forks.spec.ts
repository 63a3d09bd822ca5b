import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { BaseCheckpointSaver, emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, REDIS_URL, TestStores, dropRedisPrefixes, uniqueName } from '../support/test-stores.js';

/** Two sibling forks of one checkpoint that both write `topic`; returns what each reads back. */
async function forkAndRead(saver: BaseCheckpointSaver): Promise<[unknown, unknown]> {
  const thread = { configurable: { thread_id: 'fork', checkpoint_ns: '' } };
  const v1 = saver.getNextVersion(undefined);
  const root: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { topic: 'root' }, channel_versions: { topic: v1 } };
  const rootConfig = await saver.put(thread, root, { source: 'input', step: -1, parents: {} }, { topic: v1 });
  const child = async (value: string) => {
    const v = saver.getNextVersion(v1);
    const cp: Checkpoint = { ...root, id: uuid6(-3), channel_values: { topic: value }, channel_versions: { topic: v } };
    return saver.put(rootConfig, cp, { source: 'update', step: 0, parents: {} }, { topic: v });
  };
  const a = await child('branch-a');
  const b = await child('branch-b');
  return [(await saver.getTuple(a))?.checkpoint.channel_values.topic, (await saver.getTuple(b))?.checkpoint.channel_values.topic];
}

describe('sibling forks', () => {
  let stores: TestStores;
  beforeAll(async () => {
    stores = await TestStores.create('forks');
  });
  afterAll(async () => {
    await stores.cleanup();
  });

  it('PostgresSaver with integer versions returns the wrong branch (the case we fix)', async () => {
    const schema = uniqueName('t_pgfork').toLowerCase();
    const saver = PostgresSaver.fromConnString(DATABASE_URL, { schema });
    await saver.setup();
    try {
      const [a, b] = await forkAndRead(saver);
      expect(a).toBe('branch-a');
      expect(b).toBe('branch-a'); // branch-b's value was dropped: same (channel, version) key
    } finally {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
      await client.end();
      await saver.end();
    }
  });

  it('TieredCheckpointSaver returns each branch its own value, hot and after migration', async () => {
    const saver = await stores.freshSaver();
    expect(await forkAndRead(saver)).toEqual(['branch-a', 'branch-b']);
    await saver.migrate({ now: Date.now() + 48 * 3600_000 });
    expect((await stores.cold.stats()).checkpoints).toBe(3);
    const values = [];
    for await (const t of saver.list({ configurable: { thread_id: 'fork' } })) values.push(t.checkpoint.channel_values.topic);
    expect(values.sort()).toEqual(['branch-a', 'branch-b', 'root']);
  });
});

describe('usable without Nest', () => {
  it('fromConfig builds, sets up and closes its own clients, but never one it was given', async () => {
    const schema = uniqueName('t_plain').toLowerCase();
    const own = new Redis(REDIS_URL);
    const keyPrefix = uniqueName('tcplain');
    const saver = TieredCheckpointSaver.fromConfig({ redis: own, databaseUrl: DATABASE_URL, schema, keyPrefix });
    await saver.setup();
    const cp = { ...emptyCheckpoint(), id: uuid6(-3) };
    const config = await saver.put({ configurable: { thread_id: 'plain' } }, cp, { source: 'input', step: -1, parents: {} }, {});
    const report = await saver.migrate({ now: Date.now() + 48 * 3600_000 });
    expect(report.checkpointsCopied).toBe(1);
    expect((await saver.getTuple(config))?.checkpoint.id).toBe(cp.id);
    await saver.deleteThread('plain');
    await saver.close();
    expect(await own.ping()).toBe('PONG');
    await own.quit();
    await dropRedisPrefixes(keyPrefix);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  });
});
