import { isDeltaSnapshot, type CheckpointTuple } from '@langchain/langgraph-checkpoint';

/**
 * Which checkpoints a thread keeps. Applied by `prune()` and, when configured, by migration.
 *
 * - `all` (default): keep everything.
 * - `keepLast: N`: per (thread, namespace), the newest N checkpoints.
 * - `finalOnly`: per (thread, namespace), the last checkpoint of each run (the one a new
 *   `input` checkpoint follows, and the newest) — what a thread looked like after every turn.
 */
export type RetentionPolicy = { mode: 'all' } | { mode: 'keepLast'; keepLast: number } | { mode: 'finalOnly' };

/** A checkpoint as retention sees it. */
export interface RetainedCandidate {
  checkpointNs: string;
  checkpointId: string;
  tuple: CheckpointTuple;
}

/**
 * The checkpoints to keep, by `ns\0id`. Whatever is kept stays fully readable: its own values
 * and writes are never touched, and for every *delta channel* a kept checkpoint reconstructs
 * from history, the ancestors `getDeltaChannelHistory` walks (up to and including the one that
 * stores the channel's seed value) are kept too. A delta channel is one that some checkpoint of
 * the namespace stores as a `DeltaSnapshot`. (A version without a stored value is not enough:
 * LangGraph's `__start__` and `branch:to:*` channels look like that in every checkpoint after a
 * turn's first, and counting them would keep whole turns.)
 */
export function checkpointsToKeep(candidates: RetainedCandidate[], policy: RetentionPolicy): Set<string> {
  const key = (ns: string, id: string) => `${ns}\0${id}`;
  const byNs = new Map<string, RetainedCandidate[]>();
  for (const c of candidates) byNs.set(c.checkpointNs, [...(byNs.get(c.checkpointNs) ?? []), c]);
  const keep = new Set<string>();

  for (const [ns, list] of byNs) {
    const newestFirst = [...list].sort((a, b) => (a.checkpointId < b.checkpointId ? 1 : a.checkpointId > b.checkpointId ? -1 : 0));
    const byId = new Map(newestFirst.map((c) => [c.checkpointId, c]));
    const snapshotChannels = new Set<string>();
    for (const c of newestFirst) {
      for (const [ch, v] of Object.entries(c.tuple.checkpoint.channel_values)) if (isDeltaSnapshot(v)) snapshotChannels.add(ch);
    }
    let chosen: RetainedCandidate[];
    if (policy.mode === 'all') chosen = newestFirst;
    else if (policy.mode === 'keepLast') chosen = newestFirst.slice(0, Math.max(1, policy.keepLast));
    else {
      // The last checkpoint of a run: the newest, and every parent of an `input` checkpoint.
      const ends = new Set<string>([newestFirst[0]?.checkpointId].filter((x): x is string => x !== undefined));
      for (const c of newestFirst) {
        const parent = parentId(c);
        if (c.tuple.metadata?.source === 'input' && parent !== undefined) ends.add(parent);
      }
      chosen = newestFirst.filter((c) => ends.has(c.checkpointId));
    }
    for (const c of chosen) {
      keep.add(key(ns, c.checkpointId));
      for (const id of deltaAncestors(c, byId, snapshotChannels)) keep.add(key(ns, id));
    }
  }
  return keep;
}

function parentId(c: RetainedCandidate): string | undefined {
  return c.tuple.parentConfig?.configurable?.checkpoint_id as string | undefined;
}

/** Ancestors of `start` that its delta channels' history walk visits. */
function deltaAncestors(start: RetainedCandidate, byId: Map<string, RetainedCandidate>, snapshotChannels: Set<string>): string[] {
  const has = (c: RetainedCandidate, ch: string) => Object.prototype.hasOwnProperty.call(c.tuple.checkpoint.channel_values, ch);
  const wanted = [...snapshotChannels].filter((ch) => !has(start, ch));
  if (wanted.length === 0) return [];
  const path: RetainedCandidate[] = [];
  const seedAt = new Map<string, number>();
  let cursor = parentId(start);
  while (cursor !== undefined && seedAt.size < wanted.length) {
    const node = byId.get(cursor);
    if (!node) break;
    path.push(node);
    for (const ch of wanted) if (!seedAt.has(ch) && has(node, ch)) seedAt.set(ch, path.length - 1);
    cursor = parentId(node);
  }
  // A known delta channel without a seed replays from the root: its whole path is needed.
  const unseededDelta = wanted.some((ch) => snapshotChannels.has(ch) && !seedAt.has(ch));
  const deepest = unseededDelta ? path.length - 1 : Math.max(-1, ...seedAt.values());
  return path.slice(0, deepest + 1).map((c) => c.checkpointId);
}
