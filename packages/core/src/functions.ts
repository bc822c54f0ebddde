/**
 * PyTorch's function forms (`torch.flatten(x, 1)`, `torch.argmax(out, 1)`),
 * beside the methods. Each calls the method of the same name, so the two
 * forms can never differ. `cat`, `stack` and `where` are in their op files.
 *
 * @example
 * ```ts
 * import { flatten, argmax, relu } from '@duet/core';
 * const pred = argmax(relu(flatten(x, 1)), 1);   // torch.argmax(torch.relu(torch.flatten(x, 1)), dim=1)
 * ```
 */
import { Tensor, type DimOptions, type TensorLike } from './tensor.js';
import { tensor } from './creation.js';

type VarOptions = DimOptions & { correction?: number; unbiased?: boolean };

// elementwise; the arithmetic ones also take a number first, as Python's `2 * t`, `1 - t`, `1 / t`, `2 ** t` do
export function add(a: Tensor, b: TensorLike, options?: { alpha?: number }): Tensor;
export function add(a: number, b: Tensor, options?: { alpha?: number }): Tensor;
export function add(a: TensorLike, b: TensorLike, options?: { alpha?: number }): Tensor {
  if (a instanceof Tensor) return a.add(b, options);
  const t = b as Tensor;
  return (options?.alpha === undefined ? t : t.mul(options.alpha)).add(a);
}
export function sub(a: Tensor, b: TensorLike, options?: { alpha?: number }): Tensor;
export function sub(a: number, b: Tensor, options?: { alpha?: number }): Tensor;
export function sub(a: TensorLike, b: TensorLike, options?: { alpha?: number }): Tensor {
  if (a instanceof Tensor) return a.sub(b, options);
  return (b as Tensor).mul(-(options?.alpha ?? 1)).add(a);
}
export function mul(a: TensorLike, b: Tensor): Tensor;
export function mul(a: Tensor, b: TensorLike): Tensor;
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return a instanceof Tensor ? a.mul(b) : (b as Tensor).mul(a);
}
export function div(a: TensorLike, b: Tensor): Tensor;
export function div(a: Tensor, b: TensorLike): Tensor;
export function div(a: TensorLike, b: TensorLike): Tensor {
  return (a instanceof Tensor ? a : tensor(a as number)).div(b);
}
export function pow(a: TensorLike, b: Tensor): Tensor;
export function pow(a: Tensor, b: TensorLike): Tensor;
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return (a instanceof Tensor ? a : tensor(a as number)).pow(b);
}
export const maximum = (a: Tensor, b: TensorLike): Tensor => a.maximum(b);
export const minimum = (a: Tensor, b: TensorLike): Tensor => a.minimum(b);
export const neg = (a: Tensor): Tensor => a.neg();
export const abs = (a: Tensor): Tensor => a.abs();
export const exp = (a: Tensor): Tensor => a.exp();
export const log = (a: Tensor): Tensor => a.log();
export const log1p = (a: Tensor): Tensor => a.log1p();
export const sqrt = (a: Tensor): Tensor => a.sqrt();
export const rsqrt = (a: Tensor): Tensor => a.rsqrt();
export const square = (a: Tensor): Tensor => a.square();
export const reciprocal = (a: Tensor): Tensor => a.reciprocal();
export const sin = (a: Tensor): Tensor => a.sin();
export const cos = (a: Tensor): Tensor => a.cos();
export const sign = (a: Tensor): Tensor => a.sign();
export const floor = (a: Tensor): Tensor => a.floor();
export const ceil = (a: Tensor): Tensor => a.ceil();
export const round = (a: Tensor): Tensor => a.round();
export const clamp = (a: Tensor, min?: number | null, max?: number | null): Tensor => a.clamp(min, max);
export const addcmul = (a: Tensor, t1: Tensor, t2: TensorLike, options?: { value?: number }): Tensor => a.addcmul(t1, t2, options);
export const addcdiv = (a: Tensor, t1: Tensor, t2: TensorLike, options?: { value?: number }): Tensor => a.addcdiv(t1, t2, options);
export const lerp = (a: Tensor, end: Tensor, weight: number | Tensor): Tensor => a.lerp(end, weight);
export const maskedFill = (a: Tensor, mask: Tensor, value: number): Tensor => a.maskedFill(mask, value);
// activations
export const relu = (a: Tensor): Tensor => a.relu();
export const sigmoid = (a: Tensor): Tensor => a.sigmoid();
export const tanh = (a: Tensor): Tensor => a.tanh();
export const softmax = (a: Tensor, dim: number): Tensor => a.softmax(dim);
export const logSoftmax = (a: Tensor, dim: number): Tensor => a.logSoftmax(dim);
// comparisons
export const eq = (a: Tensor, b: TensorLike): Tensor => a.eq(b);
export const ne = (a: Tensor, b: TensorLike): Tensor => a.ne(b);
export const lt = (a: Tensor, b: TensorLike): Tensor => a.lt(b);
export const le = (a: Tensor, b: TensorLike): Tensor => a.le(b);
export const gt = (a: Tensor, b: TensorLike): Tensor => a.gt(b);
export const ge = (a: Tensor, b: TensorLike): Tensor => a.ge(b);
// reductions
export const sum = (a: Tensor, dim?: number | number[] | null, options?: DimOptions): Tensor => a.sum(dim, options);
export const mean = (a: Tensor, dim?: number | number[] | null, options?: DimOptions): Tensor => a.mean(dim, options);
export const prod = (a: Tensor, dim?: number | null, options?: DimOptions): Tensor => a.prod(dim, options);
export const amax = (a: Tensor, dim?: number | number[] | null, options?: DimOptions): Tensor => a.amax(dim, options);
export const amin = (a: Tensor, dim?: number | number[] | null, options?: DimOptions): Tensor => a.amin(dim, options);
export const argmax = (a: Tensor, dim?: number, options?: DimOptions): Tensor => a.argmax(dim, options);
export const argmin = (a: Tensor, dim?: number, options?: DimOptions): Tensor => a.argmin(dim, options);
export const variance = (a: Tensor, dim?: number | number[] | null, options?: VarOptions): Tensor => a.var(dim, options);
export const std = (a: Tensor, dim?: number | number[] | null, options?: VarOptions): Tensor => a.std(dim, options);
export const logsumexp = (a: Tensor, dim: number | number[], options?: DimOptions): Tensor => a.logsumexp(dim, options);
export const norm = (a: Tensor, p?: number, dim?: number | number[] | null, options?: DimOptions): Tensor => a.norm(p, dim, options);
export const all = (a: Tensor, dim?: number, options?: DimOptions): Tensor => a.all(dim, options);
export const any = (a: Tensor, dim?: number, options?: DimOptions): Tensor => a.any(dim, options);

/** `torch.max`: the maximum; with a dim, `[values, indices]`; with a tensor, the elementwise maximum. */
export function max(a: Tensor): Tensor;
export function max(a: Tensor, dim: number, options?: DimOptions): [Tensor, Tensor];
export function max(a: Tensor, other: Tensor): Tensor;
export function max(a: Tensor, dimOrOther?: number | Tensor, options?: DimOptions): Tensor | [Tensor, Tensor] {
  if (dimOrOther instanceof Tensor) return a.maximum(dimOrOther);
  return dimOrOther === undefined ? a.max() : a.max(dimOrOther, options);
}
/** `torch.min`: the minimum; with a dim, `[values, indices]`; with a tensor, the elementwise minimum. */
export function min(a: Tensor): Tensor;
export function min(a: Tensor, dim: number, options?: DimOptions): [Tensor, Tensor];
export function min(a: Tensor, other: Tensor): Tensor;
export function min(a: Tensor, dimOrOther?: number | Tensor, options?: DimOptions): Tensor | [Tensor, Tensor] {
  if (dimOrOther instanceof Tensor) return a.minimum(dimOrOther);
  return dimOrOther === undefined ? a.min() : a.min(dimOrOther, options);
}
// linear algebra
export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);
export const mm = (a: Tensor, b: Tensor): Tensor => a.mm(b);
// shape
export const reshape = (a: Tensor, shape: number[]): Tensor => a.reshape(shape);
export const flatten = (a: Tensor, startDim?: number, endDim?: number): Tensor => a.flatten(startDim, endDim);
export const unflatten = (a: Tensor, dim: number, sizes: number[]): Tensor => a.unflatten(dim, sizes);
export const transpose = (a: Tensor, dim0: number, dim1: number): Tensor => a.transpose(dim0, dim1);
export const permute = (a: Tensor, dims: number[]): Tensor => a.permute(dims);
export const squeeze = (a: Tensor, dim?: number): Tensor => a.squeeze(dim);
export const unsqueeze = (a: Tensor, dim: number): Tensor => a.unsqueeze(dim);
export const split = (a: Tensor, splitSizeOrSections: number | number[], dim?: number): Tensor[] => a.split(splitSizeOrSections, dim);
export const chunk = (a: Tensor, chunks: number, dim?: number): Tensor[] => a.chunk(chunks, dim);
export const narrow = (a: Tensor, dim: number, start: number, length: number): Tensor => a.narrow(dim, start, length);
export const flip = (a: Tensor, dims: number[]): Tensor => a.flip(dims);
export const gather = (a: Tensor, dim: number, index: Tensor): Tensor => a.gather(dim, index);
export const indexSelect = (a: Tensor, dim: number, index: Tensor): Tensor => a.indexSelect(dim, index);
export const clone = (a: Tensor): Tensor => a.clone();
export const numel = (a: Tensor): number => a.numel();
