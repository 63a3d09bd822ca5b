import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

/**
 * The manifest declares everything the code imports: library and service code from
 * `dependencies` or `peerDependencies`, the demo and tests may also use `devDependencies`.
 */
const root = process.cwd();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined> & { name: string };
const runtime = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
const builtins = new Set(builtinModules);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // A specifier has no whitespace: prose such as "replays from', async" in a test title is skipped.
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^'\s]+)'/g)].map((m) => m[1]);
  return [...new Set(found.map(packageOf).filter((p): p is string => p !== undefined))];
}

describe('package manifest', () => {
  const files = sourceFiles(join(root, 'src'));

  it('declares every package that library and service code imports as a dependency or peer', () => {
    const missing: string[] = [];
    for (const file of files.filter((f) => !f.endsWith('.spec.ts') && !f.includes('/demo/'))) {
      for (const pkg of importsOf(file)) if (!runtime.has(pkg)) missing.push(`${relative(root, file)} imports ${pkg}`);
    }
    expect(missing).toEqual([]);
  });

  it('declares what the demo and the tests import, at least as dev dependencies', () => {
    const testFiles = [...files.filter((f) => f.endsWith('.spec.ts') || f.includes('/demo/')), ...sourceFiles(join(root, 'test'))];
    const missing: string[] = [];
    for (const file of testFiles) {
      // The package's own name: the built-package test imports it from a consumer project.
      for (const pkg of importsOf(file)) if (!runtime.has(pkg) && !dev.has(pkg) && pkg !== '@jest/globals' && pkg !== manifest.name) missing.push(`${relative(root, file)} imports ${pkg}`);
    }
    expect(missing).toEqual([]);
  });

  it('lets the app own NestJS: framework packages are peers, also installed for development', () => {
    for (const pkg of ['@nestjs/common', '@nestjs/core', '@nestjs/schedule', '@nestjs/terminus', '@langchain/langgraph-checkpoint']) {
      expect(manifest.peerDependencies?.[pkg]).toBeDefined();
      expect(manifest.devDependencies?.[pkg]).toBeDefined();
      expect(manifest.dependencies?.[pkg]).toBeUndefined();
    }
  });

  it('exports one ESM entry with type declarations', () => {
    expect(manifest.type).toBe('module');
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' });
  });
});
