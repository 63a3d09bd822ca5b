import { BaseCheckpointSaver, emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { ManualClock } from '../../src/core/clock.js';
import { TestStores, countColdCalls } from '../support/test-stores.js';

const HOUR = 3600_000;

describe('tier-aware getDeltaChannelHistory', () => {
  let stores: TestStores;
  beforeAll(async () => {
    stores = await TestStores.create('delta');
  });
  afterAll(async () => {
    await stores.cleanup();
  });

  it('walks a parent chain crossing from Redis into PostgreSQL in a bounded number of queries, with the base answers', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const saver = await stores.freshSaver({ clock, hotWindowMs: 24 * HOUR });
    const thread = 'delta';
    let config: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: '' } };
    let parent: Checkpoint | undefined;
    const chain: RunnableConfig[] = [];
    for (let i = 0; i < 40; i += 1) {
      // Every 15 steps the channel stores a full value (a seed); in between only writes.
      const seeded = i % 15 === 0;
      const version = saver.getNextVersion(undefined);
      const cp: Checkpoint = {
        ...(parent ?? emptyCheckpoint()),
        id: uuid6(-3),
        channel_values: seeded ? { log: [`seed-${i}`], other: i } : { other: i },
        // A delta channel: between seeds the checkpoint does not reference a stored value of it.
        channel_versions: seeded ? { log: version, other: version } : { other: version },
      };
      config = await saver.put(config, cp, { source: 'loop', step: i, parents: {} }, seeded ? { log: version, other: version } : { other: version });
      await saver.putWrites(config, [['log', `w${i}-b`], ['other', i]], `task-b-${i}`, '~1');
      await saver.putWrites(config, [['log', `w${i}-a`]], `task-a-${i}`, '~0');
      chain.push(config);
      parent = cp;
      clock.advance(HOUR);
    }
    // Writes on an ancestor count; writes on a sibling fork off the path must not.
    await saver.putWrites(chain[20], [['log', 'on-path']], 'task-z', '~2');
    const forkVersion = saver.getNextVersion(undefined);
    const fork = await saver.put(chain[20], { ...emptyCheckpoint(), id: uuid6(-3), channel_versions: { other: forkVersion }, channel_values: { other: -1 } }, { source: 'fork', step: 21, parents: {} }, { other: forkVersion });
    await saver.putWrites(fork, [['log', 'off-path']], 'task-fork', '~0');
    // The first 25 steps are older than the window: they migrate, the rest stays hot.
    clock.set(Date.UTC(2026, 0, 1) + 24 * HOUR + 25 * HOUR - 1);
    const report = await saver.migrate();
    expect(report.checkpointsCopied).toBe(25);
    // (the fork was put last, so it is hot)

    const ask = { config: chain[39], channels: ['log', 'other', 'missing'] };
    const calls = countColdCalls(stores.cold);
    let ours;
    let tierAwareCalls: number;
    let baseCalls: number;
    let base;
    try {
      ours = await saver.getDeltaChannelHistory(ask);
      tierAwareCalls = calls.total();
      calls.reset();
      base = await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(saver, ask);
      baseCalls = calls.total();
    } finally {
      calls.restore();
    }
    expect(ours).toEqual(base);
    expect(ours.log.seed).toEqual(['seed-30']);
    expect(ours.log.writes.map((w) => w[2])).toEqual(Array.from({ length: 9 }, (_, k) => [`w${30 + k}-a`, `w${30 + k}-b`]).flat());
    expect(ours.missing).toEqual({ writes: [] });
    // Crossing into PostgreSQL: a seed at step 15 is cold.
    const deep = await saver.getDeltaChannelHistory({ config: chain[22], channels: ['log'] });
    expect(deep).toEqual(await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(saver, { config: chain[22], channels: ['log'] }));
    expect(deep.log.seed).toEqual(['seed-15']);
    expect(deep.log.writes.map((w) => w[2])).toContain('on-path');
    expect(deep.log.writes.map((w) => w[2])).not.toContain('off-path');
    expect(tierAwareCalls).toBeLessThanOrEqual(2);
    expect(baseCalls).toBeGreaterThan(tierAwareCalls);
  });
});
