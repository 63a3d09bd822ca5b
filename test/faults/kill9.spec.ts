/**
 * The migrating process is a real child process, killed with SIGKILL at each step of a batch
 * (its `migrationStepHook` kills itself at the step named in its environment): no `finally`,
 * no lease release, an open PostgreSQL transaction cut off mid-way. A fresh migration in the
 * test process then finishes the job: nothing lost, nothing duplicated, nothing left behind.
 *
 * The child runs the library's TypeScript transpiled by @swc/core (the same transform jest
 * uses) into a temp directory, so the test neither needs nor touches `dist/`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { transformFile } from '@swc/core';
import { ManualClock } from '../../src/core/clock.js';
import type { MigrationStep } from '../../src/tiering/migration.hooks.js';
import { DATABASE_URL, REDIS_URL, TestStores } from '../support/test-stores.js';
import { Workload, expectAllReadable, expectColdRows, expectRedisDrained, note, sleep } from '../support/servers.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const STEPS: MigrationStep[] = ['after-read', 'in-transaction', 'after-commit', 'mid-cleanup'];
const THREADS = ['k0', 'k1', 'k2', 'k3'];
const NAMESPACES = ['', 'sub:a'];
const BATCH_SIZE = 6;
const CHILD_LEASE_MS = 1000;

let stores: TestStores;
let buildDir: string;
const buildErrors: string[] = [];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** src/**.ts → <tmp>/src/**.js (ESM), with node_modules and prisma/ linked so imports resolve. */
async function buildLibrary(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-kill9-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tc-kill9-child', type: 'module', private: true }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'prisma'), join(dir, 'prisma'));
  const srcDir = join(ROOT, 'src');
  await Promise.all(
    tsFiles(srcDir).map(async (file) => {
      const out = join(dir, 'src', relative(srcDir, file)).replace(/\.ts$/, '.js');
      try {
        const { code } = await transformFile(file, {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            target: 'es2022',
          },
          module: { type: 'es6' },
          sourceMaps: false,
        });
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, code);
      } catch (error) {
        // A file the child does not import may be mid-edit by someone else; if the child needs
        // it, its import fails and the test shows this.
        buildErrors.push(`${relative(ROOT, file)}: ${(error as Error).message.split('\n')[0]}`);
      }
    }),
  );
  writeFileSync(
    join(dir, 'child.mjs'),
    `
import 'reflect-metadata';
import { TieredCheckpointSaver } from './src/tiering/tiered-checkpoint.saver.js';
const env = process.env;
const saver = TieredCheckpointSaver.fromConfig({
  redisUrl: env.TC_REDIS_URL,
  databaseUrl: env.TC_DATABASE_URL,
  schema: env.TC_SCHEMA,
  keyPrefix: env.TC_PREFIX,
  hotWindowMs: Number(env.TC_WINDOW_MS),
  copyAfterMs: Number(env.TC_COPY_AFTER_MS),
  migrationBatchSize: Number(env.TC_BATCH_SIZE),
  migrationLeaseMs: Number(env.TC_LEASE_MS),
  migrationStepHook: (step, batch) => {
    if (step === env.TC_KILL_STEP && batch === Number(env.TC_KILL_BATCH)) {
      process.stdout.write('KILLING at ' + step + '#' + batch + '\\n');
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL to oneself is delivered before kill() returns; never go on regardless.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
    }
  },
});
await saver.hot.connect();
const report = await saver.migrate({ now: Number(env.TC_NOW) });
process.stdout.write('FINISHED ' + JSON.stringify(report) + '\\n');
await saver.close();
`,
  );
  return dir;
}

/** Runs the child until it dies; returns its exit signal and output. */
function runChild(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(buildDir, 'child.mjs')], {
      cwd: buildDir,
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not die within 30 s:\n${output}`));
    }, 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}

beforeAll(async () => {
  [stores, buildDir] = await Promise.all([TestStores.create('kill9'), buildLibrary()]);
}, 60_000);
afterAll(async () => {
  await stores?.cleanup();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe('a migrating process killed with SIGKILL at each step', () => {
  let seed = 2000;
  for (const step of STEPS) {
    for (const batchNo of step === 'in-transaction' || step === 'after-commit' ? [1, 2] : [1]) {
      const s = (seed += 1);
      it(`kill -9 at ${step} of batch ${batchNo} (seed ${s}): a fresh migration finishes; nothing lost, duplicated or left`, async () => {
        const clock = new ManualClock(Date.UTC(2026, 2, 1));
        const options = { clock, hotWindowMs: DAY, migrationBatchSize: BATCH_SIZE };
        const saver = await stores.freshSaver(options);
        const prefix = saver.options.keyPrefix;
        const w = new Workload(saver, clock, s);

        // History migrated normally, then late writes to it and new steps on top.
        const history = await w.grow(THREADS, NAMESPACES, 3);
        clock.advance(DAY + HOUR);
        await saver.migrate();
        await w.lateWrites(history, 6);
        await w.grow(THREADS, NAMESPACES, 2, 0.5);
        clock.advance(DAY + HOUR);

        const child = await runChild({
          TC_REDIS_URL: REDIS_URL,
          TC_DATABASE_URL: DATABASE_URL,
          TC_SCHEMA: stores.schema,
          TC_PREFIX: prefix,
          TC_WINDOW_MS: String(DAY),
          TC_COPY_AFTER_MS: String(DAY),
          TC_BATCH_SIZE: String(BATCH_SIZE),
          TC_LEASE_MS: String(CHILD_LEASE_MS),
          TC_NOW: String(clock.now()),
          TC_KILL_STEP: step,
          TC_KILL_BATCH: String(batchNo),
        });
        const died = { signal: child.signal, output: child.output, buildErrors };
        expect(died).toMatchObject({ signal: 'SIGKILL', output: expect.stringContaining(`KILLING at ${step}#${batchNo}\n`) });
        expect(child.output).not.toContain('FINISHED');

        // The dead child's state must read correctly as it is.
        await expectAllReadable(saver, w.model, `after kill -9 at ${step}#${batchNo}:`, { quick: true });
        await w.lateWrites(w.model.all(), 4);

        // The dead migrator still holds the lease until it expires (at most CHILD_LEASE_MS).
        const waitStarted = Date.now();
        let resume = await saver.migrate();
        while (!resume.leaseAcquired) {
          expect(Date.now() - waitStarted).toBeLessThan(CHILD_LEASE_MS + 500);
          await sleep(50);
          resume = await saver.migrate();
        }
        const leaseWaitMs = Date.now() - waitStarted;
        expect(resume.backlogRemaining).toBe(false);
        await expectAllReadable(saver, w.model, `after resume (kill at ${step}#${batchNo}):`, { quick: true });

        clock.advance(2 * DAY);
        await saver.migrate();
        await expectAllReadable(saver, w.model, `after full migration (kill at ${step}#${batchNo}):`);
        await expectColdRows(DATABASE_URL, stores.schema, w.model, `kill at ${step}#${batchNo}`);
        await expectRedisDrained(stores.redis, prefix, w.model, `kill at ${step}#${batchNo}`);
        note(`kill9 ${step}#${batchNo}`, { seed: s, childMs: child.ms, leaseWaitMs, checkpoints: w.model.checkpoints.size, writes: w.model.writeCount, resumeCopied: resume.checkpointsCopied });
      });
    }
  }
});
