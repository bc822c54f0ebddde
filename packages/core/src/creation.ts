/** Creating tensors: from data, filled, ranges, random; tfjs interop. */
import { tf, type TfTensor } from './engine.js';
import { ArgumentError, DTypeError, ShapeError } from './errors.js';
import { randomNormal, randomUniform } from './random.js';
import { Tensor, type DType } from './tensor.js';

type Nested = number | boolean | Nested[];
export type TensorData = Nested | Float32Array | Int32Array | Uint8Array | Uint8ClampedArray | Int8Array | Int16Array | Uint16Array | Float64Array;

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

const DTYPES: readonly string[] = ['float32', 'int32', 'bool'];
function checkDType(d: string): DType {
  if (!DTYPES.includes(d)) {
    throw new DTypeError(`Unsupported dtype '${d}': expected one of float32, int32, bool (TensorFlow's native engine through tfjs has no float64/int64/uint8 tensors; 64-bit data is converted on load).`);
  }
  return d as DType;
}

function finish(v: TfTensor, options: CreateOptions | undefined): Tensor {
  const t = new Tensor(v);
  if (options?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

function flattenChecked(data: Nested, shape: number[], depth: number, out: (number | boolean)[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new ShapeError(`tensor(): ragged nested array: expected a number at depth ${depth}, received an array.`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new ShapeError(`tensor(): ragged nested array: expected length ${shape[depth]} at depth ${depth}, received ${Array.isArray(data) ? `length ${data.length}` : 'a number'}.`);
  }
  for (const x of data) flattenChecked(x, shape, depth + 1, out);
}

/**
 * A tensor from nested arrays, a number or a typed array (with `shape`).
 * Numbers give float32 (like tfjs; pass `dtype: 'int32'` for ints), booleans
 * give bool, Int32Array gives int32, other integer typed arrays give int32.
 */
export function tensor(data: TensorData, options: CreateOptions & { shape?: number[] } = {}): Tensor {
  let values: Float32Array | Int32Array | Uint8Array | (number | boolean)[];
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const n = (data as Float32Array).length;
    shape = options.shape ?? [n];
    if (sizeOf(shape) !== n) throw new ShapeError(`tensor(): shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, received a typed array of ${n}.`);
    if (data instanceof Float32Array || data instanceof Float64Array) {
      dtype = options.dtype ?? 'float32';
      values = Float32Array.from(data); // a copy, as torch.tensor makes: the tensor may keep it (memory.ts) while you reuse yours
    } else {
      dtype = options.dtype ?? 'int32';
      values = Int32Array.from(data as ArrayLike<number>);
    }
  } else {
    const inferred = inferShape(data as Nested);
    const flat: (number | boolean)[] = [];
    flattenChecked(data as Nested, inferred, 0, flat);
    shape = options.shape ?? inferred;
    if (sizeOf(shape) !== flat.length) throw new ShapeError(`tensor(): shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, received ${flat.length}.`);
    dtype = options.dtype ?? (flat.length > 0 && typeof flat[0] === 'boolean' ? 'bool' : 'float32');
    values = flat;
  }
  checkDType(dtype);
  if (dtype === 'bool') values = Uint8Array.from(values as ArrayLike<number>, (x) => (x ? 1 : 0));
  else if (dtype === 'int32' && !(values instanceof Int32Array)) values = Int32Array.from(values as ArrayLike<number>, (x) => Math.trunc(Number(x)));
  else if (dtype === 'float32' && !(values instanceof Float32Array)) values = Float32Array.from(values as ArrayLike<number>, Number);
  return finish(tf().tensor(values as Float32Array, shape, dtype), options);
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`Invalid shape [${shape.join(', ')}]: sizes must be non-negative integers.`);
    n *= d;
  }
  return n;
}

function checkShape(shape: number[], fn: string): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${fn}(): expected the shape as an array (e.g. ${fn}([2, 3])), received ${JSON.stringify(shape)}.`);
  sizeOf(shape);
  return shape;
}

export function full(shape: number[], value: number | boolean, options: CreateOptions = {}): Tensor {
  const dtype = checkDType(options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  return finish(tf().fill(checkShape(shape, 'full'), value as number, dtype), options);
}
export const zeros = (shape: number[], options: CreateOptions = {}) => full(checkShape(shape, 'zeros'), 0, options);
export const ones = (shape: number[], options: CreateOptions = {}) => full(checkShape(shape, 'ones'), 1, options);
export const zerosLike = (t: Tensor, options: CreateOptions = {}) => full([...t.shape], 0, { dtype: t.dtype, ...options });
export const onesLike = (t: Tensor, options: CreateOptions = {}) => full([...t.shape], 1, { dtype: t.dtype, ...options });
export const fullLike = (t: Tensor, value: number, options: CreateOptions = {}) => full([...t.shape], value, { dtype: t.dtype, ...options });

/** `arange(end)`, `arange(start, end, step)`: int32 when all arguments are integers, else float32. */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new ArgumentError('arange(): step must be nonzero.');
  const dtype = options.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const v = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return finish(tf().tensor(v, [n], checkDType(dtype)), options);
}

export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace(): steps must be a non-negative integer, received ${steps}.`);
  const v = new Float32Array(steps);
  for (let i = 0; i < steps; i++) v[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(tf().tensor(v, [steps], 'float32'), options);
}

export function eye(n: number, m: number = n, options: CreateOptions = {}): Tensor {
  return finish(tf().eye(n, m, undefined, checkDType(options.dtype ?? 'float32') as 'float32'), options);
}

function fillRandom(shape: number[], gen: () => number): Float32Array {
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = gen();
  return v;
}

/** Standard normal samples, seeded by `manualSeed`. */
export function randn(shape: number[], options: CreateOptions = {}): Tensor {
  return finish(tf().tensor(fillRandom(checkShape(shape, 'randn'), randomNormal), shape, 'float32'), options);
}
/** Uniform samples in [0, 1), seeded by `manualSeed`. */
export function rand(shape: number[], options: CreateOptions = {}): Tensor {
  return finish(tf().tensor(fillRandom(checkShape(shape, 'rand'), randomUniform), shape, 'float32'), options);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], options: { dtype?: DType } = {}): Tensor {
  if (!(high > low)) throw new ArgumentError(`randint(): expected low < high, received low=${low}, high=${high}.`);
  const v = new Int32Array(sizeOf(checkShape(shape, 'randint')));
  for (let i = 0; i < v.length; i++) v[i] = low + Math.floor(randomUniform() * (high - low));
  const t = tf().tensor(v, shape, 'int32');
  return new Tensor(options.dtype === 'float32' ? castDispose(t) : t);
}
function castDispose(t: TfTensor): TfTensor {
  const c = tf().cast(t, 'float32');
  t.dispose();
  return c;
}
export const randnLike = (t: Tensor) => randn([...t.shape]);
export const randLike = (t: Tensor) => rand([...t.shape]);

/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number): Tensor {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(randomUniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return new Tensor(tf().tensor(p, [n], 'int32'));
}

/** A Duet tensor holding a copy of a tfjs tensor (yours stays yours). */
export function fromTf(t: TfTensor, options: CreateOptions = {}): Tensor {
  const d = t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool' ? t.dtype : checkDType(t.dtype);
  return finish(d === t.dtype ? tf().clone(t) : tf().cast(t, d), options);
}
/** A tfjs tensor holding a copy of the values; you own it (dispose it when done). */
export function toTf(t: Tensor): TfTensor {
  return tf().clone(t._v());
}
