/** Autograd semantics, as in PyTorch: accumulation, retainGraph, detach, noGrad, leaves. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AccumulateGrad, AutogradError, DTypeError, enableGrad, isGradEnabled, noGrad, scope, tensor,
} from './index.js';

const leaf = (values: number[]) => tensor(values, { requiresGrad: true });

describe('autograd', () => {
  it('.grad accumulates across backward() calls until it is reset to null', () => {
    const x = leaf([1, 2, 3]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    x.grad = null;
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
  });

  it('sums the gradients of every path to a leaf', () => {
    const x = leaf([0.5, -1]);
    const y = x.exp();
    y.mul(y).add(y).add(x).sum().backward(); // d/dx (e^2x + e^x + x)
    const e = [0.5, -1].map(Math.exp);
    const want = e.map((v) => 2 * v * v + v + 1);
    x.grad!.toArray().forEach((g: number, i: number) => expect(g).toBeCloseTo(want[i]!, 5));
  });

  it('backward() without a gradient needs a one-element output', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/scalar outputs/);
  });

  it('backward(gradient) backpropagates the given upstream gradient', () => {
    const x = leaf([1, 2, 3]);
    x.mul(2).backward(tensor([1, 0.5, -1]));
    expect(x.grad!.toArray()).toEqual([2, 1, -2]);
    expect(() => x.mul(2).backward(tensor([1, 2]))).toThrow(AutogradError);
  });

  it('backward() on a tensor that does not require grad throws', () => {
    expect(() => tensor([1, 2]).sum().backward()).toThrow(AutogradError);
  });

  it('a second backward() through a freed graph throws and names retainGraph', () => {
    const x = leaf([1, 2]);
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  it('{ retainGraph: true } allows a second backward()', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
  });

  it('detach() cuts the graph', () => {
    const x = leaf([1, 2]);
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.gradFn).toBeNull();
    d.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]); // d, not d + 2x
  });

  it('noGrad(fn) returns what fn returns and records nothing', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.toArray()).toEqual([2, 4]);
    expect(noGrad(() => 42)).toBe(42);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('enableGrad(fn) records inside noGrad', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => enableGrad(() => x.mul(2)));
    expect(y.gradFn?.name()).toBe('MulBackward');
  });

  it('gradFn.nextFunctions walks the graph as PyTorch\'s grad_fn.next_functions does', () => {
    const w = leaf([1, 2]);
    const c = tensor([3, 4]); // needs no gradient: a null edge
    const h = w.mul(c);
    const loss = h.relu().sum();
    const fn = loss.gradFn!;
    expect(fn).toBe(loss.gradFn); // one object per node, as `grad_fn is grad_fn` in PyTorch
    expect(String(fn)).toBe('SumBackward');
    const [relu, k] = fn.nextFunctions[0]!;
    expect([relu?.name(), k]).toEqual(['ReluBackward', 0]);
    const mul = relu!.nextFunctions[0]![0]!;
    expect(mul).toBe(h.gradFn);
    const [acc, none] = mul.nextFunctions.map(([node]) => node);
    expect(acc).toBeInstanceOf(AccumulateGrad);
    expect((acc as AccumulateGrad).variable).toBe(w);
    expect(none).toBeNull();
    expect(inspect(fn)).toBe('<SumBackward>');
  });

  it('leaves and non-leaves: isLeaf, gradFn, and .grad only on leaves', () => {
    const x = leaf([1, 2]);
    expect(x.isLeaf).toBe(true);
    expect(x.gradFn).toBeNull();
    const y = x.mul(2);
    expect(y.isLeaf).toBe(false);
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn?.name()).toBe('MulBackward');
    const c = tensor([1, 2]).mul(2); // no input requires grad: a leaf, like PyTorch
    expect(c.isLeaf).toBe(true);
    expect(c.requiresGrad).toBe(false);
    y.sum().backward();
    expect(y.grad).toBeNull();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  it('an in-place op on a leaf that requires grad throws outside noGrad', () => {
    const x = leaf([1, 2]);
    expect(() => x.add_(1)).toThrow(AutogradError);
    expect(() => x.mul_(2)).toThrow(/noGrad/);
    noGrad(() => x.sub_(tensor([0.5, 0.5])));
    expect(x.toArray()).toEqual([0.5, 1.5]);
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
  });

  it('only float tensors can require grad', () => {
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
    expect(() => tensor([true, false]).requiresGrad_()).toThrow(DTypeError);
    expect(() => leaf([1]).mul(2).requiresGrad_(false)).toThrow(AutogradError);
  });

  it('ops on int inputs produce no graph', () => {
    const x = leaf([1.5, 2.5]);
    const i = x.argmax();
    expect(i.dtype).toBe('int32');
    expect(i.requiresGrad).toBe(false);
    expect(x.gt(2).requiresGrad).toBe(false);
  });

  it('backward inside scope() releases the graph and keeps .grad', () => {
    const x = leaf([1, 2]);
    scope(() => x.mul(x).sum().backward());
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });
});
