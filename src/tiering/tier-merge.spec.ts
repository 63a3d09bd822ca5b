import type { WriteRecord } from '../core/records.js';
import { jsonContains, mergeNewestFirst, mergeWrites, sortWrites } from './tier-merge.js';

const w = (taskId: string, idx: number, value: string, taskPath = ''): WriteRecord => ({
  taskId,
  idx,
  channel: 'c',
  type: 'json',
  bytes: new TextEncoder().encode(value),
  taskPath,
});
const text = (r: WriteRecord) => new TextDecoder().decode(r.bytes);

describe('tier merge rules', () => {
  it('sorts writes by (task path, task id, idx), paths by code point', () => {
    const sorted = sortWrites([w('b', 0, '1', '~1'), w('a', 1, '2', '~1'), w('z', 0, '3', ''), w('a', 0, '4', '~1'), w('a', -1, '5', '~0')]);
    expect(sorted.map(text)).toEqual(['3', '5', '4', '2', '1']);
  });

  it('keeps the cold (first) value of a regular write and the hot (newest) value of a special one', () => {
    const merged = mergeWrites([w('t', 0, 'cold-0'), w('t', -3, 'cold-int')], [w('t', 0, 'hot-0'), w('t', 1, 'hot-1'), w('t', -3, 'hot-int')]);
    expect(merged.map(text)).toEqual(['hot-int', 'cold-0', 'hot-1']);
  });

  it('merges two pages newest first, de-duplicating checkpoints present in both tiers', () => {
    const item = (id: string, tier: string) => ({ threadId: 't', checkpointNs: '', checkpointId: id, tier });
    const merged = mergeNewestFirst([item('05', 'hot'), item('04', 'hot')], [item('04', 'cold'), item('03', 'cold'), item('06', 'cold')], 3);
    expect(merged.map((m) => `${m.checkpointId}:${m.tier}`)).toEqual(['06:cold', '05:hot', '04:hot']);
  });

  it('filters metadata with JSONB containment semantics', () => {
    const md = { source: 'loop', step: 2, parents: { '': 'p1' }, tags: ['a', 'b'] };
    expect(jsonContains(md, { source: 'loop' })).toBe(true);
    expect(jsonContains(md, { source: 'input' })).toBe(false);
    expect(jsonContains(md, { step: 2, parents: {} })).toBe(true);
    expect(jsonContains(md, { parents: { '': 'p2' } })).toBe(false);
    expect(jsonContains(md, { tags: ['b'] })).toBe(true);
    expect(jsonContains(md, { missing: null })).toBe(false);
    expect(jsonContains(md, { step: '2' })).toBe(false);
  });
});
