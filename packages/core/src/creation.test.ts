/** tensor(): no silent garbage. Bad elements are typed errors that name the element; nothing native is made first. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, OutOfMemoryError, ShapeError, memory, tensor, zeros, randn } from './index.js';

/** `fn` throws `type` with `code`, and the message matches `text`; the native tensor count is unchanged. */
function rejects(fn: () => unknown, type: new (...a: never[]) => Error, code: string, text: RegExp): void {
  const before = memory().numTensors;
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  expect((err as { code: string }).code).toBe(code);
  expect((err as Error).message).toMatch(text);
  expect(memory().numTensors).toBe(before);
}

describe('tensor() rejects values its dtype cannot hold', () => {
  it('int32: out of range, NaN and infinities name the element', () => {
    rejects(() => tensor([3e10, NaN, Infinity], { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /element \[0\] is 30000000000, which int32 cannot hold/);
    rejects(() => tensor([1, NaN], { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /element \[1\] is NaN, which int32 cannot hold/);
    rejects(() => tensor([[1, 2], [3, -Infinity]], { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /element \[1, 1\] is -Infinity/);
    rejects(() => tensor(2 ** 31, { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /the value is 2147483648/);
  });

  it('int32 from typed arrays: Float32Array, Float64Array and Uint32Array are checked', () => {
    rejects(() => tensor(new Float32Array([0, NaN]), { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /element \[1\] is NaN/);
    rejects(() => tensor(new Float64Array([1.5, 3e10]), { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /element \[1\] is 30000000000/);
    rejects(() => tensor(new Uint32Array([4294967295])), ArgumentError, 'ERR_ARGUMENT', /element \[0\] is 4294967295/);
    rejects(() => tensor(new BigInt64Array([1n]) as never), DTypeError, 'ERR_DTYPE', /BigInt64Array is not supported/);
  });

  it('the edges of int32 and truncation toward zero still work', () => {
    expect(tensor([-2147483648, 2147483647, 1.9, -1.9], { dtype: 'int32' }).toArray()).toEqual([-2147483648, 2147483647, 1, -1]);
    expect(tensor(new Float64Array([2.5, -3]), { dtype: 'int32' }).toArray()).toEqual([2, -3]);
    expect(tensor(new Uint8Array([255, 0])).toArray()).toEqual([255, 0]);
  });

  it('non-numbers (strings, null, undefined, objects) are a DTypeError, not NaN', () => {
    rejects(() => tensor(['a', 'b'] as never), DTypeError, 'ERR_DTYPE', /element \[0\] is the string "a"/);
    rejects(() => tensor({} as never), DTypeError, 'ERR_DTYPE', /the value is an object/);
    rejects(() => tensor([[1, 2], [3, null]] as never), DTypeError, 'ERR_DTYPE', /element \[1, 1\] is null/);
    rejects(() => tensor([1, undefined] as never, { dtype: 'int32' }), DTypeError, 'ERR_DTYPE', /element \[1\] is undefined/);
    rejects(() => tensor([1, '2'] as never), DTypeError, 'ERR_DTYPE', /element \[1\] is the string "2"/);
  });

  it('ragged nested arrays are a ShapeError', () => {
    rejects(() => tensor([[1, 2], [3]] as never), ShapeError, 'ERR_SHAPE', /ragged/);
    rejects(() => tensor([[1, 2], 3] as never), ShapeError, 'ERR_SHAPE', /ragged/);
    rejects(() => tensor([1, [2, 3]] as never), ShapeError, 'ERR_SHAPE', /ragged/);
  });

  it('float32 keeps NaN and infinities (they are float values)', () => {
    expect(tensor([NaN, Infinity, -Infinity]).toArray()).toEqual([NaN, Infinity, -Infinity]);
    expect(tensor(new Float64Array([1e39, 0.5])).toArray()).toEqual([Infinity, 0.5]);
    expect(tensor([true, false], { dtype: 'float32' }).toArray()).toEqual([1, 0]);
    expect(tensor([true, false], { dtype: 'int32' }).toArray()).toEqual([1, 0]);
  });
});

describe('creation functions refuse a tensor larger than the machine before allocating', () => {
  it('zeros, randn and the like give an OutOfMemoryError naming the shape', () => {
    rejects(() => zeros([1e6, 1e6]), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /zeros\(\): a tensor of shape \[1000000, 1000000\] needs 3725\.3 GiB/);
    rejects(() => randn([1e6, 1e6]), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /randn\(\)/);
  });
});
