/**
 * `keras.ops`: Keras 3's backend-agnostic functions (`ops.matmul`,
 * `ops.sum(x, axis=0)`, `ops.exp`, ...) over core's Tensor methods, so that
 * a layer written with `keras.ops` ports line for line. Required arguments
 * are positional, the rest one options object in Keras's names
 * (`ops.sum(x, { axis: 0, keepdims: true })`). The math is core's: each
 * function is one Tensor method call, so autograd sees the same graph.
 *
 * @example
 * ```ts
 * import { ops } from '@duet/keras';
 * ops.matmul(inputs, this.w).add(this.b); // ops.matmul(inputs, self.w) + self.b
 * ```
 */
import { Tensor, arange, cat, ones as coreOnes, stack as coreStack, tensor, where as coreWhere, zeros as coreZeros, type TensorLike } from '@duet/core';
import { KerasValueError } from '../errors.js';

/** Keras's `axis` argument (one axis, several, or null for all). */
export interface AxisOptions {
  axis?: number | number[] | null;
  keepdims?: boolean;
}

/** A Tensor from a Tensor, a number or nested arrays (Keras's `convert_to_tensor`). */
export function convertToTensor(x: TensorLike | readonly unknown[], options: { dtype?: 'float32' | 'int32' | 'bool' } = {}): Tensor {
  if (x instanceof Tensor) return options.dtype === undefined || options.dtype === x.dtype ? x : x.to(options.dtype);
  return tensor(x as number[], options.dtype === undefined ? {} : { dtype: options.dtype });
}

function t(x: TensorLike): Tensor {
  return x instanceof Tensor ? x : tensor(x as number);
}

// creation
/** Keras's `ops.ones(shape)` (float32). */
export const ones = (shape: readonly number[]): Tensor => coreOnes([...shape]);
/** Keras's `ops.zeros(shape)` (float32). */
export const zeros = (shape: readonly number[]): Tensor => coreZeros([...shape]);
/** The static shape, as Keras's `ops.shape(x)` (an array: `ops.shape(x)[0]`). */
export const shape = (x: Tensor): number[] => [...x.shape];

// arithmetic
export const add = (a: TensorLike, b: TensorLike): Tensor => t(a).add(b);
export const subtract = (a: TensorLike, b: TensorLike): Tensor => t(a).sub(b);
export const multiply = (a: TensorLike, b: TensorLike): Tensor => t(a).mul(b);
export const divide = (a: TensorLike, b: TensorLike): Tensor => t(a).div(b);
export const power = (a: TensorLike, b: TensorLike): Tensor => t(a).pow(b);
export const negative = (x: Tensor): Tensor => x.neg();
export const maximum = (a: TensorLike, b: TensorLike): Tensor => t(a).maximum(b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => t(a).minimum(b);
export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);

// elementwise
export const abs = (x: Tensor): Tensor => x.abs();
export const exp = (x: Tensor): Tensor => x.exp();
export const log = (x: Tensor): Tensor => x.log();
export const sqrt = (x: Tensor): Tensor => x.sqrt();
export const square = (x: Tensor): Tensor => x.square();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const relu = (x: Tensor): Tensor => x.relu();
/** Keras's `ops.clip(x, x_min, x_max)`. */
export const clip = (x: Tensor, xMin: number, xMax: number): Tensor => x.clamp(xMin, xMax);
export const where = (condition: Tensor, x1: TensorLike, x2: TensorLike): Tensor => coreWhere(condition, x1, x2);

// comparisons (Python's `==`, `<`, ... on tensors; bool results)
export const equal = (a: TensorLike, b: TensorLike): Tensor => t(a).eq(b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => t(a).ne(b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => t(a).gt(b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => t(a).ge(b);
export const less = (a: TensorLike, b: TensorLike): Tensor => t(a).lt(b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => t(a).le(b);
export const softmax = (x: Tensor, options: { axis?: number } = {}): Tensor => x.softmax(options.axis ?? -1);

// reductions
function axisArg(options: AxisOptions): number | number[] | null {
  const a = options.axis ?? null;
  if (a !== null && !(typeof a === 'number' && Number.isInteger(a)) && !(Array.isArray(a) && a.every(Number.isInteger))) {
    throw new KerasValueError(`\`axis\` must be an integer, a list of integers or null. Received: axis=${JSON.stringify(a)}`);
  }
  return a;
}
/** Keras's `ops.sum(x, axis=None, keepdims=False)`. */
export const sum = (x: Tensor, options: AxisOptions = {}): Tensor => x.sum(axisArg(options), { keepdim: options.keepdims ?? false });
/** Keras's `ops.mean(x, axis=None, keepdims=False)`. */
export const mean = (x: Tensor, options: AxisOptions = {}): Tensor => x.mean(axisArg(options), { keepdim: options.keepdims ?? false });
/** Keras's `ops.max(x, axis=None, keepdims=False)`. */
export const max = (x: Tensor, options: AxisOptions = {}): Tensor => x.amax(axisArg(options), { keepdim: options.keepdims ?? false });
/** Keras's `ops.min(x, axis=None, keepdims=False)`. */
export const min = (x: Tensor, options: AxisOptions = {}): Tensor => x.amin(axisArg(options), { keepdim: options.keepdims ?? false });
/** Keras's `ops.argmax(x, axis=None)` (axis null: over the flattened values). */
export const argmax = (x: Tensor, options: { axis?: number | null; keepdims?: boolean } = {}): Tensor =>
  options.axis === undefined || options.axis === null ? x.reshape([-1]).argmax(0) : x.argmax(options.axis, { keepdim: options.keepdims ?? false });

// shapes
export const reshape = (x: Tensor, newShape: readonly number[]): Tensor => x.reshape([...newShape]);
/** Keras's `ops.concatenate(xs, axis=0)`. */
export const concatenate = (xs: Tensor[], options: { axis?: number } = {}): Tensor => cat(xs, options.axis ?? 0);
/** Keras's `ops.stack(xs, axis=0)`. */
export const stack = (xs: Tensor[], options: { axis?: number } = {}): Tensor => coreStack(xs, options.axis ?? 0);
/** Keras's `ops.expand_dims(x, axis)`. */
export const expandDims = (x: Tensor, axis: number): Tensor => x.unsqueeze(axis);
/** Keras's `ops.squeeze(x, axis=None)`. */
export const squeeze = (x: Tensor, options: { axis?: number | null } = {}): Tensor => (options.axis === undefined || options.axis === null ? x.squeeze() : x.squeeze(options.axis));
/** Keras's `ops.transpose(x, axes=None)` (reverses the axes by default). */
export const transpose = (x: Tensor, options: { axes?: number[] | null } = {}): Tensor => x.permute(options.axes ?? x.shape.map((_, i) => x.ndim - 1 - i));
/**
 * Keras's `ops.one_hot(x, num_classes, axis=-1)`: class indices (integer or
 * float, as the guide's float32 labels) to float32 one-hot rows, the new
 * axis at `axis`. An index outside `[0, numClasses)` gives a row of zeros,
 * as Keras (TensorFlow's `one_hot`) does.
 */
export function oneHot(x: Tensor, numClasses: number, options: { axis?: number; dtype?: 'float32' | 'int32' | 'bool' } = {}): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new KerasValueError(`\`num_classes\` must be a positive integer. Received: num_classes=${String(numClasses)}`);
  const axis = options.axis ?? -1;
  const rank = x.ndim + 1;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new KerasValueError(`\`axis\` must be an integer in [${-rank}, ${rank}) for an input of rank ${x.ndim}. Received: axis=${String(axis)}`);
  const idx = x.dtype === 'int32' ? x : x.to('int32');
  let out = idx.unsqueeze(-1).eq(arange(0, numClasses, 1, { dtype: 'int32' })).to(options.dtype ?? 'float32');
  const at = axis < 0 ? rank + axis : axis;
  if (at === rank - 1) return out;
  const dims = [...Array(rank - 1).keys()];
  dims.splice(at, 0, rank - 1);
  return out.permute(dims);
}
/** Keras's `ops.cast(x, dtype)`. */
export const cast = (x: Tensor, dtype: 'float32' | 'int32' | 'bool'): Tensor => x.to(dtype);
