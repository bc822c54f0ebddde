/**
 * `stack` is one Pack kernel (backward one Unpack) and `select` one
 * StridedSlice (backward Reshape + Pad): the values and gradients of the
 * formulations they replace (`cat` of `unsqueeze`s; `squeeze` of `narrow`),
 * on every dim, negative indices, mixed dtypes and NHWC-stored inputs. A
 * DataLoader batch of a per-sample Dataset (`get(i)` returning rows) is one
 * StridedSlice per row and field plus one Pack per field.
 */
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../../../../test/helpers.js';
import { cat, countKernels, functional as F, lazyRows, manualSeed, randn, scope, stack, tensor, type Tensor } from '../index.js';

const arr = (t: Tensor) => Array.from(t.dataSync());

describe('stack', () => {
  it.each([0, 1, 2, -1])('dim %i: the values and gradients of cat(unsqueeze(t, dim)), in one Pack kernel', (dim) => {
    scope(() => {
      manualSeed(1);
      const ts = [0, 1, 2].map(() => randn([3, 4], { requiresGrad: true }));
      const g = randn([...stack(ts, dim).shape]);
      const k = countKernels(() => stack(ts, dim));
      expect(k.byName).toEqual({ Pack: 1 });
      stack(ts, dim).backward(g);
      const fast = ts.map((t) => arr(t.grad!));
      ts.forEach((t) => (t.grad = null));
      const d = dim < 0 ? dim + 3 : dim;
      const ref = cat(ts.map((t) => t.unsqueeze(d)), d);
      expect(arr(stack(ts, dim))).toEqual(arr(ref));
      ref.backward(g);
      expect(ts.map((t) => arr(t.grad!))).toEqual(fast);
    });
  });

  it('promotes int32 and bool to the common dtype, as cat does', () => {
    scope(() => {
      const s = stack([tensor([1, 2], { dtype: 'int32' }), tensor([0.5, 1.5])]);
      expect(s.dtype).toBe('float32');
      expect(arr(s)).toEqual([1, 2, 0.5, 1.5]);
      expect(stack([tensor([true, false], { dtype: 'bool' }), tensor([3, 4], { dtype: 'int32' })]).dtype).toBe('int32');
    });
  });

  it('stacks NHWC-stored conv outputs by their logical values', () => {
    scope(() => {
      manualSeed(2);
      const w = randn([2, 3, 3, 3]);
      const a = F.conv2d(randn([1, 3, 5, 5]), w);
      const b = F.conv2d(randn([1, 3, 5, 5]), w);
      expect(arr(stack([a, b], 1))).toEqual(arr(cat([a.unsqueeze(1), b.unsqueeze(1)], 1)));
    });
  });
});

describe('select', () => {
  it.each([[0, 1], [1, -1], [2, 2], [-1, 0]])('dim %i index %i: the values and gradient of squeeze(narrow(...)), in one StridedSlice kernel', (dim, index) => {
    scope(() => {
      manualSeed(3);
      const x = randn([3, 4, 5], { requiresGrad: true });
      const d = dim < 0 ? dim + 3 : dim;
      const i = index < 0 ? index + x.shape[d]! : index;
      expect(countKernels(() => x.select(dim, index)).byName).toEqual({ StridedSlice: 1 });
      const g = randn([...x.select(dim, index).shape]);
      x.select(dim, index).backward(g);
      const fast = arr(x.grad!);
      x.grad = null;
      const ref = x.narrow(d, i, 1).squeeze(d);
      expect(arr(x.select(dim, index))).toEqual(arr(ref));
      ref.backward(g);
      expect(arr(x.grad!)).toEqual(fast);
    });
  });

  it('works on int32 and on NHWC-stored values; 1-d gives a 0-d tensor', () => {
    scope(() => {
      expect(tensor([[1, 2], [3, 4]], { dtype: 'int32' }).select(0, 1).toArray()).toEqual([3, 4]);
      expect(tensor([7, 8, 9]).select(0, -1).item()).toBe(9);
      manualSeed(4);
      const y = F.conv2d(randn([2, 3, 5, 5]), randn([2, 3, 3, 3]));
      expect(arr(y.select(1, 1))).toEqual(arr(y.narrow(1, 1, 1).squeeze(1)));
    });
  });

  it('leaks no native tensor (forward, backward, many indices)', () => {
    expectNoLeaks(() => {
      const x = randn([50, 6], { requiresGrad: true });
      stack([0, 7, 49].map((i) => x.select(0, i))).sum().backward();
      for (let i = 0; i < 50; i++) scope(() => void x.detach().select(0, i));
    });
  });
});

describe('lazyRows (the DataLoader\'s sample fetch)', () => {
  it('select(0, i) of a tensor without gradient runs no kernel until read; stack of such rows is one GatherV2', () => {
    scope(() => {
      const x = tensor([[1, 2], [3, 4], [5, 6]]);
      const k = countKernels(() => lazyRows(() => [x.select(0, 2), x.select(0, 0)]));
      expect(k.kernels).toBe(0);
      const [a, b] = k.result;
      expect(countKernels(() => stack([a!, b!])).byName).toEqual({ GatherV2: 1 });
      expect(stack([a!, b!]).toArray()).toEqual([[5, 6], [1, 2]]);
      expect(a!.toArray()).toEqual([5, 6]); // read on its own: one StridedSlice, then an ordinary tensor
      expect(stack([a!, b!]).toArray()).toEqual([[5, 6], [1, 2]]);
    });
  });

  it('a row disposed before it was read is released like any tensor; rows of other dims, of NHWC-stored or grad-requiring tensors are made at once', () => {
    scope(() => {
      const x = tensor([[1, 2], [3, 4]]);
      const r = lazyRows(() => x.select(0, 1));
      r.dispose();
      expect(r.isDisposed).toBe(true);
      expect(() => r.toArray()).toThrow(/can no longer be used: dispose\(\) was called on it/);
      expect(countKernels(() => lazyRows(() => x.select(1, 0))).kernels).toBe(1);
      const w = tensor([[1, 2], [3, 4]]).requiresGrad_();
      expect(countKernels(() => lazyRows(() => w.select(0, 0))).kernels).toBe(1);
    });
  });
});
