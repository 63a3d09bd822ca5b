import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DATABASE_URL, REDIS_URL, dropRedisPrefixes, uniqueName } from '../support/test-stores.js';

/**
 * The package as a user gets it: `npm run build`, `npm pack`, installed into an empty project
 * (dependencies from the npm cache), imported by plain Node — no TypeScript, no jest.
 */
describe('the built package in a clean project', () => {
  const root = process.cwd();
  const project = mkdtempSync(join(tmpdir(), 'tc-consumer-'));
  const schema = uniqueName('t_pkg').toLowerCase();
  const keyPrefix = uniqueName('tcpkg');

  afterAll(async () => {
    rmSync(project, { recursive: true, force: true });
    await dropRedisPrefixes(keyPrefix);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('installs from its tarball and works through the public entry point only', () => {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
    execFileSync('npm', ['pack', '--pack-destination', project], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], { cwd: project, stdio: 'pipe', timeout: 240_000 });

    writeFileSync(
      join(project, 'check.mjs'),
      `
import 'reflect-metadata';
import * as lib from 'tiered-checkpointer';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';

const options = { redisUrl: ${JSON.stringify(REDIS_URL)}, databaseUrl: ${JSON.stringify(DATABASE_URL)}, schema: ${JSON.stringify(schema)}, keyPrefix: ${JSON.stringify(keyPrefix)} };
const saver = lib.TieredCheckpointSaver.fromConfig(options);
await saver.setup();
const cp = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { n: 1 }, channel_versions: { n: saver.getNextVersion(undefined) } };
const config = await saver.put({ configurable: { thread_id: 'pkg' } }, cp, { source: 'input', step: -1, parents: {} }, cp.channel_versions);
const report = await saver.migrate({ now: Date.now() + 48 * 3600e3 });
const back = await saver.getTuple(config);
await saver.deleteThread('pkg');
await saver.close();

class AppModule {}
Module({ imports: [lib.TieredCheckpointModule.forRoot(options)] })(AppModule);
const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const injected = app.get(lib.TieredCheckpointSaver);
await app.close();

let invalid = '';
try { lib.TieredCheckpointSaver.fromConfig({}); } catch (e) { invalid = e.code; }
console.log(JSON.stringify({ copied: report.checkpointsCopied, value: back.checkpoint.channel_values.n, injected: injected instanceof lib.TieredCheckpointSaver, invalid, exports: Object.keys(lib).length }));
`,
    );
    const out = execFileSync('node', ['check.mjs'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result).toMatchObject({ copied: 1, value: 1, injected: true, invalid: 'INVALID_OPTIONS' });
    expect(result.exports).toBeGreaterThan(10);
  }, 300_000);
});
