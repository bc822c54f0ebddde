/**
 * Failure paths: every op that can fail on bad input throws a typed error
 * (DuetError with a code) and releases every native tensor it made, called
 * many times, with or without scope(). Inputs are made once, outside the count.
 */
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, DTypeError, DuetError, IndexError, OutOfMemoryError, ShapeError,
  Tensor, cat, functional, memory, randn, scope, softmaxCrossEntropy, stack, tensor, where, zeros,
} from '@duet/core';

const i32 = (v: Parameters<typeof tensor>[0]) => tensor(v, { dtype: 'int32' }).keep();
const x = randn([3, 4]).keep();
const xi = i32([[1, 2]]);
const w = randn([4, 2]).keep();
const img = randn([1, 3, 8, 8]).keep();
const filt = randn([4, 2, 3, 3]).keep();
const empty = zeros([0, 3]).keep();
const logits = randn([2, 3]).keep();
const bad = { gather: i32([[0, 5]]), negative: i32([[-1, 0]]), select: i32([0, 7]), select0d: i32(9), rows: i32([[1, 9]]), classes: i32([0, 7]) };

type ErrorClass = new (...args: never[]) => DuetError;
const cases: [string, () => unknown, ErrorClass, string, RegExp][] = [
  ['gather, index out of range', () => x.gather(1, bad.gather), IndexError, 'ERR_INDEX', /^gather: index 5 at position \[0, 1\] of the index is out of range for dim 1 of the input, which has size 4 .*input \[3, 4\], index \[1, 2\]/],
  ['gather, negative index', () => x.gather(0, bad.negative), IndexError, 'ERR_INDEX', /^gather: index -1 at position \[0, 0\]/],
  ['indexSelect, index out of range', () => x.indexSelect(0, bad.select), IndexError, 'ERR_INDEX', /^indexSelect: index 7 at position \[1\] of the index is out of range for dim 0 of the input, which has size 3/],
  ['indexSelect, 0-d index out of range', () => x.indexSelect(1, bad.select0d), IndexError, 'ERR_INDEX', /^indexSelect: index 9 is out of range for dim 1 .* size 4/],
  ['embedding, index out of range', () => functional.embedding(bad.rows, w), IndexError, 'ERR_INDEX', /^embedding: index 9 at position \[0, 1\] is out of range: every index must be in \[0, 3\]/],
  ['softmaxCrossEntropy, class out of range', () => softmaxCrossEntropy(logits, bad.classes), IndexError, 'ERR_INDEX', /class indices in \[0, 2\].*received 7/],
  ['argmax over an empty dim', () => empty.argmax(0), ShapeError, 'ERR_SHAPE', /^argmax\(\): expected reduction dim 0 to have a non-zero size, received shape \[0, 3\]/],
  ['argmin of an empty tensor', () => empty.argmin(), ShapeError, 'ERR_SHAPE', /^argmin\(\): .*whole tensor/],
  ['max(dim) over an empty dim', () => empty.max(0), ShapeError, 'ERR_SHAPE', /^max\(\): /],
  ['add, int cast + shapes that do not broadcast', () => x.add(xi), ShapeError, 'ERR_SHAPE', /\[3, 4\] and \[1, 2\] cannot be broadcast/],
  ['where, int cast + shapes that do not broadcast', () => where(x.gt(0), xi, 1.5), ShapeError, 'ERR_SHAPE', /cannot be broadcast/],
  ['stack, unequal shapes', () => stack([x, w]), ShapeError, 'ERR_SHAPE', /equal size/],
  ['cat, unequal shapes', () => cat([x, xi], 0), ShapeError, 'ERR_SHAPE', /sizes of tensors must match/],
  ['matmul, inner dims differ', () => x.matmul(x), ShapeError, 'ERR_SHAPE', /cannot be multiplied/],
  ['pow, int to a negative power', () => xi.pow(-1), ArgumentError, 'ERR_ARGUMENT', /TensorFlow op Pow failed on inputs \(int32\[1, 2\], int32\[\]\): Integers to negative integer powers/],
  ['oneHot, class >= numClasses', () => xi.oneHot(2), ArgumentError, 'ERR_ARGUMENT', /smaller than numClasses/],
  ['conv2d, channel mismatch', () => functional.conv2d(img, filt), ShapeError, 'ERR_SHAPE', /C = 2/],
  ['clamp, a NaN bound (tfjs would throw an untyped Error)', () => x.clamp(Number.NaN, 1), ArgumentError, 'ERR_ARGUMENT', /clamp\(\): min must be a number .*received NaN/],
  ['to(), a dtype the engine has not', () => x.to('float64' as never), DTypeError, 'ERR_DTYPE', /unsupported dtype 'float64'/i],
  ['sum of a bool tensor (a cast first) over a repeated dim', () => x.gt(0).sum([0, -2]), ArgumentError, 'ERR_ARGUMENT', /^dim 0 appears multiple times in the list of dims \[0, -2\]/],
  ['tensor(), NaN as int32', () => tensor([1, NaN], { dtype: 'int32' }), ArgumentError, 'ERR_ARGUMENT', /element \[1\] is NaN/],
  ['tensor(), a string', () => tensor([1, 'a'] as never), DTypeError, 'ERR_DTYPE', /element \[1\] is the string/],
  ['zeros, more than the machine has', () => zeros([1e6, 1e6]), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /zeros\(\): a tensor of shape \[1000000, 1000000\]/],
];

function expectThrows(fn: () => unknown, type: ErrorClass, code: string, text: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  expect((err as DuetError).code).toBe(code);
  expect((err as Error).message).toMatch(text);
}

describe('ops that fail on bad input throw typed errors and release what they made', () => {
  it.each(cases)('%s', (_name, fn, type, code, text) => {
    // Tensors made inside `fn` (x.gt(0)) are released by scope(); the op's own native temporaries must not outlive the failed call.
    const attempt = () => scope(() => expectThrows(fn, type, code, text));
    attempt(); // warm-up: fills Duet's bounded constant caches (an axis, a shape), as a successful call would
    const before = memory().numTensors;
    for (let i = 0; i < 100; i++) attempt();
    expect(memory().numTensors - before, 'native tensors leaked on the failure path').toBe(0);
  });

  it('gather out of range leaks nothing without scope() either', () => {
    const idx = i32([[0, 5]]);
    expectThrows(() => x.gather(1, idx), IndexError, 'ERR_INDEX', /gather/);
    const before = memory().numTensors;
    for (let i = 0; i < 300; i++) expectThrows(() => x.gather(1, idx), IndexError, 'ERR_INDEX', /gather/);
    expect(memory().numTensors).toBe(before);
  });

  it('the errors carry the TensorFlow error they came from as `cause`', () => {
    let err: unknown;
    try {
      x.gather(1, i32([[0, 5]]));
    } catch (e) {
      err = e;
    }
    expect((err as Error).cause).toBeInstanceOf(IndexError);
    expect(((err as Error).cause as Error).message).toMatch(/TensorFlow op GatherNd failed .*does not index into param shape \[3,4\]/);
  });

  it('valid calls still work', () => {
    expect(x.gather(1, i32([[0, 3]])).shape).toEqual([1, 2]);
    expect(x.indexSelect(0, i32(2)).shape).toEqual([1, 4]);
    expect(functional.embedding(i32([3, 0]), w).shape).toEqual([2, 2]);
    expect(randn([2, 5]).argmax().shape).toEqual([]);
    expect(randn([2, 5]).argmax(undefined, { keepdim: true }).shape).toEqual([1, 1]);
    expect(x instanceof Tensor).toBe(true);
  });
});
