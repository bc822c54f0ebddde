/**
 * Numeric gradient checks: for L = sum(f(inputs) * upstream), every float
 * input's `.grad` after `backward()` matches central differences
 * (L(x + eps) - L(x - eps)) / 2eps computed in float32, element by element.
 * Inputs are drawn to stay at least a few eps away from kinks and ties.
 */
import { describe, expect, it } from 'vitest';
import {
  Generator, Tensor, cat, linear, noGrad, scope, softmaxCrossEntropy, stack, tensor, where,
} from '@duet/core';

const EPS = 1e-2;
const ATOL = 1e-2;
const RTOL = 2e-2;

interface Input {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

const gen = new Generator(20240611);
const normal = (): number => {
  const u = 1 - gen.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * gen.random());
};
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
const floats = (shape: number[], draw: () => number): Input => ({ shape, values: Float32Array.from({ length: size(shape) }, draw) });

const randn = (...shape: number[]) => floats(shape, normal);
const positive = (...shape: number[]) => floats(shape, () => 0.5 + 1.5 * gen.random());
/** At least 0.1 away from 0 (kinks of relu, abs, ...). */
const away = (...shape: number[]) => floats(shape, () => (gen.random() < 0.5 ? -1 : 1) * (0.1 + Math.abs(normal())));
/** Distinct values 0.25 apart, shuffled: no near-ties for max / sort-like ops. */
const distinct = (...shape: number[]): Input => {
  const n = size(shape);
  const p = gen.randperm(n);
  return { shape, values: Float32Array.from(p, (k) => (k - (n - 1) / 2) * 0.25) };
};
const ints = (high: number, ...shape: number[]): Input => ({ shape, values: Int32Array.from({ length: size(shape) }, () => gen.randint(high)) });
const bools = (...shape: number[]): Input => ({ shape, values: Uint8Array.from({ length: size(shape) }, () => (gen.random() < 0.5 ? 1 : 0)) });

function make(x: Input, requiresGrad = false): Tensor {
  if (x.values instanceof Float32Array) return tensor(x.values, { shape: x.shape, requiresGrad });
  if (x.values instanceof Int32Array) return tensor(x.values, { shape: x.shape });
  return tensor(Array.from(x.values, Boolean), { shape: x.shape, dtype: 'bool' });
}

type Fn = (...xs: Tensor[]) => Tensor;

/** L = sum(f(xs) * u), accumulated in float64 from the float32 output. */
function loss(f: Fn, inputs: Input[], upstream: Float64Array | null): { value: number; shape: number[] } {
  return scope(() => {
    const out = f(...inputs.map((x) => make(x)));
    const v = out.dataSync();
    let s = 0;
    v.forEach((o, k) => (s += o * (upstream?.[k] ?? 1)));
    return { value: s, shape: [...out.shape] };
  });
}

function gradcheck(f: Fn, inputs: Input[]): void {
  const { shape } = noGrad(() => loss(f, inputs, null));
  const upstream = Float64Array.from({ length: size(shape) }, normal);
  // analytic
  const analytic = scope(() => {
    const xs = inputs.map((x) => make(x, x.values instanceof Float32Array));
    const out = f(...xs);
    out.backward(tensor(Float32Array.from(upstream), { shape }));
    const gs = xs.map((x) => (x.requiresGrad ? Float64Array.from(x.grad?.dataSync() ?? new Float32Array(x.numel())) : null));
    for (const x of xs) {
      x.grad?.dispose();
      x.dispose();
    }
    return gs;
  });
  // numeric, one element at a time
  const mismatches: string[] = [];
  inputs.forEach((x, i) => {
    const ana = analytic[i];
    if (ana == null) return;
    const v = x.values as Float32Array;
    for (let j = 0; j < v.length; j++) {
      const orig = v[j]!;
      const at = (value: number) => {
        const w = Float32Array.from(v);
        w[j] = value;
        const xs = inputs.map((y, k) => (k === i ? { shape: y.shape, values: w } : y));
        return noGrad(() => loss(f, xs, upstream)).value;
      };
      const hi = Math.fround(orig + EPS);
      const lo = Math.fround(orig - EPS);
      const num = (at(hi) - at(lo)) / (hi - lo);
      const a = ana[j]!;
      if (!(Math.abs(num - a) <= ATOL + RTOL * Math.abs(a))) mismatches.push(`input ${i} element ${j}: backward() ${a}, central differences ${num}`);
    }
  });
  expect(mismatches).toEqual([]);
}

const CHECKS: [string, Input[], Fn][] = [
  // arithmetic with broadcasting
  ['add/sub/mul broadcast', [randn(2, 3), randn(3)], (a, b) => a.mul(b).add(a).sub(b.mul(2))],
  ['div broadcast', [randn(2, 3), away(3, 1)], (a, b) => a.div(b.reshape([1, 3]))],
  ['pow tensor', [positive(2, 3), randn(2, 3)], (a, b) => a.pow(b)],
  ['pow scalar', [randn(2, 3)], (a) => a.pow(3)],
  ['pow fractional', [positive(2, 3)], (a) => a.pow(-1.5)],
  ['maximum / minimum', [distinct(2, 3), distinct(2, 3)], (a, b) => a.maximum(b.add(0.125)).add(a.minimum(b.sub(0.125)))],
  // unary
  ['exp log', [positive(2, 3)], (a) => a.exp().add(a.log())],
  ['log1p sqrt rsqrt', [positive(2, 3)], (a) => a.log1p().add(a.sqrt()).add(a.rsqrt())],
  ['sin cos', [randn(2, 3)], (a) => a.sin().mul(a.cos().add(2))],
  ['abs neg', [away(2, 3)], (a) => a.abs().mul(a.neg())],
  ['clamp', [distinct(3, 4)], (a) => a.clamp(-0.6, 0.6).mul(a)],
  // activations
  ['relu leakyRelu', [away(2, 3)], (a) => a.relu().add(a.leakyRelu(0.2).mul(2))],
  ['elu', [away(2, 3)], (a) => a.elu(0.7)],
  ['gelu', [randn(2, 3)], (a) => a.gelu()],
  ['gelu tanh', [randn(2, 3)], (a) => a.gelu({ approximate: 'tanh' })],
  ['silu sigmoid tanh', [randn(2, 3)], (a) => a.silu().add(a.sigmoid()).add(a.tanh())],
  ['softplus', [randn(2, 3)], (a) => a.softplus({ beta: 2 })],
  ['softmax', [randn(2, 3, 2)], (a) => a.softmax(1)],
  ['logSoftmax', [randn(3, 4)], (a) => a.logSoftmax(0)],
  // reductions
  ['sum mean', [randn(2, 3, 2)], (a) => a.sum([0, 2]).add(a.mean(2).sum(0))],
  ['var std', [randn(3, 4)], (a) => a.var(1).add(a.std(0, { correction: 0 }).sum())],
  ['prod (with a zero)', [{ shape: [2, 3], values: Float32Array.from([0.5, 0, 1.5, -1.2, 0.8, 1.1]) }], (a) => a.prod(1)],
  ['amax amin', [distinct(3, 4)], (a) => a.amax(1).add(a.amin(0).sum())],
  ['max(dim) min()', [distinct(3, 4)], (a) => a.max(0)[0].sum().add(a.min())],
  ['logsumexp', [randn(3, 4)], (a) => a.logsumexp(1)],
  ['norm', [away(3, 4)], (a) => a.norm().add(a.norm(3, 1).sum()).add(a.norm(1))],
  // linear algebra
  ['matmul batched broadcast', [randn(2, 1, 2, 3), randn(2, 3, 2)], (a, b) => a.matmul(b)],
  ['matmul 1-d', [randn(3), randn(3, 2)], (a, b) => a.matmul(b)],
  ['linear', [randn(4, 3), randn(2, 3), randn(2)], (x, w, b) => linear(x, w, b)],
  // indexing and shape
  ['gather', [randn(3, 4), ints(4, 3, 5)], (a, i) => a.gather(1, i)],
  ['indexSelect (repeated indices)', [randn(3, 4), { shape: [5], values: Int32Array.from([2, 0, 2, 1, 2]) }], (a, i) => a.indexSelect(0, i)],
  ['where / maskedFill', [randn(3, 4), randn(4), bools(3, 4)], (a, b, m) => where(m, a, b).add(a.maskedFill(m.logicalNot(), 0))],
  ['cat stack split', [randn(2, 3), randn(2, 3)], (a, b) => {
    const [p, q] = cat([a, b], 1).split([2, 4], 1) as [Tensor, Tensor];
    return stack([p.mul(q.narrow(1, 0, 2)), a.slice(1, 1)], 0);
  }],
  ['transpose permute reshape flip', [randn(2, 3, 2)], (a) => a.permute([2, 0, 1]).reshape([4, 3]).transpose(0, 1).flip([0]).mul(a.reshape([3, 4]))],
  ['expand repeat', [randn(3, 1)], (a) => a.expand([2, 3, 4]).mul(a.repeat([2, 1, 4]))],
  ['slice step, select, squeeze', [randn(4, 5)], (a) => a.slice(1, 0, null, 2).select(0, 1).add(a.slice(0, 1, 2).squeeze(0).narrow(0, 1, 3))],
  // losses and the seed program
  ['softmaxCrossEntropy', [randn(4, 3), ints(3, 4)], (a, t) => softmaxCrossEntropy(a, t)],
  ['seed program', [randn(3, 2), randn(2, 1)], (x, w) => x.matmul(w).tanh().mul(x.sum(1, { keepdim: true })).logsumexp(0).mean()],
];

describe('backward() matches central differences', () => {
  it.each(CHECKS)('%s', (_name, inputs, f) => gradcheck(f, inputs));
});
