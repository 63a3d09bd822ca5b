#!/usr/bin/env node
/** Prints the heaviest call stacks leading to a function in a .cpuprofile: node bench/tools/callers.mjs <file> <functionName> [depth] */
import { readFileSync } from 'node:fs';
const [file, fn, depthArg] = process.argv.slice(2);
const depth = Number(depthArg ?? 6);
const p = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
for (let i = 0; i < p.samples.length; i += 1) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
const stacks = new Map();
const short = (n) => `${n.callFrame.functionName || '(anon)'}@${(n.callFrame.url.split('/node_modules/').pop() || n.callFrame.url).split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
for (const [id, us] of self) {
  if (nodes.get(id).callFrame.functionName !== fn) continue;
  const chain = [];
  for (let cur = parent.get(id); cur !== undefined && chain.length < depth; cur = parent.get(cur)) chain.push(short(nodes.get(cur)));
  const k = chain.join(' < ');
  stacks.set(k, (stacks.get(k) ?? 0) + us);
}
for (const [k, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${(us / 1000).toFixed(1).padStart(8)} ms  ${fn} < ${k}`);
