#!/usr/bin/env node
/**
 * Micro-measurements that split the tiered saver's cost from the raw Redis floor's, one piece at
 * a time, on the bench workload (client CPU via process.cpuUsage; wall includes the round trip):
 *   - serialization only: TupleCodec.encodePut vs one serde.dumpsTyped of the whole checkpoint
 *   - Redis write only, payload pre-encoded: HotTierStore.putCheckpoint / putWrites vs SET+ZADD / HSET
 *   - Redis read only: getTuples of 12 ids (12 scripts) and listPage (one script) vs the floor's LIST script; with and without decoding
 *   - deserialization only: TupleCodec.decodeHot vs the floor's decode, same 12 checkpoints
 *
 *   npm run build && node bench/tools/micro.mjs
 */
import { uuid6 } from '@langchain/langgraph-checkpoint';
import { Dataset, ThreadRecord, runStep } from '../lib/workload.mjs';
import { Savers } from '../lib/savers.mjs';

const N = Number(process.argv[2] ?? 1000);
const savers = await Savers.create(['tiered', 'raw-redis']);
const T = savers.get('tiered').saver;
const R = savers.get('raw-redis').saver;
try {
  const ds = new Dataset({ seed: 1, prefix: 'micro', threads: 1, steps: 12, startIndex: 8000 });
  const thread = ds.threads[0];
  const captured = [];
  const capture = { getNextVersion: (v) => T.getNextVersion(v), putWrites: async () => {}, put: async (cfg, cp, md, nv) => void captured.push([cfg, cp, md, nv]) };
  const cap = new ThreadRecord(thread);
  for (let i = 0; i < 12; i += 1) await runStep(capture, cap, i, () => {});

  async function time(label, fn, n = N) {
    // warm-up: at least 2000 calls and 2 s, so JIT and inline caches settle before the clock
    // starts (a cold first measurement reads 2-3x too high)
    const warmUntil = performance.now() + 2000;
    for (let i = 0; i < 2000 || performance.now() < warmUntil; i += 1) await fn(i);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1) await fn(i);
    const c = process.cpuUsage(c0);
    console.log(`${label.padEnd(72)} ${((c.user + c.system) / 1000 / n).toFixed(4)} ms CPU/op  ${((performance.now() - t0) / n).toFixed(4)} ms wall/op`);
  }

  console.log('-- serialization of one put (average over the 12 steps of a thread)');
  await time('floor: one dumpsTyped({ checkpoint, metadata, parentId })', async (i) => {
    const [cfg, cp, md] = captured[i % 12];
    await R.serde.dumpsTyped({ checkpoint: cp, metadata: md, parentId: cfg.configurable.checkpoint_id ?? null });
  });

  await time('tiered TupleCodec.encodePut', async (i) => {
    const [cfg, cp, md, nv] = captured[i % 12];
    await T.codec.encodePut({ threadId: 't', checkpointNs: '', checkpointId: cp.id }, cfg.configurable.checkpoint_id, cp, md, nv);
  });
  console.log('-- Redis write of one put / putWrites, payload already encoded');
  const encoded = await Promise.all(captured.map(([cfg, cp, md, nv]) => T.codec.encodePut({ threadId: 'x', checkpointNs: '', checkpointId: cp.id }, cfg.configurable.checkpoint_id, cp, md, nv)));
  const rawVals = await Promise.all(captured.map(([cfg, cp, md]) => R.serde.dumpsTyped({ checkpoint: cp, metadata: md, parentId: cfg.configurable.checkpoint_id ?? null })));
  await time('tiered HotTierStore.putCheckpoint (one script, global index inside)', async (i) => T.hot.putCheckpoint({ ...encoded[i % 12], threadId: `micro-w${i % 50}`, checkpointId: uuid6(-1) }, Date.now()));
  await time('floor: SET + ZADD (same serialized bytes)', async (i) => {
    const base = R.base(`micro-w${i % 50}`, '');
    const id = uuid6(-1);
    await Promise.all([R.client.set(`${base}cp:${id}`, Buffer.from(rawVals[i % 12][1])), R.client.zadd(`${base}idx`, 0, id)]);
  });
  const writes = await T.codec.encodeWrites([['messages', [thread.messages[3]]], ['route', 'agent']], 'task-x', '');
  await time('tiered HotTierStore.putWrites (one script, global index inside)', async (i) => T.hot.putWrites({ threadId: `micro-w${i % 50}`, checkpointNs: '', checkpointId: captured[i % 12][1].id }, writes, Date.now()));
  await time('floor: HSET of the two writes', async (i) =>
    R.client.hset(`${R.base(`micro-w${i % 50}`, '')}w:${captured[i % 12][1].id}`, 'task-x\u00000', Buffer.from(writes[0].bytes), 'task-x\u00001', Buffer.from(writes[1].bytes)),
  );
  await time('PING (one round trip)', async () => R.client.ping());

  console.log('-- reading the 12 checkpoints of a thread (what list(10)+2 reads need)');
  const rt = new ThreadRecord(thread);
  const rr = new ThreadRecord(thread);
  for (let i = 0; i < 12; i += 1) {
    await runStep(T, rt, i, () => {});
    await runStep(R, rr, i, () => {});
  }
  const tid = thread.threadId;
  const ids = rt.steps.map((s) => s.id);
  const base = R.base(tid, '');
  const k = T.hot.keys;
  const keys = [k.index(tid, ''), k.blobs(tid, ''), k.coldMax(tid)];
  await time('tiered HotTierStore.getTuples(12 ids): 12 scripts + reply decoding', async () => T.hot.getTuples(tid, '', ids), N / 4);
  await time('tiered HotTierStore.listPage(12): one LIST_PAGE script + reply decoding (what list uses)', async () => T.hot.listPage(tid, '', undefined, 12), N / 4);
  await time('tiered 12 GET_TUPLE scripts, no decoding', async () => Promise.all(ids.map((id) => T.hot.client.tcGetTupleBuffer(3, ...keys, k.threadBase(tid), '', '', id))), N / 4);
  await time('tiered 12 GET_TUPLE scripts in one pipeline, no decoding', async () => {
    const p = T.hot.client.pipeline();
    for (const id of ids) p.tcGetTupleBuffer(3, ...keys, k.threadBase(tid), '', '', id);
    await p.exec();
  }, N / 4);
  await time('floor: one LIST script for 12 checkpoints + writes', async () => R.client.rawListBuffer(`${base}idx`, base, '+', '100'), N / 4);
  const lookups = await T.hot.getTuples(tid, '', ids);
  const rawReplies = await R.client.rawListBuffer(`${base}idx`, base, '+', '100');
  await time('tiered TupleCodec.decodeHot x12 (serde only)', async () => {
    for (let i = 0; i < 12; i += 1) await T.codec.decodeHot({ threadId: tid, checkpointNs: '', checkpointId: ids[i] }, lookups[i].checkpoint, lookups[i].writes, []);
  }, N / 4);
  await time('floor: decode x12 (serde only)', async () => {
    for (const [id, v, w] of rawReplies) await R.decode(tid, '', id.toString(), v, w);
  }, N / 4);
} finally {
  await savers.cleanup();
}
