#!/usr/bin/env node
/**
 * Time of samples whose stack contains a frame from a module (substring of the script URL),
 * split by the module of the leaf frame: what a library costs including everything it calls.
 *   node bench/tools/under.mjs <file.cpuprofile> <url-substring> [<url-substring> ...]
 */
import { readFileSync } from 'node:fs';
const [file, ...needles] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
for (let i = 0; i < p.samples.length; i += 1) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const mod = (url) => { const i = url.lastIndexOf('/node_modules/'); if (i >= 0) { const r = url.slice(i + 14).split('/'); return r[0].startsWith('@') ? r[0] + '/' + r[1] : r[0]; } return url.includes('/dist/') ? 'dist/' + url.split('/dist/').pop() : url.startsWith('node:') ? 'node:internal' : url || '(native)'; };
for (const needle of needles) {
  let under = 0;
  const leaf = new Map();
  for (const [id, us] of self) {
    let hit = false;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (nodes.get(cur).callFrame.url.includes(needle)) { hit = true; break; }
    if (!hit) continue;
    under += us;
    const m = mod(nodes.get(id).callFrame.url);
    leaf.set(m, (leaf.get(m) ?? 0) + us);
  }
  console.log(`${needle}: ${(under / 1000).toFixed(1)} ms of ${(total / 1000).toFixed(1)} ms (${((100 * under) / total).toFixed(1)}%) — leaf modules: ${[...leaf].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([m, us]) => `${m} ${(us / 1000).toFixed(1)}`).join(', ')}`);
}
