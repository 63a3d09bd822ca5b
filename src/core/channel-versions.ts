import { randomBytes } from 'node:crypto';

/**
 * Fork-safe channel versions: `<counter, 32 digits>.<16 random hex digits>`.
 *
 * The stock integer versions collide when two forks of one checkpoint both write a channel:
 * both produce version `n + 1`, their values land under the same (channel, version) key, and one
 * fork reads the other's value. A random suffix makes every version unique, while the fixed-width
 * counter keeps versions in order under both `<` and `localeCompare` (what LangGraph uses).
 *
 * A thread whose versions are integers (written by `MemorySaver` or `PostgresSaver`) keeps
 * integer versions, because LangGraph compares a channel's versions with each other and a mix of
 * numbers and strings does not order.
 */
export function nextChannelVersion(current: string | number | undefined): string | number {
  if (typeof current === 'number') return current + 1;
  const counter = current === undefined ? 0 : Number.parseInt(current.split('.')[0], 10) || 0;
  return `${String(counter + 1).padStart(32, '0')}.${randomBytes(8).toString('hex')}`;
}
