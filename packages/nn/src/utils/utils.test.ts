import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, arange, tensor, zeros } from '@duet/core';
import { Linear } from '../layers/linear.js';
import { clipGradNorm_, clipGradValue_, parametersToVector, vectorToParameters } from './index.js';

describe('nn.utils', () => {
  it('parametersToVector / vectorToParameters round-trip in place', () => {
    const m = new Linear(3, 2);
    const v = parametersToVector(m.parameters());
    expect(v.shape).toEqual([8]);
    expect(v.toArray().slice(0, 6)).toEqual(m.weight.toArray().flat());
    const w = m.weight;
    vectorToParameters(arange(0, 8).float(), m.parameters());
    expect(m.weight).toBe(w);
    expect(m.weight.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(m.bias!.toArray()).toEqual([6, 7]);
    expect(() => vectorToParameters(zeros([7]), m.parameters())).toThrow(ShapeError);
  });

  it('clipGradNorm_ returns a 0-d tensor (0 without gradients) and can refuse non-finite norms', () => {
    const p = zeros([2]).requiresGrad_();
    expect(clipGradNorm_([p], 1).item()).toBe(0);
    p.grad = tensor([3, 4]);
    const total = clipGradNorm_(p, 1);
    expect(total.shape).toEqual([]);
    expect(total.item()).toBeCloseTo(5, 6);
    expect(p.grad!.toArray()[0]).toBeCloseTo(0.6, 5);
    p.grad = tensor([Infinity, 1]);
    expect(() => clipGradNorm_([p], 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite/);
    expect(() => clipGradNorm_([p], 1, 0)).toThrow(ArgumentError);
    p.grad = tensor([-3, 0.2]);
    clipGradValue_([p], 1);
    expect(p.grad!.toArray()).toEqual([-1, expect.closeTo(0.2, 6)]);
  });
});
