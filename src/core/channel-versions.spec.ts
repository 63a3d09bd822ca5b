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
    expect(v).toMatch(/^000000000201\.[0-9a-f]{8}$/);
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
