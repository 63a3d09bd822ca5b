import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { ManualClock } from '../../src/core/clock.js';
import {
  InvalidCheckpointConfigError,
  InvalidCheckpointError,
  InvalidOptionsError,
  InvalidWritesError,
  PayloadTooLargeError,
  StoreCorruptedError,
  StoreUnavailableError,
} from '../../src/errors/tiered-checkpoint.errors.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { TestStores } from '../support/test-stores.js';

const WINDOW = 24 * 3600_000;
let stores: TestStores;
let clock: ManualClock;
let saver: TieredCheckpointSaver;

beforeAll(async () => {
  stores = await TestStores.create('badinput');
});
afterAll(async () => {
  await stores.cleanup();
});
beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, maxPayloadBytes: 10_000 });
});

function checkpoint(values: Record<string, unknown>): Checkpoint {
  const versions = Object.fromEntries(Object.keys(values).map((k) => [k, saver.getNextVersion(undefined)]));
  return { ...emptyCheckpoint(), id: uuid6(-3), channel_values: values, channel_versions: versions };
}

async function put(threadId: string, values: Record<string, unknown>, ns = ''): Promise<RunnableConfig> {
  const cp = checkpoint(values);
  return saver.put({ configurable: { thread_id: threadId, checkpoint_ns: ns } }, cp, { source: 'input', step: -1, parents: {} }, cp.channel_versions);
}

async function snapshot(): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list({ configurable: {} })) out.push(t);
  return out;
}

const meta = { source: 'input' as const, step: -1, parents: {} };

describe('bad input gets a clear typed error and changes nothing', () => {
  it('refuses a put or putWrites without thread_id; getTuple without one finds nothing', async () => {
    await put('keep', { n: 1 });
    const before = await snapshot();
    await expect(saver.put({ configurable: {} }, checkpoint({ n: 2 }), meta, {})).rejects.toThrow(InvalidCheckpointConfigError);
    await expect(saver.put({ configurable: {} }, checkpoint({ n: 2 }), meta, {})).rejects.toThrow(/thread_id is required/);
    await expect(saver.putWrites({ configurable: { checkpoint_id: 'x' } }, [['n', 1]], 'task')).rejects.toThrow(InvalidCheckpointConfigError);
    await expect(saver.putWrites({ configurable: { thread_id: 'keep' } }, [['n', 1]], 'task')).rejects.toThrow(/checkpoint_id is required/);
    expect(await saver.getTuple({ configurable: {} })).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('refuses ids of the wrong type', async () => {
    const config = await put('keep', { n: 1 });
    const before = await snapshot();
    const numeric = { configurable: { thread_id: 42 } } as unknown as RunnableConfig;
    await expect(saver.put(numeric, checkpoint({ n: 2 }), meta, {})).rejects.toThrow('put: config.configurable.thread_id must be a string, got number.');
    await expect(saver.getTuple(numeric)).rejects.toThrow(InvalidCheckpointConfigError);
    await expect(saver.getTuple({ configurable: { thread_id: 'keep', checkpoint_ns: ['a'] } } as unknown as RunnableConfig)).rejects.toThrow(/checkpoint_ns must be a string, got array/);
    await expect(saver.putWrites(config, [['n', 1]], 7 as unknown as string)).rejects.toThrow(/taskId must be a string/);
    await expect(saver.deleteThread(undefined as unknown as string)).rejects.toThrow(InvalidCheckpointConfigError);
    await expect(saver.put({ configurable: { thread_id: 'keep' } }, { ...checkpoint({}), id: 5 as unknown as string }, meta, {})).rejects.toThrow(/checkpoint.id must be a string/);
    await expect(saver.put({ configurable: { thread_id: 'a\u0000b' } }, checkpoint({}), meta, {})).rejects.toThrow(/control characters/);
    expect(await snapshot()).toEqual(before);
  });

  it('stores nothing for an empty putWrites and refuses malformed writes', async () => {
    const config = await put('keep', { n: 1 });
    const keys = await stores.countKeys(saver.options.keyPrefix);
    await saver.putWrites(config, [], 'task');
    expect(await stores.countKeys(saver.options.keyPrefix)).toBe(keys);
    expect((await saver.getTuple(config))?.pendingWrites).toEqual([]);
    await expect(saver.putWrites(config, [['', 1]], 'task')).rejects.toThrow(InvalidWritesError);
    await expect(saver.putWrites(config, 'nope' as unknown as [], 'task')).rejects.toThrow(InvalidWritesError);
    expect((await saver.getTuple(config))?.pendingWrites).toEqual([]);
  });

  it('refuses at write time what PostgreSQL could not store, so one checkpoint never blocks migration', async () => {
    const good = await put('fine-1', { n: 1 });
    const before = await stores.countKeys(saver.options.keyPrefix);
    const cfg = { configurable: { thread_id: 'bad', checkpoint_ns: '' } };
    const cp = checkpoint({ n: 1 });
    await expect(saver.put(cfg, cp, { ...meta, note: 'a\u0000b' } as typeof meta, cp.channel_versions)).rejects.toThrow(/metadata of checkpoint .* contains U\+0000/);
    await expect(saver.put(cfg, cp, { ...meta, note: 'x\uDC00' } as typeof meta, cp.channel_versions)).rejects.toThrow(InvalidCheckpointError);
    const v = saver.getNextVersion(undefined);
    const nulChannel = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { 'a\u0000': 1 }, channel_versions: { 'a\u0000': v } };
    await expect(saver.put(cfg, nulChannel, meta, { 'a\u0000': v })).rejects.toThrow(/the checkpoint of checkpoint .* contains U\+0000/);
    await expect(saver.putWrites(good, [['ch\u0000x', 1]], 'task')).rejects.toThrow(InvalidWritesError);
    await expect(saver.putWrites(good, [['ch', 1]], 'task', 'p\u0000')).rejects.toThrow(/task path .* contains U\+0000/);
    // Lone surrogates in ids: two different JS strings, one UTF-8 form; refused, never merged.
    await expect(put('user\uD800', { n: 1 })).rejects.toThrow(/thread_id contains a lone UTF-16 surrogate/);
    await expect(saver.getTuple({ configurable: { thread_id: 'user\uDBFF' } })).rejects.toThrow(InvalidCheckpointConfigError);
    // The six characters \u0000 and paired surrogates are ordinary text.
    const odd = await put('fine-2', { note: '\\u0000 😀' });
    expect(await stores.countKeys(saver.options.keyPrefix)).toBeGreaterThan(before);
    clock.advance(WINDOW + 1);
    const report = await saver.migrate();
    expect(report).toMatchObject({ checkpointsCopied: 2, entriesEvicted: 2 });
    expect((await saver.getTuple(odd))?.checkpoint.channel_values).toEqual({ note: '\\u0000 😀' });
  });

  it('names bad prune options and a list cursor of the wrong type', async () => {
    await expect(saver.prune(['t'], undefined as unknown as { keepLast: number })).rejects.toThrow(/prune: options must be \{ keepLast: N \} or \{ finalOnly: true \}/);
    await expect(saver.prune(['t'], {} as { keepLast: number })).rejects.toThrow(InvalidOptionsError);
    const first = await put('cursor', { n: 1 });
    const listed = async (before: unknown) => {
      const out: CheckpointTuple[] = [];
      for await (const t of saver.list({ configurable: { thread_id: 'cursor' } }, { before: { configurable: { checkpoint_id: before } } })) out.push(t);
      return out;
    };
    await expect(listed(5)).rejects.toThrow(/list \(options.before\): config.configurable.checkpoint_id must be a string, got number/);
    expect(await listed(first.configurable?.checkpoint_id)).toEqual([]);
  });

  it('refuses a serde that does not write checkpoints and metadata as JSON (PostgreSQL keeps them as JSONB)', async () => {
    const serde = { dumpsTyped: async (v: unknown) => ['bin', new TextEncoder().encode(JSON.stringify(v))] as [string, Uint8Array], loadsTyped: async (_t: string, d: Uint8Array | string) => JSON.parse(typeof d === 'string' ? d : new TextDecoder().decode(d)) };
    const custom = stores.saver({ clock, serde });
    const cp = checkpoint({ n: 1 });
    await expect(custom.put({ configurable: { thread_id: 'serde', checkpoint_ns: '' } }, cp, meta, cp.channel_versions)).rejects.toThrow(/the checkpoint of checkpoint .* was serialized by the serde as "bin", not "json"/);
    expect(await custom.getTuple({ configurable: { thread_id: 'serde' } })).toBeUndefined();
  });

  it('matches ids with : * ? [ and non-ASCII characters exactly, in both tiers', async () => {
    const ids = ['a*', 'ab', 'a?', 'a[b]', 'a:b', 'a', 'thread-ü', 'thread-u', '线程:1'];
    for (const [i, id] of ids.entries()) await put(id, { i }, id.includes(':') ? 'ns:*' : '');
    for (const placement of ['hot', 'cold']) {
      for (const [i, id] of ids.entries()) {
        const ns = id.includes(':') ? 'ns:*' : '';
        expect((await saver.getTuple({ configurable: { thread_id: id, checkpoint_ns: ns } }))?.checkpoint.channel_values).toEqual({ i });
        const listed: unknown[] = [];
        for await (const t of saver.list({ configurable: { thread_id: id } })) listed.push(t.checkpoint.channel_values);
        expect(listed).toEqual([{ i }]);
      }
      expect(await saver.getTuple({ configurable: { thread_id: 'a*', checkpoint_ns: 'ns:*' } })).toBeUndefined();
      if (placement === 'hot') {
        clock.advance(WINDOW * 2);
        expect((await saver.migrate()).checkpointsCopied).toBe(ids.length);
      }
    }
    await saver.deleteThread('a*');
    expect(await saver.getTuple({ configurable: { thread_id: 'ab' } })).toBeDefined();
    expect(await saver.getTuple({ configurable: { thread_id: 'a*' } })).toBeUndefined();
  });

  it('refuses a checkpoint or write over maxPayloadBytes before storing anything', async () => {
    const config = await put('keep', { n: 1 });
    const before = await snapshot();
    const err = await saver.put({ configurable: { thread_id: 'big' } }, checkpoint({ blob: 'x'.repeat(20_000) }), meta, { blob: saver.getNextVersion(undefined) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as PayloadTooLargeError).limit).toBe(10_000);
    await expect(saver.putWrites(config, [['n', 'y'.repeat(20_000)]], 'task')).rejects.toThrow(PayloadTooLargeError);
    expect(await snapshot()).toEqual(before);
  });

  it('lists every configuration problem at once', () => {
    let error: unknown;
    try {
      TieredCheckpointSaver.fromConfig({ redisUrl: 'http://nope', databaseUrl: 'not a url', hotWindowMs: -5, schema: 'bad"schema', keyPrefix: 'a b' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).problems).toEqual([
      'redisUrl must use redis: or rediss:, got "http:"',
      'databaseUrl is not a valid URL (expected postgresql://... or postgres://...)',
      'schema "bad"schema" must be a plain PostgreSQL identifier (letters, digits, _ and $, at most 63 characters)',
      'keyPrefix "a b" must be 1-64 characters of A-Z a-z 0-9 _ . -',
      'hotWindowMs must be an integer >= 0, got -5',
    ]);
    expect(() => TieredCheckpointSaver.fromConfig({})).toThrow(/redisUrl or an ioredis client/);
  });

  it('reports misspelt options, wrong client objects, bad cron fields and non-boolean flags', () => {
    const problems = (options: unknown) => {
      try {
        TieredCheckpointSaver.fromConfig(options as never);
      } catch (e) {
        return (e as InvalidOptionsError).problems;
      }
      return [];
    };
    const base = { redisUrl: 'redis://127.0.0.1:6379', databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test' };
    expect(problems(undefined)).toEqual(['either redisUrl or an ioredis client (redis) is required', 'either databaseUrl or a Prisma client (prisma) is required']);
    expect(problems({ ...base, hotWindowHours: 2 })[0]).toMatch(/^unknown option "hotWindowHours"/);
    expect(problems({ ...base, redis: { foo: 1 } })).toEqual(['redis must be an ioredis client (Redis or Cluster instance)']);
    expect(problems({ ...base, migrationCron: '61 * * * *' })).toEqual(['migrationCron "61 * * * *" is not a valid cron expression: Field value (61) is out of range']);
    expect(problems({ ...base, migrationEnabled: 'yes' })).toEqual(['migrationEnabled must be true or false, got "yes"']);
  });

  it('refuses a migration clock that is not a number, without touching the stores', async () => {
    await put('keep', { n: 1 });
    await expect(saver.migrate({ now: 'tomorrow' as unknown as number })).rejects.toThrow(InvalidOptionsError);
    await expect(saver.migrate({ now: Number.NaN })).rejects.toThrow(/now must be a finite number/);
    expect((await stores.cold.stats()).checkpoints).toBe(0);
  });

  it('filters on undefined metadata values the same way in both tiers (the key is ignored, as JSON drops it)', async () => {
    await put('f', { n: 1 });
    await put('f', { n: 2 });
    const count = async (filter: Record<string, unknown>) => {
      let n = 0;
      for await (const _ of saver.list({ configurable: { thread_id: 'f' } }, { filter })) n += 1;
      return n;
    };
    const hot = [await count({ step: undefined }), await count({ nope: undefined }), await count({ source: 'input', nope: undefined })];
    clock.advance(WINDOW * 2);
    await saver.migrate();
    const cold = [await count({ step: undefined }), await count({ nope: undefined }), await count({ source: 'input', nope: undefined })];
    expect(hot).toEqual([2, 2, 2]);
    expect(cold).toEqual(hot);
  });

  it('connects in setup() even when a call raced ahead of it', async () => {
    const early = TieredCheckpointSaver.fromConfig({ redisUrl: 'redis://127.0.0.1:6379', databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test', keyPrefix: saver.options.keyPrefix, schema: stores.schema });
    const raced = await early.getTuple({ configurable: { thread_id: 'x' } }).catch((e: unknown) => e);
    expect(raced).toBeInstanceOf(StoreUnavailableError);
    expect(String((raced as Error).message)).toMatch(/127\.0\.0\.1:6379.*call setup\(\) first/);
    await early.setup();
    expect(await early.getTuple({ configurable: { thread_id: 'x' } })).toBeUndefined();
    await early.close();
  });

  it('refuses at setup a Redis prefix holding data of an earlier key layout, and leaves that data alone', async () => {
    const prefix = `${saver.options.keyPrefix}old`;
    stores.prefixes.push(prefix);
    // What the previous layout left: a marker without a layout tag, and a checkpoint hash.
    await stores.redis.set(`${prefix}:meta:marker`, '0c1a7b52-2f0e-4a49-9b43-1b3f3f1b9b10');
    await stores.redis.hset(`${prefix}:{${prefix}:t}:cp::1f0`, 'ck', '{}');
    const old = TieredCheckpointSaver.fromConfig({ redisUrl: 'redis://127.0.0.1:6379', databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test', keyPrefix: prefix, schema: stores.schema });
    const error = await old.setup().catch((e: unknown) => e);
    await old.close();
    expect(error).toBeInstanceOf(StoreCorruptedError);
    expect(String((error as Error).message)).toMatch(new RegExp(`earlier key layout under prefix "${prefix}".*new keyPrefix`));
    expect(await stores.redis.hget(`${prefix}:{${prefix}:t}:cp::1f0`, 'ck')).toBe('{}');
    expect(await stores.redis.get(`${prefix}:meta:marker`)).toBe('0c1a7b52-2f0e-4a49-9b43-1b3f3f1b9b10');
  });

  it('fails setup with StoreUnavailableError when a store cannot be reached, without leaking credentials', async () => {
    const noRedis = TieredCheckpointSaver.fromConfig({ redisUrl: 'redis://:s3cret-pw@127.0.0.1:1', databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test', keyPrefix: saver.options.keyPrefix });
    const e1 = await noRedis.setup().catch((e: unknown) => e);
    await noRedis.close();
    expect(e1).toBeInstanceOf(StoreUnavailableError);
    expect((e1 as StoreUnavailableError).store).toBe('redis');
    expect(String((e1 as Error).message)).not.toContain('s3cret-pw');

    const noPg = TieredCheckpointSaver.fromConfig({ redisUrl: 'redis://127.0.0.1:6379', databaseUrl: 'postgresql://postgres:s3cret-pw@127.0.0.1:1/test', keyPrefix: saver.options.keyPrefix, schema: 'unreachable' });
    const e2 = await noPg.setup().catch((e: unknown) => e);
    await noPg.close();
    expect(e2).toBeInstanceOf(StoreUnavailableError);
    expect((e2 as StoreUnavailableError).store).toBe('postgres');
    expect(String((e2 as Error).message)).not.toContain('s3cret-pw');
  });
});
