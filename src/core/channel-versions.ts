import { randomBytes } from 'node:crypto';

/** Digits of the counter part of a new thread's versions (10^12 steps is never reached). */
const COUNTER_DIGITS = 12;

/**
 * Fork-safe channel versions: `<counter, fixed width>.<8 random hex digits>`.
 *
 * The stock integer versions collide when two forks of one checkpoint both write a channel:
 * both produce version `n + 1`, their values land under the same (channel, version) key, and one
 * fork reads the other's value. A random suffix makes every version unique, while the fixed-width
 * counter keeps versions in order under both `<` and `localeCompare` (what LangGraph uses). The
 * width of an existing thread's counter is kept, so its versions keep ordering.
 *
 * Versions are short on purpose: each one is repeated in `channel_versions`, in `versions_seen`
 * for every node, and in the keys of stored values, in both tiers.
 *
 * A thread whose versions are integers (written by `MemorySaver` or `PostgresSaver`) keeps
 * integer versions, because LangGraph compares a channel's versions with each other and a mix of
 * numbers and strings does not order.
 */
export function nextChannelVersion(current: string | number | undefined): string | number {
  if (typeof current === 'number') return current + 1;
  const counterText = current === undefined ? '' : current.split('.')[0];
  const width = counterText.length > 0 ? counterText.length : COUNTER_DIGITS;
  const counter = Number.parseInt(counterText, 10) || 0;
  return `${String(counter + 1).padStart(width, '0')}.${randomBytes(4).toString('hex')}`;
}
