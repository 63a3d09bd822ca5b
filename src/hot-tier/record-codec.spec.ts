import { StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';
import { pack, unpack } from './record-codec.js';

describe('record codec', () => {
  it('round-trips strings and bytes, including empty parts and NUL bytes', () => {
    const packed = pack(['channel', new Uint8Array([0, 1, 2, 255]), '', 'ü']);
    const parts = unpack(packed, 4);
    expect(parts[0].toString()).toBe('channel');
    expect([...parts[1]]).toEqual([0, 1, 2, 255]);
    expect(parts[2].length).toBe(0);
    expect(parts[3].toString()).toBe('ü');
  });

  it('refuses values that are truncated or have the wrong number of parts', () => {
    const packed = pack(['a', 'b']);
    expect(() => unpack(packed, 3)).toThrow(StoreCorruptedError);
    expect(() => unpack(packed.subarray(0, packed.length - 1), 2)).toThrow(StoreCorruptedError);
  });
});
