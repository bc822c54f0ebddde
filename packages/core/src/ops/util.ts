/** Small helpers shared by the op files: dims, dtype promotion, operands. */
import { tf, scalarConst, type TfTensor } from '../kernels/index.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { Tensor, type DType, type TensorLike } from '../tensor.js';
import { valueIn, type OpLayout } from '../layout.js';

/** Normalise a possibly negative dim for a tensor of rank `ndim` (PyTorch's rule). */
export function normDim(dim: number, ndim: number, what = 'dim'): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new ArgumentError(`${what} out of range: expected an integer in [${-n}, ${n - 1}], received ${dim}.`);
  }
  return dim < 0 ? dim + n : dim;
}

export function normDims(dim: number | number[] | null | undefined, ndim: number): number[] | undefined {
  if (dim === undefined || dim === null) return undefined;
  const ds = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim(d, ndim));
  for (let i = 1; i < ds.length; i++) {
    if (ds.indexOf(ds[i]!) < i) throw new ArgumentError(`dim ${ds[i]} appears multiple times in the list of dims [${(dim as number[]).join(', ')}].`);
  }
  return ndim === 0 ? [] : ds; // a 0-d tensor accepts dim 0 / -1 and has nothing to reduce
}

/** `tf.broadcastTo`, also for a target with a zero-size dim (tfjs returns the input unchanged there). */
export function broadcastTo(x: TfTensor, shape: number[]): TfTensor {
  return sizeOf(shape) === 0 ? tf().zeros(shape, x.dtype) : tf().broadcastTo(x, shape);
}

/** PyTorch's type promotion for our three dtypes. */
export function promote(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

export function scalarDType(v: number | boolean): DType {
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int32' : 'float32';
}

/** The result dtype of `t op o` (a Python number only upgrades int to float when it is not whole). */
export function resultType(t: Tensor, o: TensorLike): DType {
  if (o instanceof Tensor) return promote(t.dtype, o.dtype);
  const s = scalarDType(o);
  if (t.dtype === 'float32') return 'float32';
  if (s === 'float32') return 'float32';
  if (t.dtype === 'bool' && s === 'bool') return 'bool';
  return 'int32';
}

/** The native operand for `o` in dtype `dt`, in the layout `l` (default logical); casts made here are pushed to `temps` (dispose after the op). */
export function prep(o: TensorLike, dt: DType, temps: TfTensor[], l?: OpLayout): TfTensor {
  if (o instanceof Tensor) {
    const v = l === undefined ? o._v() : valueIn(l, o);
    if (v.dtype === dt) return v;
    const c = tf().cast(v, dt);
    temps.push(c);
    return c;
  }
  return scalarConst(o, dt);
}

export function requireFloat(t: Tensor, op: string): void {
  if (t.dtype !== 'float32') throw new DTypeError(`${op}: expected a float32 tensor, received ${t.dtype}. Convert with .float().`);
}

export function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
