/**
 * The measured workload: a real LangGraph `StateGraph` over `MessagesAnnotation` — an agent that
 * calls a tool `toolCallsPerTurn` times per turn and then answers. Each turn is one `invoke`
 * (LangGraph reads the latest checkpoint, then per super-step writes the task's pending writes
 * and a new checkpoint whose `messages` channel holds the whole, growing conversation).
 * `durability: "sync"` makes every step wait for its checkpoint, as a PostgreSQL-only deployment
 * that must not lose steps would.
 *
 * Content is deterministic pseudo-English (seeded from the thread id and message position), so
 * two savers receive byte-identical checkpoints and TOAST/pglz compression behaves roughly like
 * it does on prose.
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { SizeMixEntry, WorkloadProfile } from '../../src/cost/measurement.js';
import { seededRandom } from '../../src/core/seeded-random.js';

const WORDS = (
  'the a to of and in is for that your with on this you it be are we can as not have or from will ' +
  'account order refund invoice shipping delivery address payment card subscription plan upgrade ' +
  'password login error message support ticket customer agent reply update status tracking number ' +
  'please thanks help issue problem resolved pending review policy days business return item product ' +
  'warranty replacement discount code price total tax receipt email phone chat hours team escalate ' +
  'manager note history previous request change cancel confirm details information verify identity ' +
  'settings profile notification device browser cache reset link expired session timeout network ' +
  'server response data export report dashboard usage limit quota billing cycle renewal trial'
).split(' ');

export const rng = seededRandom;

export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i += 1) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Pseudo-English text of exactly `bytes` ASCII characters. */
export function prose(rand: () => number, bytes: number): string {
  let out = '';
  let sentence = 0;
  while (out.length < bytes) {
    let w = WORDS[Math.floor(rand() * WORDS.length)]!;
    if (sentence === 0) w = w[0]!.toUpperCase() + w.slice(1);
    sentence += 1;
    out += w;
    if (sentence > 6 && rand() < 0.15) {
      out += '. ';
      sentence = 0;
    } else out += ' ';
  }
  return out.slice(0, bytes);
}

function pick(rand: () => number, mix: SizeMixEntry[]): number {
  const totalWeight = mix.reduce((s, e) => s + e.weight, 0);
  let r = rand() * totalWeight;
  for (const e of mix) {
    r -= e.weight;
    if (r <= 0) return e.bytes;
  }
  return mix[mix.length - 1]!.bytes;
}

type State = typeof MessagesAnnotation.State;

function seeded(profile: WorkloadProfile, config: RunnableConfig | undefined, n: number, role: string): () => number {
  return rng(hashString(`${profile.seed}:${String(config?.configurable?.thread_id)}:${n}:${role}`));
}

/** The agent graph of one profile, compiled with `checkpointer`. */
export function buildWorkloadGraph(profile: WorkloadProfile, checkpointer: BaseCheckpointSaver) {
  const toolResultsSinceHuman = (messages: BaseMessage[]) => {
    let n = 0;
    for (let i = messages.length - 1; i >= 0; i -= 1) {
      const m = messages[i]!;
      if (HumanMessage.isInstance(m)) break;
      if (ToolMessage.isInstance(m)) n += 1;
    }
    return n;
  };
  const agent = async (state: State, config?: RunnableConfig) => {
    const n = state.messages.length;
    if (toolResultsSinceHuman(state.messages) < profile.toolCallsPerTurn) {
      const rand = seeded(profile, config, n, 'call');
      return {
        messages: [
          new AIMessage({
            id: `ai-${n}`,
            content: '',
            tool_calls: [{ id: `call-${n}`, name: 'search_knowledge_base', args: { query: prose(rand, 60), top_k: 3 }, type: 'tool_call' }],
          }),
        ],
      };
    }
    const rand = seeded(profile, config, n, 'answer');
    return { messages: [new AIMessage({ id: `ai-${n}`, content: prose(rand, pick(rand, profile.messageBytes.answer)) })] };
  };
  const tools = async (state: State, config?: RunnableConfig) => {
    const n = state.messages.length;
    const last = state.messages[n - 1] as AIMessage;
    const rand = seeded(profile, config, n, 'tool');
    return {
      messages: (last.tool_calls ?? []).map(
        (call) => new ToolMessage({ id: `tool-${n}`, tool_call_id: call.id!, name: call.name, content: prose(rand, pick(rand, profile.messageBytes.toolResult)) }),
      ),
    };
  };
  const route = (state: State) => {
    const last = state.messages[state.messages.length - 1] as AIMessage;
    return (last.tool_calls?.length ?? 0) > 0 ? 'tools' : END;
  };
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', agent)
    .addNode('tools', tools)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', route, ['tools', END])
    .addEdge('tools', 'agent')
    .compile({ checkpointer });
}

/** Saver calls the workload made (counted on the saver instance). */
export interface WorkloadCounts {
  puts: number;
  putWritesCalls: number;
  writes: number;
  getTuples: number;
  turns: number;
  /** Messages in the last thread's state at the end. */
  messagesPerThread: number;
}

/** Counts put / putWrites / getTuple on a saver instance (own properties shadow the class methods). */
export function countSaverCalls(saver: BaseCheckpointSaver): { counts: () => Omit<WorkloadCounts, 'turns' | 'messagesPerThread'>; restore: () => void } {
  const c = { puts: 0, putWritesCalls: 0, writes: 0, getTuples: 0 };
  const target = saver as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = { put: target.put!, putWrites: target.putWrites!, getTuple: target.getTuple! };
  target.put = (...args) => {
    c.puts += 1;
    return originals.put.apply(saver, args);
  };
  target.putWrites = (...args) => {
    c.putWritesCalls += 1;
    c.writes += (args[1] as unknown[]).length;
    return originals.putWrites.apply(saver, args);
  };
  target.getTuple = (...args) => {
    c.getTuples += 1;
    return originals.getTuple.apply(saver, args);
  };
  return {
    counts: () => ({ ...c }),
    restore: () => {
      delete target.put;
      delete target.putWrites;
      delete target.getTuple;
    },
  };
}

/** Thread id of thread `i` (the same for both savers, so they store the same content). */
export function threadId(i: number): string {
  return `cost-thread-${String(i).padStart(4, '0')}`;
}

/**
 * Runs every thread's turns on `saver`, `concurrency` threads at a time. `onTurn` is called after
 * each turn (for progress).
 */
export async function runWorkload(saver: BaseCheckpointSaver, profile: WorkloadProfile, onTurn: (done: number, total: number) => void): Promise<WorkloadCounts> {
  const graph = buildWorkloadGraph(profile, saver);
  const counter = countSaverCalls(saver);
  const total = profile.threads * profile.turnsPerThread;
  let done = 0;
  let next = 0;
  let messagesPerThread = 0;
  const worker = async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= profile.threads) return;
      const config = { configurable: { thread_id: threadId(i) } };
      // Message count known from the previous turn's result: no extra read that a real app would not make.
      let n = 0;
      for (let turn = 0; turn < profile.turnsPerThread; turn += 1) {
        const rand = rng(hashString(`${profile.seed}:${threadId(i)}:${n}:human`));
        const result = await graph.invoke(
          { messages: [new HumanMessage({ id: `human-${n}`, content: prose(rand, pick(rand, profile.messageBytes.human)) })] },
          { ...config, durability: 'sync' },
        );
        n = result.messages.length;
        messagesPerThread = n;
        done += 1;
        onTurn(done, total);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(profile.concurrency, profile.threads) }, worker));
  } finally {
    counter.restore();
  }
  return { ...counter.counts(), turns: total, messagesPerThread };
}
