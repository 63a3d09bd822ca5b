import { RedisKeys, encodeKeyPart, entryMember, parseEntryMember } from './redis-keys.js';

/** The slot-relevant part of a key: what Redis Cluster hashes. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return key.slice(open + 1, close);
}

describe('redis key layout', () => {
  const keys = new RedisKeys('tc');

  it('puts every key of one thread in one Cluster slot, whatever the ids contain', () => {
    for (const thread of ['t1', 'a:b', 'x}y{z', '*?[', 'über-线程', '']) {
      const all = [
        keys.namespaces(thread),
        keys.index(thread, 'ns:1|child'),
        keys.checkpoint(thread, '', 'id:1'),
        keys.writes(thread, 'n', 'c'),
        keys.blobs(thread, ''),
        keys.blobRefs(thread, ''),
        keys.age(thread),
        keys.copied(thread),
        keys.versions(thread),
        keys.coldMax(thread),
      ];
      const tags = new Set(all.map(hashTag));
      expect(tags).toEqual(new Set([`tc:${encodeKeyPart(thread)}`]));
    }
  });

  it('maps distinct thread ids to distinct keys (no separator or pattern ambiguity)', () => {
    const ids = ['a', 'a:b', 'a}:b', 'a%3Ab', 'a*', 'a?', 'a[1]', 'é', 'e\u0301'];
    const bases = ids.map((id) => keys.threadBase(id));
    expect(new Set(bases).size).toBe(ids.length);
    for (const base of bases) expect(base).not.toMatch(/[*?[\]]|[^\x20-\x7e]/);
  });

  it('encodes exactly the bytes outside [A-Za-z0-9._~-]', () => {
    expect(encodeKeyPart('plain-id_1.2~x')).toBe('plain-id_1.2~x');
    expect(encodeKeyPart('a:b')).toBe('a%3Ab');
    expect(encodeKeyPart('%')).toBe('%25');
    expect(encodeKeyPart('ü')).toBe('%C3%BC');
  });

  it('round-trips entry members, including namespaces with separators of their own', () => {
    const member = entryMember('parent:task-1|child:task-2', '1ef-abc');
    expect(parseEntryMember(member)).toEqual({ checkpointNs: 'parent:task-1|child:task-2', checkpointId: '1ef-abc' });
    expect(parseEntryMember(entryMember('', 'x'))).toEqual({ checkpointNs: '', checkpointId: 'x' });
  });
});
