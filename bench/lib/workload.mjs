/**
 * The LangGraph-shaped workload every saver runs, and the checks that compare what a saver
 * returns with what was written.
 *
 * A thread is a chat: step i appends one message (HumanMessage on even steps, AIMessage on odd
 * ones, a few hundred bytes each) to the `messages` channel. Each step is what LangGraph's loop
 * does: `putWrites` of the task's writes against the current checkpoint, then `put` of the next
 * checkpoint, whose `messages` value is the whole grown list. Channels:
 *   - messages: every message so far (new version every step)
 *   - route:    'agent' | 'tools' (new version every step)
 *   - profile:  a small object written at step 0 only (later checkpoints reference version 1)
 * Checkpoint ids come from uuid6, channel versions from the saver's own getNextVersion.
 *
 * Everything is generated from a seed, so every saver gets byte-identical payloads.
 */
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { uuid6 } from '@langchain/langgraph-checkpoint';
import { seededRandom } from '../../dist/core/seeded-random.js';

/** The project's seeded PRNG (src/core/seeded-random.ts), so a run replays from its seed. */
export const rng = seededRandom;

const WORDS = (
  'order shipping refund account invoice delivery warehouse tracking number customer support agent ' +
  'please thanks package address update payment card subscription plan upgrade cancel window ' +
  'tomorrow yesterday morning evening status pending confirmed delayed carrier label return ' +
  'policy exchange receipt discount coupon balance credit history profile email phone verify'
).split(' ');

function sentence(random, minChars, maxChars) {
  const target = minChars + Math.floor(random() * (maxChars - minChars));
  let s = '';
  while (s.length < target) {
    const w = WORDS[Math.floor(random() * WORDS.length)];
    s += s.length === 0 ? w[0].toUpperCase() + w.slice(1) : ` ${w}`;
    if (random() < 0.08) s += '.';
  }
  return `${s}.`;
}

/**
 * Messages of one thread, deterministic in (seed, thread index).
 * @param {{ small?: boolean }} options small: short messages (the --million run)
 */
export function threadMessages(seed, threadIndex, steps, { small = false } = {}) {
  const random = rng(seed * 7919 + threadIndex * 104729 + 1);
  const out = [];
  for (let i = 0; i < steps; i += 1) {
    const id = `msg-${threadIndex.toString(36)}-${i}-${Math.floor(random() * 2 ** 31).toString(36)}`;
    if (i % 2 === 0) {
      out.push(new HumanMessage({ id, content: small ? sentence(random, 20, 60) : sentence(random, 150, 300) }));
    } else {
      const input = 40 + Math.floor(random() * 400);
      const output = 20 + Math.floor(random() * 200);
      out.push(
        new AIMessage({
          id,
          content: small ? sentence(random, 20, 60) : sentence(random, 200, 400),
          response_metadata: small ? {} : { model_name: 'gpt-4o-mini', finish_reason: 'stop', system_fingerprint: 'fp_44709d6fcb' },
          usage_metadata: { input_tokens: input, output_tokens: output, total_tokens: input + output },
        }),
      );
    }
  }
  return out;
}

export function profileFor(threadIndex) {
  return {
    userId: `user-${threadIndex}`,
    plan: threadIndex % 3 === 0 ? 'pro' : 'free',
    locale: 'en-US',
    preferences: { tone: 'friendly', channel: 'chat', notifications: threadIndex % 2 === 0 },
    tags: ['returning', 'verified'],
  };
}

/** One thread's payloads, built on demand (deterministic in seed and index). */
export function makeThread(seed, prefix, index, steps, { small = false } = {}) {
  const messages = threadMessages(seed, index, steps, { small });
  return {
    index,
    threadId: `${prefix}-${index}`,
    messages,
    messageJson: messages.map((m) => JSON.stringify(m)),
    profile: profileFor(index),
    profileJson: JSON.stringify(profileFor(index)),
  };
}

/** A set of threads with their payloads. */
export class Dataset {
  /**
   * @param {{ seed: number, prefix: string, threads: number, steps: number, small?: boolean, startIndex?: number }} o
   */
  constructor({ seed, prefix, threads, steps, small = false, startIndex = 0 }) {
    this.seed = seed;
    this.steps = steps;
    this.small = small;
    this.threads = [];
    for (let t = 0; t < threads; t += 1) this.threads.push(makeThread(seed, prefix, startIndex + t, steps, { small }));
  }
}

/** What one saver was given for one thread: per step, the checkpoint id, parent, versions. */
export class ThreadRecord {
  /** @param window keep only the last `window` messages in the messages channel (bounded state; --million) */
  constructor(thread, { window } = {}) {
    this.thread = thread;
    this.window = window;
    this.steps = [];
    this.versions = {};
  }
  get length() {
    return this.steps.length;
  }
  latest() {
    return this.steps[this.steps.length - 1];
  }
}

/** Expected record of one step. */
function expectedStep(record, i, id, parentId, versions, taskId) {
  return { step: i, id, parentId, versions: { ...versions }, taskId, route: i % 2 === 0 ? 'agent' : 'tools' };
}

export const NS = '';

/**
 * Runs step `i` of a thread on a saver: putWrites (the task's writes on the current checkpoint,
 * from step 1 on) then put. Calls `onOp(kind, ms)` with each operation's latency.
 */
export async function runStep(saver, record, i, onOp) {
  const { thread } = record;
  const threadId = thread.threadId;
  const parent = record.steps[i - 1];
  const message = thread.messages[i];
  const route = i % 2 === 0 ? 'agent' : 'tools';
  const taskId = `task-${thread.index}-${i}`;
  if (parent) {
    const cfg = { configurable: { thread_id: threadId, checkpoint_ns: NS, checkpoint_id: parent.id } };
    const t0 = performance.now();
    await saver.putWrites(cfg, [['messages', [message]], ['route', route]], taskId);
    onOp('putWrites', performance.now() - t0);
    parent.writesTaskId = taskId;
  }
  const newVersions = {
    messages: saver.getNextVersion(record.versions.messages),
    route: saver.getNextVersion(record.versions.route),
  };
  if (i === 0) newVersions.profile = saver.getNextVersion(undefined);
  const versions = { ...record.versions, ...newVersions };
  const id = uuid6(-1);
  const checkpoint = {
    v: 4,
    id,
    ts: new Date().toISOString(),
    channel_values: { messages: thread.messages.slice(record.window ? Math.max(0, i + 1 - record.window) : 0, i + 1), route, profile: thread.profile },
    channel_versions: versions,
    versions_seen: {
      __input__: {},
      agent: { messages: record.versions.messages ?? versions.messages },
      tools: { route: record.versions.route ?? versions.route },
    },
  };
  const metadata = { source: i === 0 ? 'input' : 'loop', step: i - 1, parents: {} };
  const cfg = { configurable: { thread_id: threadId, checkpoint_ns: NS, ...(parent ? { checkpoint_id: parent.id } : {}) } };
  const t0 = performance.now();
  await saver.put(cfg, checkpoint, metadata, newVersions);
  onOp('put', performance.now() - t0);
  record.versions = versions;
  record.steps.push(expectedStep(record, i, id, parent?.id, versions, taskId));
}

// ---- checks -------------------------------------------------------------------------------

export class CheckFailure extends Error {}

function fail(what) {
  throw new CheckFailure(what);
}

function sameVersion(a, b) {
  return String(a) === String(b);
}

function checkMessage(actual, expected, expectedJson, deep, where) {
  if (!actual || actual.id !== expected.id) fail(`${where}: message id ${actual?.id} != ${expected.id}`);
  if (actual.content !== expected.content) fail(`${where}: message ${expected.id} content differs`);
  if (actual.type !== expected.type) fail(`${where}: message ${expected.id} type ${actual.type} != ${expected.type}`);
  if (deep && JSON.stringify(actual) !== expectedJson) fail(`${where}: message ${expected.id} serializes differently`);
}

/**
 * Compares a tuple with what was written for `exp` (a step record of `record`).
 * `deep`: also compare full serialized forms (messages, profile, versions_seen).
 * Returns nothing; throws CheckFailure.
 */
export function checkTuple(tuple, record, exp, { deep = false, where = '' } = {}) {
  const { thread } = record;
  if (!tuple) fail(`${where}: no tuple for checkpoint ${exp.id}`);
  const id = tuple.config?.configurable?.checkpoint_id;
  if (id !== exp.id) fail(`${where}: checkpoint id ${id} != ${exp.id} (step ${exp.step})`);
  if (tuple.config.configurable.thread_id !== thread.threadId) fail(`${where}: thread ${tuple.config.configurable.thread_id}`);
  const cp = tuple.checkpoint;
  if (cp.id !== exp.id) fail(`${where}: checkpoint.id ${cp.id} != ${exp.id}`);
  const parent = tuple.parentConfig?.configurable?.checkpoint_id;
  if (parent !== exp.parentId) fail(`${where}: parent ${parent} != ${exp.parentId}`);
  const expKeys = Object.keys(exp.versions);
  for (const k of expKeys) {
    if (!sameVersion(cp.channel_versions?.[k], exp.versions[k])) fail(`${where}: channel_versions.${k} ${cp.channel_versions?.[k]} != ${exp.versions[k]}`);
  }
  if (Object.keys(cp.channel_versions ?? {}).length !== expKeys.length) fail(`${where}: channel_versions has extra channels`);
  const values = cp.channel_values ?? {};
  const msgs = values.messages;
  const first = record.window ? Math.max(0, exp.step + 1 - record.window) : 0;
  if (!Array.isArray(msgs) || msgs.length !== exp.step + 1 - first) fail(`${where}: messages length ${msgs?.length} != ${exp.step + 1 - first}`);
  for (let j = 0; j < msgs.length; j += 1) checkMessage(msgs[j], thread.messages[first + j], thread.messageJson[first + j], deep, `${where} messages[${j}]`);
  if (values.route !== exp.route) fail(`${where}: route ${values.route} != ${exp.route}`);
  if (!values.profile || values.profile.userId !== thread.profile.userId) fail(`${where}: profile ${JSON.stringify(values.profile)?.slice(0, 80)}`);
  if (deep && JSON.stringify(values.profile) !== thread.profileJson) fail(`${where}: profile differs`);
  const md = tuple.metadata ?? {};
  if (md.step !== exp.step - 1 || md.source !== (exp.step === 0 ? 'input' : 'loop')) fail(`${where}: metadata ${JSON.stringify(md)}`);
  // Pending writes: the writes of step+1 were put against this checkpoint.
  const writes = tuple.pendingWrites ?? [];
  if (exp.writesTaskId === undefined) {
    if (writes.length !== 0) fail(`${where}: ${writes.length} pending writes where none were put`);
  } else {
    const taskId = exp.writesTaskId;
    if (writes.length !== 2) fail(`${where}: ${writes.length} pending writes, expected 2`);
    const [w0, w1] = writes;
    if (w0[0] !== taskId || w0[1] !== 'messages' || !Array.isArray(w0[2]) || w0[2].length !== 1) fail(`${where}: pending write 0 ${JSON.stringify(w0).slice(0, 120)}`);
    checkMessage(w0[2][0], thread.messages[exp.step + 1], thread.messageJson[exp.step + 1], deep, `${where} pendingWrites[0]`);
    if (w1[0] !== taskId || w1[1] !== 'route' || w1[2] !== (exp.step % 2 === 0 ? 'tools' : 'agent')) fail(`${where}: pending write 1 ${JSON.stringify(w1)}`);
  }
  if (deep) {
    const vs = cp.versions_seen ?? {};
    const prev = record.steps[exp.step - 1];
    const expAgent = prev ? prev.versions.messages : exp.versions.messages;
    if (!sameVersion(vs.agent?.messages, expAgent)) fail(`${where}: versions_seen.agent.messages ${vs.agent?.messages} != ${expAgent}`);
  }
}

/** Checks a `list` page: newest first, exactly the expected steps. */
export function checkList(tuples, record, expectedSteps, opts = {}) {
  if (tuples.length !== expectedSteps.length) fail(`${opts.where}: list returned ${tuples.length}, expected ${expectedSteps.length}`);
  for (let k = 0; k < tuples.length; k += 1) checkTuple(tuples[k], record, expectedSteps[k], { ...opts, where: `${opts.where} [${k}]` });
}

export async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}
