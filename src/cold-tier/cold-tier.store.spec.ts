import type { MigrationBatch } from '../core/records.js';
import { StoreCorruptedError, InvalidOptionsError } from '../errors/tiered-checkpoint.errors.js';
import type { CheckpointSqlRow } from './cold-tier.sql.js';
import { batchThreads, chunkRows, dedupeByKey, packedParams, prepareBatch } from './cold-batch.js';
import { toColdCheckpoint } from './cold-row.codec.js';
import { ColdTierStore } from './cold-tier.store.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function write(threadId: string, taskId: string, idx: number, value: string) {
  return { threadId, checkpointNs: '', checkpointId: 'c1', taskId, idx, channel: idx < 0 ? '__error__' : 'ch', type: 'json', bytes: bytes(value), taskPath: '' };
}

describe('ColdTierStore batch preparation', () => {
  const batch: MigrationBatch = {
    checkpoints: [
      { threadId: 'b', checkpointNs: '', checkpointId: 'c1', parentCheckpointId: null, checkpoint: { v: 1 }, metadata: { n: 1 } },
      { threadId: 'a', checkpointNs: '', checkpointId: 'c1', parentCheckpointId: null, checkpoint: { v: 1 }, metadata: {} },
      { threadId: 'b', checkpointNs: '', checkpointId: 'c1', parentCheckpointId: null, checkpoint: { v: 2 }, metadata: { n: 2 } },
    ],
    blobs: [
      { threadId: 'a', checkpointNs: '', channel: 'x', version: '1', type: 'json', bytes: bytes('first') },
      { threadId: 'a', checkpointNs: '', channel: 'x', version: '1', type: 'json', bytes: bytes('second') },
      { threadId: 'c', checkpointNs: '', channel: 'x', version: '1', type: 'empty', bytes: null },
    ],
    writes: [write('a', 't', 0, 'first'), write('a', 't', 0, 'second'), write('a', 't', -1, 'old'), write('a', 't', -1, 'new')],
  };

  it('lists every thread of a batch once, sorted', () => {
    expect(batchThreads(batch)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the last checkpoint and special write, the first blob and regular write', () => {
    const p = prepareBatch(batch);
    expect(p.checkpoints.map((c) => [c.threadId, c.checkpointJson])).toEqual([['a', '{"v":1}'], ['b', '{"v":2}']]);
    expect(p.checkpoints[1]!.metadataJson).toBe('{"n":2}');
    expect(p.blobs.map((b) => new TextDecoder().decode(b.bytes ?? new Uint8Array()))).toEqual(['first', '']);
    expect(p.insertWrites.map((w) => new TextDecoder().decode(w.bytes))).toEqual(['first']);
    expect(p.upsertWrites.map((w) => new TextDecoder().decode(w.bytes))).toEqual(['new']);
  });

  it('passes JSON text rows through as they are', () => {
    const row = { threadId: 'j', checkpointNs: '', checkpointId: 'c1', parentCheckpointId: 'c0', checkpointJson: '{"v": 4, "id": "c1"}', metadataJson: '{}' };
    expect(prepareBatch({ checkpoints: [row], blobs: [], writes: [] }).checkpoints).toEqual([row]);
  });

  it('packs byte values back to back with 1-based offsets, -1 lengths for NULL', () => {
    const [offsets, lengths, packed] = packedParams([null, bytes('ab'), new Uint8Array(0), bytes('cde'), undefined]);
    expect(offsets).toEqual([1, 1, 3, 3, 6]);
    expect(lengths).toEqual([-1, 2, 0, 3, -1]);
    expect(packed.toString('utf8')).toBe('abcde');
    expect(packedParams([])[2].length).toBe(0);
  });

  it('drops every row of a skipped thread', () => {
    const p = prepareBatch(batch, new Set(['a']));
    expect(p.threads).toEqual(['b', 'c']);
    expect([...p.checkpoints, ...p.blobs, ...p.insertWrites, ...p.upsertWrites].some((r) => r.threadId === 'a')).toBe(false);
  });

  it('sorts deduplicated rows by key, numbers numerically', () => {
    const rows = [{ k: 'b', i: 10 }, { k: 'a', i: 2 }, { k: 'b', i: 9 }];
    expect(dedupeByKey(rows, (r) => [r.k, r.i], 'first').map((r) => `${r.k}${r.i}`)).toEqual(['a2', 'b9', 'b10']);
  });

  it('chunks by row count and by bytes, never producing an empty chunk', () => {
    expect(chunkRows([1, 2, 3, 4, 5], () => 1, 2).map((c) => c.length)).toEqual([2, 2, 1]);
    expect(chunkRows([5, 5, 5], (n) => n, 100, 9).map((c) => c.length)).toEqual([1, 1, 1]);
    expect(chunkRows([50], (n) => n, 100, 9)).toEqual([[50]]);
    expect(chunkRows([], () => 1)).toEqual([]);
  });
});

describe('toColdCheckpoint', () => {
  const base: CheckpointSqlRow = {
    thread_id: 't',
    checkpoint_ns: '',
    checkpoint_id: 'c',
    parent_checkpoint_id: null,
    checkpoint: { v: 4, id: 'c', channel_versions: { a: '1' } },
    metadata: { source: 'loop' },
    blob_meta: [
      ['a', '1', 'json', 2],
      ['e', '2', 'empty', null],
      ['z', '3', 'json', 0],
    ],
    blob_data: bytes('AA'),
    write_meta: [
      ['task', 0, 'ch', 'json', 'p', 1],
      ['task', 1, 'ch2', 'json', 'p', 3],
    ],
    write_data: bytes('WXYZ'),
  };

  it('slices the concatenated values along their lengths, in the listed order', () => {
    const cp = toColdCheckpoint(base);
    expect(cp.blobs).toEqual([
      { channel: 'a', version: '1', type: 'json', bytes: bytes('AA') },
      { channel: 'e', version: '2', type: 'empty', bytes: null },
      { channel: 'z', version: '3', type: 'json', bytes: bytes('') },
    ]);
    expect(cp.writes).toEqual([
      { taskId: 'task', idx: 0, channel: 'ch', type: 'json', bytes: bytes('W'), taskPath: 'p' },
      { taskId: 'task', idx: 1, channel: 'ch2', type: 'json', bytes: bytes('XYZ'), taskPath: 'p' },
    ]);
    expect(cp.parentCheckpointId).toBeNull();
  });

  it('accepts the lists as JSON text (clients that leave json unparsed)', () => {
    const cp = toColdCheckpoint({ ...base, blob_meta: JSON.stringify(base.blob_meta), write_meta: JSON.stringify(base.write_meta) });
    expect(cp.blobs.map((b) => b.channel)).toEqual(['a', 'e', 'z']);
    expect(cp.writes[1]!.bytes).toEqual(bytes('XYZ'));
  });

  it('treats NULL aggregates as empty lists', () => {
    const cp = toColdCheckpoint({ ...base, blob_meta: null, blob_data: null, write_meta: null, write_data: null });
    expect(cp.blobs).toEqual([]);
    expect(cp.writes).toEqual([]);
  });

  it('rejects rows this library could not have written', () => {
    expect(() => toColdCheckpoint({ ...base, blob_data: bytes('A') })).toThrow(StoreCorruptedError);
    expect(() => toColdCheckpoint({ ...base, write_data: bytes('WXYZ!') })).toThrow(StoreCorruptedError);
    expect(() => toColdCheckpoint({ ...base, checkpoint: null as unknown as Record<string, unknown> })).toThrow(StoreCorruptedError);
    expect(() => toColdCheckpoint({ ...base, write_meta: [['task', 0, 'ch', null, 'p', 4]] })).toThrow(StoreCorruptedError);
    expect(() => toColdCheckpoint({ ...base, write_meta: '{}' })).toThrow(StoreCorruptedError);
  });
});

describe('ColdTierStore options', () => {
  it('lists every problem at once', () => {
    try {
      new ColdTierStore({ schema: 'bad name', transactionTimeoutMs: -1 });
      throw new Error('expected to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as InvalidOptionsError).problems).toHaveLength(3);
    }
  });
});
