#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof` or bench/profile.mjs): where the time
 * goes by module (package / dist file / node internals / GC / idle = waiting on I/O), the top
 * functions by self time, and inclusive time of the functions that matter for a saver.
 *
 *   node bench/tools/cpuprofile-summary.mjs <file.cpuprofile> [--top 25] [--focus name,name]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

function moduleOf(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle: waiting on I/O)';
    if (functionName === '(program)') return '(program: native/VM)';
    return '(native)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0 && !url.includes('/node_modules/')) return `dist/${url.slice(dist + 6)}`;
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return `bench/${url.slice(bench + 7)}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

/** @returns {{ totalMs, byModule: Array<[string, number]>, topSelf: Array<object>, inclusive: Array<object> }} */
export function summarize(profile, { top = 25, focus = [] } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // self time per node from samples/timeDeltas (µs)
  const self = new Map();
  if (profile.samples && profile.timeDeltas) {
    for (let i = 0; i < profile.samples.length; i += 1) {
      const dt = profile.timeDeltas[i + 1] ?? 0;
      self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
    }
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const byModule = new Map();
  const byFn = new Map();
  const inclusive = new Map();
  const keyOf = (n) => `${n.callFrame.functionName || '(anonymous)'} ${moduleOf(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;
  for (const [id, us] of self) {
    const n = nodes.get(id);
    const mod = moduleOf(n.callFrame.url, n.callFrame.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
    const k = keyOf(n);
    byFn.set(k, (byFn.get(k) ?? 0) + us);
    // inclusive: every distinct function on the stack gets the sample once
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cn = nodes.get(cur);
      const name = cn.callFrame.functionName;
      if (!name || seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  const ms = (us) => Math.round(us / 100) / 10;
  const pct = (us) => Math.round((1000 * us) / totalUs) / 10;
  return {
    totalMs: ms(totalUs),
    byModule: [...byModule].sort((a, b) => b[1] - a[1]).map(([m, us]) => ({ module: m, ms: ms(us), pct: pct(us) })),
    topSelf: [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, us]) => ({ fn: f, ms: ms(us), pct: pct(us) })),
    inclusive: (focus.length > 0 ? focus.map((f) => [f, inclusive.get(f) ?? 0]) : [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)).map(([f, us]) => ({ fn: f, ms: ms(us), pct: pct(us) })),
  };
}

export function printSummary(s, log = console.log) {
  log(`profile: ${s.totalMs} ms sampled`);
  log('by module (self time):');
  for (const m of s.byModule.slice(0, 20)) log(`  ${String(m.pct).padStart(5)}%  ${String(m.ms).padStart(8)} ms  ${m.module}`);
  log('top functions (self time):');
  for (const f of s.topSelf) log(`  ${String(f.pct).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.fn}`);
  log('inclusive time:');
  for (const f of s.inclusive) log(`  ${String(f.pct).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.fn}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, focus: { type: 'string' } }, allowPositionals: true });
  for (const file of positionals) {
    printSummary(summarize(JSON.parse(readFileSync(file, 'utf8')), { top: Number(values.top), focus: values.focus ? values.focus.split(',') : [] }));
  }
}
