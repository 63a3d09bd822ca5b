/**
 * A migration that fails at each step of a batch, then a normal migration (the "restart"):
 * nothing acknowledged is lost or duplicated, and nothing is left behind in either tier.
 *
 * The failure is injected with `migrationStepHook` (it throws, aborting the run exactly there);
 * `kill9.spec.ts` does the same with a real process killed by SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/core/clock.js';
import type { MigrationStep } from '../../src/tiering/migration.hooks.js';
import type { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, TestStores } from '../support/test-stores.js';
import { Workload, expectAllReadable, expectColdRows, expectRedisDrained, note } from '../support/servers.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const STEPS: MigrationStep[] = ['after-read', 'in-transaction', 'after-commit', 'mid-cleanup'];
const THREADS = ['t0', 't1', 't2', 't3'];
const NAMESPACES = ['', 'sub:a'];
const BATCH_SIZE = 6;

let stores: TestStores;
beforeAll(async () => {
  stores = await TestStores.create('crash');
});
afterAll(async () => {
  await stores.cleanup();
});

class InjectedCrash extends Error {}

interface Mode {
  name: string;
  hotWindowMs: number;
  copyAfterMs: number;
}
const MODES: Mode[] = [
  { name: 'copy+evict at 24 h', hotWindowMs: DAY, copyAfterMs: DAY },
  { name: 'copy at 1 h, evict at 24 h', hotWindowMs: DAY, copyAfterMs: HOUR },
];

/**
 * Phase 1: history, migrated normally. Phase 2: late writes to cold checkpoints, new steps whose
 * values partly live in PostgreSQL. Then a run that crashes at `step` of batch `batchNo`, a
 * write landing on the half-migrated data, and the restart.
 */
async function scenario(mode: Mode, step: MigrationStep, batchNo: number, seed: number): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 1, 1));
  let crashAt: { step: MigrationStep; batch: number } | undefined;
  const fired: string[] = [];
  const options = {
    clock,
    hotWindowMs: mode.hotWindowMs,
    copyAfterMs: mode.copyAfterMs,
    migrationBatchSize: BATCH_SIZE,
    migrationStepHook: (s: MigrationStep, b: number) => {
      if (crashAt && s === crashAt.step && b === crashAt.batch) {
        fired.push(`${s}#${b}`);
        throw new InjectedCrash(`injected crash at ${s} of batch ${b}`);
      }
    },
  };
  const saver: TieredCheckpointSaver = await stores.freshSaver(options);
  const prefix = saver.options.keyPrefix;
  const w = new Workload(saver, clock, seed);

  // Phase 1: history, migrated (and, in copy-early mode, evicted) normally.
  const history = await w.grow(THREADS, NAMESPACES, 3);
  clock.advance(mode.hotWindowMs + HOUR);
  const first = await saver.migrate();
  expect(first.backlogRemaining).toBe(false);

  // Phase 2: late writes to cold checkpoints, new steps continuing the cold chains.
  await w.lateWrites(history, 6);
  await w.grow(THREADS, NAMESPACES, 2, 0.5);
  clock.advance(mode.copyAfterMs + HOUR);

  // The crashing run.
  crashAt = { step, batch: batchNo };
  await expect(saver.migrate()).rejects.toBeInstanceOf(InjectedCrash);
  expect(fired).toEqual([`${step}#${batchNo}`]);
  crashAt = undefined;
  await expectAllReadable(saver, w.model, `after crash at ${step}#${batchNo}:`);

  // Writes that land on the half-migrated data (in both tiers after a commit), and a new step.
  await w.lateWrites(w.model.all(), 4);
  await w.step('t0', '');

  // "Restart": a new saver instance on the same prefix and schema finishes the job.
  const restarted = stores.saver({ ...options, keyPrefix: prefix });
  w.saver = restarted;
  const resume = await restarted.migrate();
  expect(resume.backlogRemaining).toBe(false);
  await expectAllReadable(restarted, w.model, `after restart (crash at ${step}#${batchNo}):`, { quick: true });

  // Everything past every window: only coldmax (+ marker) may remain in Redis.
  clock.advance(2 * DAY);
  const drain = await restarted.migrate();
  expect(drain.backlogRemaining).toBe(false);
  await expectAllReadable(restarted, w.model, `after full migration (crash at ${step}#${batchNo}):`);
  const rows = await expectColdRows(DATABASE_URL, stores.schema, w.model, `crash at ${step}#${batchNo}`);
  await expectRedisDrained(stores.redis, prefix, w.model, `crash at ${step}#${batchNo}`);
  note(`crash ${mode.name} ${step}#${batchNo}`, { seed, checkpoints: w.model.checkpoints.size, writes: w.model.writeCount, rows, resume: { batches: resume.batches, copied: resume.checkpointsCopied, evicted: resume.entriesEvicted }, drain: { copied: drain.checkpointsCopied, evicted: drain.entriesEvicted } });
}

describe('a migration crashing at each step, then restarted', () => {
  let seed = 1000;
  for (const mode of MODES) {
    for (const step of STEPS) {
      for (const batchNo of [1, 2]) {
        const s = (seed += 1);
        it(`${mode.name}: crash at ${step} of batch ${batchNo} (seed ${s}) loses, duplicates and leaves nothing`, async () => {
          await scenario(mode, step, batchNo, s);
        });
      }
    }
  }
});
