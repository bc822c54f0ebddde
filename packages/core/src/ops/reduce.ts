/** Reductions with PyTorch's `dim` / `keepdim` semantics. */
import { tf, unaryKernel, reduceKernel, scalarConst, type TfTensor } from '../kernels/index.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { noGrad, record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { broadcastTo, normDim, normDims, shapeStr } from './util.js';


/** Shape of the reduced tensor with the reduced dims kept as 1. */
function keptShape(shape: readonly number[], axes: number[] | undefined): number[] {
  if (axes === undefined) return shape.map(() => 1);
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Broadcast a gradient of a reduction back to the input's shape. */
function spread(g: TfTensor, shape: readonly number[], axes: number[] | undefined): TfTensor {
  return broadcastTo(tf().reshape(g, keptShape(shape, axes)), shape as number[]);
}

export function sum(a: Tensor, dim: number | number[] | null | undefined, keepdim = false): Tensor {
  const axes = normDims(dim, a.ndim);
  const x = a._v();
  const xv = a.dtype === 'bool' ? tf().cast(x, 'int32') : x;
  const out = new Tensor(reduceKernel('Sum', xv, axes, keepdim));
  if (xv !== x) xv.dispose();
  return record(out, 'SumBackward', [a], (g) => [spread(g, a.shape, axes)]);
}

export function mean(a: Tensor, dim: number | number[] | null | undefined, keepdim = false): Tensor {
  const axes = normDims(dim, a.ndim);
  const x = a._v();
  const xv = a.dtype === 'float32' ? x : tf().cast(x, 'float32');
  const out = new Tensor(reduceKernel('Mean', xv, axes, keepdim)); // raw kernel: tf.mean adds a Cast
  if (xv !== x) xv.dispose();
  const n = axes === undefined ? a.numel() : axes.reduce((p, i) => p * a.shape[i]!, 1);
  return record(out, 'MeanBackward', [a], (g) => [spread(tf().div(g, scalarConst(n, 'float32')), a.shape, axes)]);
}

export function prod(a: Tensor, dim: number | null | undefined, keepdim = false): Tensor {
  const d = dim === undefined || dim === null ? undefined : normDim(dim, a.ndim);
  const x = a._v();
  const out = new Tensor(d === undefined ? tf().prod(x) : tf().prod(x, d, keepdim));
  return record(out, 'ProdBackward', [a], (g) => {
    const t = tf();
    // d prod / d x_i = product of all the others: exclusive cumprods from both sides (safe with zeros).
    const flat = d === undefined;
    const xv = flat ? t.reshape(a._v(), [-1]) : a._v();
    const ax = flat ? 0 : d;
    const others = t.mul(t.cumprod(xv, ax, true, false), t.cumprod(xv, ax, true, true));
    const axes = flat ? undefined : [d];
    return [t.mul(spread(g, a.shape, axes), t.reshape(others, a.shape as number[]))];
  });
}

/** amax / amin: the gradient is shared evenly among tied extremes (PyTorch's rule). */
function extreme(a: Tensor, dim: number | number[] | null | undefined, keepdim: boolean, kind: 'max' | 'min'): Tensor {
  const axes = normDims(dim, a.ndim);
  const out = new Tensor(tf()[kind](a._v(), axes, keepdim));
  return record(out, kind === 'max' ? 'AmaxBackward' : 'AminBackward', [a], (g) => {
    const t = tf();
    const mask = t.cast(t.equal(a._v(), spread(out._v(), a.shape, axes)), 'float32');
    const count = t.sum(mask, axes, true);
    return [t.div(t.mul(spread(g, a.shape, axes), mask), count)];
  });
}
export const amax = (a: Tensor, dim: number | number[] | null | undefined, keepdim = false) => extreme(a, dim, keepdim, 'max');
export const amin = (a: Tensor, dim: number | number[] | null | undefined, keepdim = false) => extreme(a, dim, keepdim, 'min');

/** `max(dim)` / `min(dim)`: `[values, indices]`; the gradient goes to the returned index. */
export function maxWithIndices(a: Tensor, dim: number, keepdim = false, kind: 'max' | 'min'): [Tensor, Tensor] {
  const d = normDim(dim, a.ndim);
  nonEmpty(kind, a, d);
  const t = tf();
  const x = a._v();
  const values = new Tensor(t[kind](x, d, keepdim));
  const idx = t[kind === 'max' ? 'argMax' : 'argMin'](x, d);
  const indices = new Tensor(keepdim ? reshapeKeep(idx, a.shape, d) : idx);
  record(values, kind === 'max' ? 'MaxBackward' : 'MinBackward', [a], (g) => {
    const n = a.shape[d]!;
    const oh = t.oneHot(t.reshape(indices._v(), [-1]), n); // [M, n]
    const rest = a.shape.filter((_, i) => i !== d);
    const ohShaped = t.reshape(oh, [...rest, n]);
    const perm = [...rest.keys()];
    perm.splice(d, 0, rest.length);
    const mask = t.cast(t.transpose(ohShaped, perm), 'float32');
    return [t.mul(mask, spread(g, a.shape, [d]))];
  });
  return [values, indices];
}

function reshapeKeep(x: TfTensor, shape: readonly number[], d: number): TfTensor {
  const r = tf().reshape(x, keptShape(shape, [d]));
  x.dispose();
  return r;
}

export function argExt(a: Tensor, dim: number | undefined, keepdim = false, k: 'argMax' | 'argMin'): Tensor {
  const op = k === 'argMax' ? 'argmax' : 'argmin';
  const t = tf();
  if (dim === undefined) {
    nonEmpty(op, a, undefined);
    // reshape, arg, reshape in one tidy: released together if a kernel throws.
    return new Tensor(t.tidy(() => {
      const r = t[k](t.reshape(a._v(), [-1]), 0);
      return keepdim ? t.reshape(r, a.shape.map(() => 1)) : r;
    }));
  }
  const d = normDim(dim, a.ndim);
  nonEmpty(op, a, d);
  const r = t[k](a._v(), d);
  return new Tensor(keepdim ? reshapeKeep(r, a.shape, d) : r);
}

/** An index-returning reduction needs something to pick from (PyTorch's check; TF would fail in the kernel). */
function nonEmpty(op: string, a: Tensor, d: number | undefined): void {
  const n = d === undefined ? a.numel() : a.ndim === 0 ? 1 : a.shape[d]!;
  if (n === 0) {
    throw new ShapeError(`${op}(): expected reduction ${d === undefined ? 'over the whole tensor' : `dim ${d}`} to have a non-zero size, received shape ${shapeStr(a.shape)}.`);
  }
}

/** Variance with Bessel's correction by default (`correction: 1`), like PyTorch. */
export function variance(a: Tensor, dim: number | number[] | null | undefined, options: { keepdim?: boolean; correction?: number; unbiased?: boolean } = {}): Tensor {
  const axes = normDims(dim, a.ndim);
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  const n = axes === undefined ? a.numel() : axes.reduce((p, i) => p * a.shape[i]!, 1);
  const m = mean(a, axes ?? null, true);
  const diff = a.sub(m);
  return sum(diff.mul(diff), axes ?? null, options.keepdim ?? false).div(Math.max(n - correction, 0));
}

/** log(sum(exp(x))) along `dim`, computed stably. */
export function logsumexp(a: Tensor, dim: number | number[], keepdim = false): Tensor {
  const axes = normDims(dim, a.ndim)!;
  const m = noGrad(() => {
    const mx = amax(a, axes, true);
    // An all -inf slice would give nan; shift by 0 there.
    return mx.where(mx.abs().ne(Infinity), 0);
  });
  const s = sum(a.sub(m).exp(), axes, true).log().add(m);
  return keepdim ? s : s.reshape(a.shape.filter((_, i) => !axes.includes(i)));
}

export function logicalReduce(a: Tensor, dim: number | undefined, keepdim = false, k: 'all' | 'any'): Tensor {
  const t = tf();
  const x = a._v();
  const b = a.dtype === 'bool' ? x : t.notEqual(x, scalarConst(0, a.dtype));
  const axes = dim === undefined ? undefined : normDim(dim, a.ndim);
  const out = new Tensor(t[k](b, axes, keepdim));
  if (b !== x) b.dispose();
  return out;
}

/** Vector p-norm, like `torch.linalg.vector_norm`: any p, ±Infinity (max / min of |x|), 0 (count of nonzeros). */
export function norm(a: Tensor, p: number, dim: number | number[] | null | undefined, keepdim = false): Tensor {
  if (p === 1) return sum(a.abs(), dim, keepdim);
  if (p === Infinity) return amax(a.abs(), dim, keepdim);
  if (p === -Infinity) return amin(a.abs(), dim, keepdim);
  if (p === 0) return sum(a.sign().abs(), dim, keepdim); // |sign(x)| is 1 for nonzeros; its gradient is 0
  if (Number.isNaN(p)) throw new ArgumentError(`norm(): expected a number or ±Infinity for p, received ${p}.`);
  return pNorm(a, p, dim, keepdim);
}

/**
 * sum(|x|^p)^(1/p) as one recorded op, with PyTorch's gradient
 * sign(x) |x|^(p-1) / norm^(p-1), which is 0 (not NaN) where the norm is 0
 * and, for p < 1, where x is 0.
 */
function pNorm(a: Tensor, p: number, dim: number | number[] | null | undefined, keepdim: boolean): Tensor {
  const axes = normDims(dim, a.ndim);
  const f = (v: number) => scalarConst(v, 'float32');
  const out = new Tensor(tf().tidy(() => {
    const t = tf();
    const x = a.dtype === 'float32' ? a._v() : t.cast(a._v(), 'float32');
    // p = 2 (clipGradNorm_ runs one per parameter every step): 3 raw kernels, no Cast or Reshape.
    if (p === 2) return unaryKernel('Sqrt', reduceKernel('Sum', unaryKernel('Square', x), axes, keepdim));
    return t.pow(t.sum(t.pow(t.abs(x), f(p)), axes, keepdim), f(1 / p));
  }));
  return record(out, 'NormBackward', [a], (g) => {
    const t = tf();
    const x = a._v();
    const n = spread(out._v(), a.shape, axes);
    const scale = t.div(spread(g, a.shape, axes), p === 2 ? n : t.pow(n, f(p - 1)));
    let scaled = p === 2 ? x : t.mul(t.sign(x), t.pow(t.abs(x), f(p - 1)));
    if (p < 1) scaled = t.where(t.equal(x, f(0)), t.zerosLike(x), scaled);
    return [t.mul(scaled, t.where(t.equal(n, f(0)), t.zerosLike(scale), scale))];
  });
}

