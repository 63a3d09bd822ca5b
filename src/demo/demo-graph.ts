/**
 * The demo's LangGraph graph and the script it runs, usable with any checkpointer.
 *
 * A small "support agent": `classify` → `draft` → `review` → `send`, where `review` pauses the
 * run with `interrupt()` until a human approves (or rejects, which loops back to `draft`). No
 * LLM: every node is deterministic, so two runs of {@link runDemoScript} against different
 * checkpointers must produce the same states and the same histories — that is what the e2e test
 * compares between the tiered saver and `MemorySaver`.
 *
 * Not part of the library API (like `src/service`): it imports `@langchain/langgraph` and
 * `@langchain/core`, which the library itself does not depend on at run time.
 */
import { AIMessage, BaseMessage, HumanMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver, CheckpointPendingWrite } from '@langchain/langgraph-checkpoint';
import { Annotation, Command, END, interrupt, MessagesAnnotation, START, StateGraph, type StateSnapshot } from '@langchain/langgraph';

/** The graph's state: the conversation plus a few scalar fields. */
export const SupportState = Annotation.Root({
  ...MessagesAnnotation.spec,
  /** Ticket category chosen by `classify`. */
  category: Annotation<string>(),
  /** The reply `draft` wrote and `review` judges. */
  reply: Annotation<string>(),
  /** How many drafts were written for the current question (reset by `classify`). */
  revision: Annotation<number>(),
  /** Reviewer's note from a rejection, used by the next draft. */
  reviewNote: Annotation<string | null>(),
  /** Who approved the reply that was sent. */
  approvedBy: Annotation<string | null>(),
  /** Replies sent on this thread. */
  sentCount: Annotation<number>(),
});

export type SupportStateType = typeof SupportState.State;

/** What `review` asks the human, and what the human answers through `Command({ resume })`. */
export interface ReviewRequest {
  question: string;
  category: string;
  draft: string;
  revision: number;
}
export interface ReviewDecision {
  approved: boolean;
  reviewer: string;
  note?: string;
}

/**
 * Message ids derived from the conversation position: `messagesStateReducer` gives id-less
 * messages random ids, which would make two otherwise identical runs differ.
 */
function nextId(state: SupportStateType, role: string): string {
  return `${role}-${state.messages.length}`;
}

function lastHumanText(state: SupportStateType): string {
  for (let i = state.messages.length - 1; i >= 0; i -= 1) {
    const m = state.messages[i]!;
    if (m.getType() === 'human') return String(m.content);
  }
  return '';
}

/** Keyword rules instead of a model. */
export function classifyText(text: string): string {
  const t = text.toLowerCase();
  if (/(refund|charge|invoice|bill)/.test(t)) return 'billing';
  if (/(error|crash|bug|fails?)/.test(t)) return 'technical';
  return 'general';
}

const TEMPLATES: Record<string, string> = {
  billing: 'We are sorry about the billing problem; a refund has been requested and will arrive in 3-5 business days.',
  technical: 'Thanks for the report; our engineers reproduced the error and a fix ships in the next release.',
  general: 'Thanks for reaching out; here is the information you asked for.',
};

/**
 * Builds the (uncompiled) graph. Compile it with the checkpointer under test:
 * `buildDemoGraph().compile({ checkpointer })`.
 */
export function buildDemoGraph() {
  return new StateGraph(SupportState)
    .addNode('classify', (state) => {
      const category = classifyText(lastHumanText(state));
      return {
        category,
        revision: 0,
        reviewNote: null,
        approvedBy: null,
        messages: [new AIMessage({ id: nextId(state, 'ai'), content: `Classified as ${category}.`, name: 'classify' })],
      };
    })
    .addNode('draft', (state) => {
      const revision = (state.revision ?? 0) + 1;
      const base = TEMPLATES[state.category] ?? TEMPLATES.general!;
      const draft = state.reviewNote ? `${base} (${state.reviewNote})` : base;
      return { reply: draft, revision, messages: [new AIMessage({ id: nextId(state, 'ai'), content: `Draft v${revision}: ${draft}`, name: 'draft' })] };
    })
    .addNode(
      'review',
      // Typed by hand: with the `ends` option the overloads no longer infer the state type.
      (state: SupportStateType) => {
        const request: ReviewRequest = { question: 'Approve this reply?', category: state.category, draft: state.reply, revision: state.revision };
        const decision = interrupt<ReviewRequest, ReviewDecision>(request);
        if (decision.approved) {
          return new Command({
            goto: 'send',
            update: { approvedBy: decision.reviewer, reviewNote: null, messages: [new HumanMessage({ id: nextId(state, 'review'), content: `Approved by ${decision.reviewer}.`, name: 'reviewer' })] },
          });
        }
        const note = decision.note ?? 'please revise';
        return new Command({
          goto: 'draft',
          update: { reviewNote: note, messages: [new HumanMessage({ id: nextId(state, 'review'), content: `Rejected by ${decision.reviewer}: ${note}`, name: 'reviewer' })] },
        });
      },
      { ends: ['send', 'draft'] },
    )
    .addNode('send', (state) => ({
      sentCount: (state.sentCount ?? 0) + 1,
      messages: [new AIMessage({ id: nextId(state, 'ai'), content: `Sent: ${state.reply}`, name: 'send' })],
    }))
    .addEdge(START, 'classify')
    .addEdge('classify', 'draft')
    .addEdge('draft', 'review')
    .addEdge('send', END);
}

/** Hooks the caller gets between phases of the script. */
export interface DemoHooks {
  /** Called after each phase; the tiered run advances its clock and migrates here. */
  afterPhase?(phase: DemoPhase): Promise<void> | void;
  /** Progress lines, for the demo's output. */
  log?(line: string): void;
}

/** The phases of {@link runDemoScript}, in order. */
export const DEMO_PHASES = ['opened', 'resumed', 'follow-up'] as const;
export type DemoPhase = (typeof DEMO_PHASES)[number];

/** The thread ids the script uses. */
export const DEMO_THREADS = ['billing-1', 'tech-1', 'general-1'] as const;
export type DemoThread = (typeof DEMO_THREADS)[number];

/** A message reduced to what identifies it; `className` shows that the checkpointer revived a real message class. */
export interface PlainMessage {
  type: string;
  className: string;
  id?: string;
  name?: string;
  content: unknown;
}

/** One `getStateHistory` entry with checkpoint ids replaced by their position in the thread. */
export interface ComparableSnapshot {
  /** `cp<n>`: n-th checkpoint of the thread, oldest first. */
  checkpoint: string;
  parent: string | null;
  values: Record<string, unknown>;
  next: string[];
  step: number | undefined;
  source: string | undefined;
  /** The whole metadata, ids normalized. */
  metadata: unknown;
  tasks: Array<{ name: string; interrupts: unknown[]; result?: unknown; error?: string }>;
  /**
   * The checkpoint's pending writes as the checkpointer returns them (`list`), in its order;
   * task ids become `task<n>` by first appearance (they derive from checkpoint ids).
   */
  pendingWrites: Array<[string, string, unknown]>;
}

/** Per thread: the final state and the whole history (newest first, as LangGraph lists it). */
export interface ThreadResult {
  threadId: DemoThread;
  finalValues: Record<string, unknown>;
  finalNext: string[];
  history: ComparableSnapshot[];
  /** Raw checkpoint ids, newest first (not comparable between runs; for the demo's output). */
  checkpointIds: string[];
}

/** What {@link runDemoScript} returns. */
export interface DemoResult {
  threads: ThreadResult[];
  /** The return value of every invoke, in order, normalized (interrupt payloads included). */
  transcript: Array<{ phase: DemoPhase; thread: DemoThread; action: string; output: unknown }>;
}

const threadConfig = (threadId: string): RunnableConfig => ({ configurable: { thread_id: threadId } });

/** Turns LangChain messages into plain objects; everything else is copied structurally. */
export function toPlain(value: unknown): unknown {
  if (value instanceof BaseMessage) {
    return { type: value.getType(), className: value.constructor.name, id: value.id, name: value.name, content: toPlain(value.content) } satisfies PlainMessage;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Command) return { command: toPlain({ resume: value.resume, update: value.update, goto: value.goto }) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Interrupt ids are hashes of task ids, which derive from checkpoint ids: not comparable.
      if (k === 'id' && 'value' in value && Object.keys(value).every((key) => ['id', 'value', 'when', 'resumable', 'ns'].includes(key))) continue;
      if (v !== undefined) out[k] = toPlain(v);
    }
    return out;
  }
  return value;
}

function replaceIds(value: unknown, labels: Map<string, string>): unknown {
  if (typeof value === 'string') return labels.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => replaceIds(v, labels));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceIds(v, labels)]));
  return value;
}

async function collectThread(graph: DemoGraph, checkpointer: BaseCheckpointSaver, threadId: DemoThread): Promise<ThreadResult> {
  const snapshots: StateSnapshot[] = [];
  for await (const s of graph.getStateHistory(threadConfig(threadId))) snapshots.push(s);
  const writesById = new Map<string, CheckpointPendingWrite[]>();
  for await (const t of checkpointer.list(threadConfig(threadId))) writesById.set(t.config.configurable?.checkpoint_id as string, t.pendingWrites ?? []);
  const taskLabels = new Map<string, string>();
  const taskLabel = (id: string) => {
    if (!taskLabels.has(id)) taskLabels.set(id, `task${taskLabels.size}`);
    return taskLabels.get(id)!;
  };
  const ids = snapshots.map((s) => s.config.configurable?.checkpoint_id as string);
  // Oldest first = position 0, so appending checkpoints never renames earlier ones.
  const labels = new Map(ids.map((id, i) => [id, `cp${ids.length - 1 - i}`]));
  const history = snapshots.map((s): ComparableSnapshot => {
    const parentId = s.parentConfig?.configurable?.checkpoint_id as string | undefined;
    return {
      checkpoint: labels.get(s.config.configurable?.checkpoint_id as string)!,
      parent: parentId === undefined ? null : (labels.get(parentId) ?? `unknown:${parentId}`),
      values: toPlain(s.values) as Record<string, unknown>,
      next: [...s.next],
      step: s.metadata?.step,
      source: s.metadata?.source,
      metadata: replaceIds(toPlain(s.metadata), labels),
      tasks: s.tasks.map((t) => ({
        name: t.name,
        interrupts: toPlain(t.interrupts) as unknown[],
        ...(t.result !== undefined ? { result: toPlain(t.result) } : {}),
        ...(t.error ? { error: String(t.error) } : {}),
      })),
      pendingWrites: (writesById.get(s.config.configurable?.checkpoint_id as string) ?? []).map(([taskId, channel, value]) => [taskLabel(taskId), channel, toPlain(value)]),
    };
  });
  const final = await graph.getState(threadConfig(threadId));
  return { threadId, finalValues: toPlain(final.values) as Record<string, unknown>, finalNext: [...final.next], history, checkpointIds: ids };
}

type DemoGraph = ReturnType<ReturnType<typeof buildDemoGraph>['compile']>;

/**
 * Runs the demo script against `checkpointer`, in three phases, calling `hooks.afterPhase`
 * after each:
 *
 * 1. `opened` — three tickets arrive. `billing-1` stops at review; `tech-1` is rejected once,
 *    redrafted and stops at review again; `general-1` is approved and sent.
 * 2. `resumed` — (the tiered run has moved everything to PostgreSQL by now) `billing-1` and
 *    `tech-1` are approved with `Command({ resume })`, so each resumes from an interrupt whose
 *    checkpoint and pending writes live in the cold tier; `general-1` is time-travelled: from
 *    its history, the checkpoint right after `classify` is forked with `updateState` (category
 *    changed to billing) and the fork is run to its review.
 * 3. `follow-up` — the fork of `general-1` is approved; `billing-1` gets a second question,
 *    drafted, approved and sent; `tech-1` is replayed from an older checkpoint (its first
 *    review). That review already completed (rejected), so LangGraph does not ask again: it
 *    re-applies the recorded rejection, the resume value given is only stored as a new pending
 *    write on that old (by now cold) checkpoint, and the replayed branch stops at a new review,
 *    which is then approved. Same semantics on every checkpointer — which is the point.
 *
 * Returns every thread's final state and full history in a form two runs can compare.
 */
export async function runDemoScript(checkpointer: BaseCheckpointSaver, hooks: DemoHooks = {}): Promise<DemoResult> {
  const graph = buildDemoGraph().compile({ checkpointer });
  const transcript: DemoResult['transcript'] = [];
  const log = hooks.log ?? (() => undefined);
  let phase: DemoPhase = 'opened';

  const run = async (thread: DemoThread, action: string, input: unknown, config: RunnableConfig = threadConfig(thread)): Promise<unknown> => {
    const output = await graph.invoke(input as never, config);
    const plain = toPlain(output);
    transcript.push({ phase, thread, action, output: plain });
    const state = await graph.getState(threadConfig(thread));
    log(`  [${thread}] ${action} -> next: ${state.next.length > 0 ? state.next.join(', ') : '(done)'}`);
    return output;
  };
  const ask = (thread: DemoThread, id: string, text: string) => run(thread, `ask "${text}"`, { messages: [new HumanMessage({ id, content: text })] });
  const decide = (thread: DemoThread, decision: ReviewDecision, config?: RunnableConfig) =>
    run(thread, decision.approved ? `approve (${decision.reviewer})` : `reject (${decision.reviewer}: ${decision.note})`, new Command({ resume: decision }), config);
  const endPhase = async () => {
    await hooks.afterPhase?.(phase);
  };

  // ---- phase 1 -------------------------------------------------------------------------------
  await ask('billing-1', 'user-0', 'I was charged twice this month, please refund one charge.');
  await ask('tech-1', 'user-0', 'The app crashes with an error when I export a report.');
  await decide('tech-1', { approved: false, reviewer: 'rita', note: 'mention the workaround: export as CSV' });
  await ask('general-1', 'user-0', 'What are your opening hours?');
  await decide('general-1', { approved: true, reviewer: 'rita' });
  await endPhase();

  // ---- phase 2 -------------------------------------------------------------------------------
  phase = 'resumed';
  await decide('billing-1', { approved: true, reviewer: 'sam' });
  await decide('tech-1', { approved: true, reviewer: 'sam' });
  // Time travel: fork general-1 from the checkpoint written right after `classify`.
  const afterClassify = await findCheckpoint(graph, 'general-1', (s) => s.next.length === 1 && s.next[0] === 'draft');
  const forkConfig = await graph.updateState(afterClassify.config, { category: 'billing' }, 'classify');
  log(`  [general-1] fork from step ${afterClassify.metadata?.step} (after classify) with category=billing`);
  await run('general-1', 'run fork', null, forkConfig);
  await endPhase();

  // ---- phase 3 -------------------------------------------------------------------------------
  phase = 'follow-up';
  await decide('general-1', { approved: true, reviewer: 'ana' });
  await ask('billing-1', 'user-6', 'Thanks! Will the refund show on the same invoice?');
  await decide('billing-1', { approved: true, reviewer: 'ana' });
  // Replay tech-1 from its first review (revision 1): a fork whose parent lives in PostgreSQL.
  const firstReview = await findCheckpoint(graph, 'tech-1', (s) => s.next[0] === 'review' && s.values.revision === 1);
  log(`  [tech-1] replay from step ${firstReview.metadata?.step} (first review, already rejected)`);
  await decide('tech-1', { approved: true, reviewer: 'ana' }, firstReview.config);
  await decide('tech-1', { approved: true, reviewer: 'ana' });
  await endPhase();

  const threads: ThreadResult[] = [];
  for (const t of DEMO_THREADS) threads.push(await collectThread(graph, checkpointer, t));
  return { threads, transcript };
}

/** The oldest checkpoint of a thread matching `pick` (the original branch, before any fork). */
async function findCheckpoint(graph: DemoGraph, thread: DemoThread, pick: (s: StateSnapshot) => boolean): Promise<StateSnapshot> {
  let found: StateSnapshot | undefined;
  for await (const s of graph.getStateHistory(threadConfig(thread))) {
    // History is newest first: the last match seen is the oldest.
    if (pick(s)) found = s;
  }
  if (!found) throw new Error(`demo script: no checkpoint of ${thread} matches; the checkpointer lost history`);
  return found;
}
