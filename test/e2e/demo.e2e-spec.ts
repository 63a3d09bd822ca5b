import { MemorySaver } from '@langchain/langgraph-checkpoint';
import { ManualClock } from '../../src/core/clock.js';
import { buildDemoGraph, DEMO_THREADS, runDemoScript, toPlain, type DemoPhase, type DemoResult, type ThreadResult } from '../../src/demo/demo-graph.js';
import type { MigrationReport } from '../../src/tiering/migration.runner.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { TestStores } from '../support/test-stores.js';

const HOUR = 3600_000;
const WINDOW = 24 * HOUR;

/** After each phase: past the window (everything migrates), again, then less than the window. */
const CLOCK_STEP: Record<DemoPhase, number> = { opened: WINDOW + HOUR, resumed: 2 * WINDOW, 'follow-up': HOUR };

interface PhaseRecord {
  phase: DemoPhase;
  hotBefore: Record<string, string[]>;
  hotAfter: Record<string, string[]>;
  coldBefore: number;
  coldAfter: number;
  report: MigrationReport;
}

let stores: TestStores;

beforeAll(async () => {
  stores = await TestStores.create('demo');
});
afterAll(async () => {
  await stores.cleanup();
});

async function hotIds(saver: TieredCheckpointSaver): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of DEMO_THREADS) out[t] = (await saver.hot.listIds(t, undefined)).map((k) => k.checkpointId);
  return out;
}

const count = (ids: Record<string, string[]>) => Object.values(ids).reduce((n, l) => n + l.length, 0);
/** Raw ids differ between runs; everything else must not. */
const comparable = (t: ThreadResult) => ({ ...t, checkpointIds: undefined });
const byThread = (r: DemoResult, id: string) => r.threads.find((t) => t.threadId === id)!;

describe('demo script: tiered saver (with migrations between phases) vs MemorySaver', () => {
  let tiered: DemoResult;
  let memory: DemoResult;
  let phases: PhaseRecord[];
  let saver: TieredCheckpointSaver;

  beforeAll(async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
    saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW });
    phases = [];
    tiered = await runDemoScript(saver, {
      afterPhase: async (phase) => {
        const hotBefore = await hotIds(saver);
        const coldBefore = (await stores.cold.stats()).checkpoints;
        clock.advance(CLOCK_STEP[phase]);
        const report = await saver.migrate();
        phases.push({ phase, hotBefore, coldBefore, report, hotAfter: await hotIds(saver), coldAfter: (await stores.cold.stats()).checkpoints });
      },
    });
    memory = await runDemoScript(new MemorySaver());
  });

  it('ran a meaningful script (so that equality below is not trivially true)', () => {
    expect(memory.threads.map((t) => t.threadId)).toEqual([...DEMO_THREADS]);
    for (const t of memory.threads) {
      expect(t.history.length).toBeGreaterThanOrEqual(8);
      expect(t.finalNext).toEqual([]);
      const messages = t.finalValues.messages as Array<{ className: string }>;
      expect(messages.length).toBeGreaterThanOrEqual(5);
      expect(new Set(messages.map((m) => m.className))).toEqual(new Set(['HumanMessage', 'AIMessage']));
    }
    expect(byThread(memory, 'billing-1').finalValues).toMatchObject({ sentCount: 2, approvedBy: 'ana', category: 'billing' });
    // Forks: some checkpoint has a parent that is not the next-older one.
    for (const id of ['general-1', 'tech-1']) {
      const h = byThread(memory, id).history;
      expect(h.some((s, i) => i + 1 < h.length && s.parent !== h[i + 1]!.checkpoint)).toBe(true);
    }
    expect(memory.transcript.some((e) => JSON.stringify(e.output).includes('__interrupt__'))).toBe(true);
    // Pending writes (task results, interrupts, resume values) are part of the comparison.
    expect(memory.threads.every((t) => t.history.some((s) => s.pendingWrites.some(([, channel]) => channel === '__interrupt__')))).toBe(true);
    expect(memory.threads.every((t) => t.history.some((s) => s.pendingWrites.some(([, channel]) => channel === '__resume__')))).toBe(true);
  });

  it('returns the same invoke outputs (interrupt payloads included) as MemorySaver', () => {
    expect(tiered.transcript).toEqual(memory.transcript);
  });

  it.each([...DEMO_THREADS])('returns the same final state and getStateHistory for %s as MemorySaver', (threadId) => {
    const a = byThread(tiered, threadId);
    const b = byThread(memory, threadId);
    expect(a.finalValues).toEqual(b.finalValues);
    expect(a.finalNext).toEqual(b.finalNext);
    expect(a.history.length).toBe(b.history.length);
    a.history.forEach((snapshot, i) => expect({ i, ...snapshot }).toEqual({ i, ...b.history[i] }));
    expect(comparable(a)).toEqual(comparable(b));
  });

  it('really moved history to PostgreSQL after the first phase', () => {
    const opened = phases.find((p) => p.phase === 'opened')!;
    expect(opened.coldBefore).toBe(0);
    expect(count(opened.hotBefore)).toBeGreaterThan(0);
    expect(opened.report.checkpointsCopied).toBe(count(opened.hotBefore));
    expect(opened.coldAfter).toBe(count(opened.hotBefore));
    expect(count(opened.hotAfter)).toBe(0);
  });

  it('resumed threads from PostgreSQL into Redis, then migrated those too', () => {
    const resumed = phases.find((p) => p.phase === 'resumed')!;
    // Phase 2 started from an empty hot tier: every hot checkpoint here is new.
    for (const t of DEMO_THREADS) expect(resumed.hotBefore[t]!.length).toBeGreaterThan(0);
    expect(resumed.coldBefore).toBe(phases[0]!.coldAfter);
    expect(resumed.report.checkpointsCopied).toBe(count(resumed.hotBefore));
    expect(count(resumed.hotAfter)).toBe(0);
  });

  it('ends split: the newest checkpoints in Redis only, the older ones in PostgreSQL', async () => {
    const last = phases.find((p) => p.phase === 'follow-up')!;
    expect(last.report.checkpointsCopied).toBe(0);
    const total = tiered.threads.reduce((n, t) => n + t.checkpointIds.length, 0);
    expect(last.coldAfter).toBe(total - count(last.hotAfter));
    for (const t of tiered.threads) {
      const hot = [...last.hotAfter[t.threadId]!].sort().reverse();
      expect(hot.length).toBeGreaterThan(0);
      expect(hot.length).toBeLessThan(t.checkpointIds.length);
      // History is newest first: Redis holds exactly its head.
      expect(hot).toEqual(t.checkpointIds.slice(0, hot.length));
    }
    expect((await saver.stats()).cold.checkpoints).toBe(last.coldAfter);
  });
});

/** Compares two runs thread by thread (raw ids excluded), for the placements below. */
function expectSameRun(a: DemoResult, b: DemoResult): void {
  expect(a.transcript).toEqual(b.transcript);
  for (const t of DEMO_THREADS) expect(comparable(byThread(a, t))).toEqual(comparable(byThread(b, t)));
}

describe('demo script with copy early (copyAfterMs 1 h), evict at the 24 h window', () => {
  it('copies without evicting, then evicts, and reads the same as MemorySaver', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, copyAfterMs: HOUR });
    // Phase-1 entries are 25 h old after the second step, phase-2 ones 23 h: evicted vs. still hot.
    const steps: Record<DemoPhase, number> = { opened: 2 * HOUR, resumed: WINDOW - HOUR, 'follow-up': 2 * HOUR };
    const seen: Array<{ phase: DemoPhase; hot: number; cold: number; copiedStillHot: number; report: MigrationReport }> = [];
    const result = await runDemoScript(saver, {
      afterPhase: async (phase) => {
        clock.advance(steps[phase]);
        const report = await saver.migrate();
        const stats = await saver.stats();
        seen.push({ phase, report, hot: count(await hotIds(saver)), cold: stats.cold.checkpoints, copiedStillHot: stats.hot.threadsCopiedStillHot });
      },
    });
    expectSameRun(result, await runDemoScript(new MemorySaver()));
    const [opened, resumed, followUp] = seen;
    // Copied to PostgreSQL and still served from Redis: both tiers hold every phase-1 checkpoint.
    expect(opened).toMatchObject({ report: { entriesEvicted: 0 }, copiedStillHot: DEMO_THREADS.length });
    expect(opened!.cold).toBe(opened!.report.checkpointsCopied);
    expect(opened!.hot).toBe(opened!.cold);
    // A day later the phase-1 entries leave Redis; phase-2 ones are copied and, being younger
    // than the window, stay hot too.
    expect(resumed!.report.entriesEvicted).toBeGreaterThan(0);
    expect(resumed!.hot).toBeGreaterThan(0);
    expect(resumed!.hot).toBeLessThan(resumed!.cold);
    expect(followUp!.cold).toBe(result.threads.reduce((n, t) => n + t.checkpointIds.length, 0));
  });
});

describe('demo script migrated one entry at a time', () => {
  it('reads the same at every split point between the tiers', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
    const saver = await stores.freshSaver({ clock, hotWindowMs: WINDOW, migrationBatchSize: 1, migrationMaxBatchesPerRun: 1 });
    const graph = buildDemoGraph().compile({ checkpointer: saver });
    /** What a caller can observe: history (whole and paged), raw tuples with writes, latest state. */
    const observe = async () => {
      const out: unknown[] = [];
      for (const t of DEMO_THREADS) {
        const config = { configurable: { thread_id: t } };
        const history: unknown[] = [];
        for await (const s of graph.getStateHistory(config)) history.push(toPlain({ values: s.values, next: s.next, config: s.config, parent: s.parentConfig, metadata: s.metadata, tasks: s.tasks }));
        const page: unknown[] = [];
        for await (const s of graph.getStateHistory(config, { limit: 3 })) page.push(s.config.configurable?.checkpoint_id);
        const tuples: unknown[] = [];
        for await (const tuple of saver.list(config)) tuples.push(toPlain({ config: tuple.config, writes: tuple.pendingWrites, parent: tuple.parentConfig }));
        out.push({ history, page, tuples, latest: toPlain((await graph.getState(config)).values) });
      }
      return out;
    };
    let splitPoints = 0;
    const result = await runDemoScript(saver, {
      afterPhase: async () => {
        const before = await observe();
        clock.advance(WINDOW + HOUR);
        for (let i = 0; i < 100; i += 1) {
          const report = await saver.migrate();
          if (report.batches === 0) break;
          splitPoints += 1;
          expect(await observe()).toEqual(before);
        }
        expect(count(await hotIds(saver))).toBe(0);
      },
    });
    expect(splitPoints).toBeGreaterThanOrEqual(result.threads.reduce((n, t) => n + t.checkpointIds.length, 0));
    expectSameRun(result, await runDemoScript(new MemorySaver()));
  });
});
