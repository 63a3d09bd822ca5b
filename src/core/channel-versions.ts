import { randomUint32 } from './random-pool.js';

/** Width of the base-36 counter of a new thread's versions: 36^6 ≈ 2.2 billion versions per channel. */
const COUNTER_WIDTH = 6;
const COUNTER_LIMIT = 36 ** COUNTER_WIDTH;
/** Width of the random part (base 36, 31 bits): only siblings of one parent ever compare it. */
const RANDOM_WIDTH = 6;
const RANDOM_LIMIT = 36 ** RANDOM_WIDTH;

function randomSuffix(): string {
  return (randomUint32() % RANDOM_LIMIT).toString(36).padStart(RANDOM_WIDTH, '0');
}

/**
 * Fork-safe channel versions: `<counter: 6 base-36 digits>.<6 random base-36 digits>`.
 *
 * The stock integer versions collide when two forks of one checkpoint both write a channel:
 * both produce version `n + 1`, their values land under the same (channel, version) key, and one
 * fork reads the other's value. A random suffix makes every version unique, while the fixed-width
 * lowercase counter keeps versions in order under both `<` and `localeCompare` (what LangGraph
 * uses: digits sort before letters in both).
 *
 * Versions are short on purpose: each one is repeated in `channel_versions`, in `versions_seen`
 * for every node, and in the keys of stored values, in both tiers.
 *
 * Threads that already have other versions keep their kind, because LangGraph compares a
 * channel's versions with each other: integers (`MemorySaver`) stay integers; decimal counters
 * of any other width (`PostgresSaver`'s 32 digits, this saver's 12 before 0.2) keep their
 * width and stay decimal.
 */
export function nextChannelVersion(current: string | number | undefined): string | number {
  if (typeof current === 'number') return current + 1;
  const counterText = current === undefined ? '' : current.split('.')[0];
  if (counterText === '' || counterText.length === COUNTER_WIDTH) {
    const counter = (counterText === '' ? 0 : Number.parseInt(counterText, 36) || 0) + 1;
    if (counter >= COUNTER_LIMIT) throw new RangeError(`channel version counter ${counterText} is at its limit (${COUNTER_LIMIT - 1} versions of one channel in one thread)`);
    return `${counter.toString(36).padStart(COUNTER_WIDTH, '0')}.${randomSuffix()}`;
  }
  const counter = Number.parseInt(counterText, 10) || 0;
  return `${String(counter + 1).padStart(counterText.length, '0')}.${(randomUint32() >>> 0).toString(16).padStart(8, '0')}`;
}
