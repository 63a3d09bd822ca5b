import { compareChannelVersions } from '@langchain/langgraph-checkpoint';
import { nextChannelVersion } from './channel-versions.js';

describe('fork-safe channel versions', () => {
  it('gives two forks of one version different next versions', () => {
    const base = nextChannelVersion(undefined);
    const a = nextChannelVersion(base);
    const b = nextChannelVersion(base);
    expect(a).not.toEqual(b);
  });

  it('orders versions by their counter under both < and compareChannelVersions', () => {
    let v = nextChannelVersion(undefined) as string;
    for (let i = 0; i < 200; i += 1) {
      const next = nextChannelVersion(v) as string;
      expect(next > v).toBe(true);
      expect(compareChannelVersions(next, v)).toBe(1);
      v = next;
    }
    expect(v).toMatch(/^00005l\.[0-9a-z]{6}$/); // 201 in base 36
  });

  it('stays ordered where the base-36 counter gains a digit or turns from digits to letters', () => {
    for (const [from, to] of [['000009', '00000a'], ['00000z', '000010'], ['000zzz', '001000']]) {
      const next = nextChannelVersion(`${from}.abcdef`) as string;
      expect(next.startsWith(`${to}.`)).toBe(true);
      expect(next > `${from}.zzzzzz`).toBe(true);
      expect(compareChannelVersions(next, `${from}.zzzzzz`)).toBe(1);
    }
  });

  it('continues decimal counters of earlier versions (12 digits) in their own format', () => {
    const next = nextChannelVersion('000000000041.0a1b2c3d') as string;
    expect(next).toMatch(/^000000000042\.[0-9a-f]{8}$/);
  });

  it('keeps the counter width of an existing thread', () => {
    const old = `${'0'.repeat(31)}9.0123456789abcdef`;
    const next = nextChannelVersion(old) as string;
    expect(next).toMatch(/^0{30}10\.[0-9a-f]{8}$/);
    expect(next > old).toBe(true);
  });

  it('keeps integer versions integers (threads written by MemorySaver or PostgresSaver)', () => {
    expect(nextChannelVersion(7)).toBe(8);
  });
});
