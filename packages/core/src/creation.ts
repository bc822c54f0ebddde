/** Creating tensors: from data, filled, ranges, random; tfjs interop. */
import { tf, type TfTensor } from './kernels/index.js';
import { totalmem } from 'node:os';
import { ArgumentError, DTypeError, OutOfMemoryError, ShapeError } from './errors.js';
import { randomNormal, randomUniform } from './random.js';
import { Tensor, type DType } from './tensor.js';
import { checkInt32Range, isInt64, resolveDType, type DTypeLike } from './dtypes.js';
import { checkDevice, type DeviceLike } from './device.js';

type Nested = number | boolean | Nested[];
export type TensorData = Nested | Float32Array | Int32Array | Uint8Array | Uint8ClampedArray | Int8Array | Int16Array | Uint16Array | Uint32Array | Float64Array;

export interface CreateOptions {
  /** float32, int32, bool; or int64 / long (stored as int32 after a range check, see dtypes.ts). */
  dtype?: DTypeLike;
  requiresGrad?: boolean;
  /** PyTorch's `device=`: checked against the running engine (docs/core.md, "Devices"); tensors live on its one device. */
  device?: DeviceLike;
}

function checkDType(d: string): DType {
  return resolveDType(d);
}

function finish(v: TfTensor, options: CreateOptions | undefined): Tensor {
  if (options?.device !== undefined) {
    try {
      checkDevice(options.device, `creating a tensor with { device: '${options.device}' }`);
    } catch (e) {
      v.dispose();
      throw e;
    }
  }
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
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new DTypeError(`tensor(): ${element(out.length, shape)} is ${describe(data)}; expected numbers or booleans (nested arrays of them, or a typed array).`);
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new ShapeError(`tensor(): ragged nested array: expected length ${shape[depth]} at depth ${depth}, received ${Array.isArray(data) ? `length ${data.length}` : 'a number'}.`);
  }
  for (const x of data) flattenChecked(x, shape, depth + 1, out);
}

/** "element [1, 2]" (row-major position `i` in `shape`), or "the value" for a scalar. */
function element(i: number, shape: readonly number[]): string {
  if (shape.length === 0) return 'the value';
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    at.unshift(n === 0 ? 0 : i % n);
    i = n === 0 ? 0 : Math.floor(i / n);
  }
  return `element [${at.join(', ')}]`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name === undefined || name === 'Object' ? 'an object' : `a ${name}`;
  }
  return `a ${typeof v}`;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Whole numbers toward zero (like PyTorch); NaN, infinities and values past int32 are an error naming the element. */
function toInt32(values: ArrayLike<number | boolean>, shape: readonly number[]): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = Math.trunc(Number(values[i]));
    if (!(x >= INT32_MIN && x <= INT32_MAX)) {
      throw new ArgumentError(`tensor(): ${element(i, shape)} is ${values[i]}, which int32 cannot hold (whole numbers in [${INT32_MIN}, ${INT32_MAX}]).`);
    }
    out[i] = x;
  }
  return out;
}

/** Typed arrays whose every value fits in int32 (no check needed). */
const isSmallInt = (d: ArrayBufferView) =>
  d instanceof Int8Array || d instanceof Uint8Array || d instanceof Uint8ClampedArray || d instanceof Int16Array || d instanceof Uint16Array;

/**
 * A tensor from nested arrays, a number or a typed array (with `shape`).
 * Numbers give float32 (like tfjs; pass `dtype: 'int32'` for ints), booleans
 * give bool, Int32Array gives int32, other integer typed arrays give int32.
 * Anything that is not a number or a boolean (a string, null, an object) is a
 * DTypeError, and a value int32 cannot hold (NaN, Infinity, 3e10) an
 * ArgumentError; both name the element. float32 keeps NaN and infinities.
 * The check rides on the one pass that copies the values; an Int32Array for
 * int32 or a Float32Array for float32 is used as is.
 */
export function tensor(data: TensorData, options: CreateOptions & { shape?: number[] } = {}): Tensor {
  let values: Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | (number | boolean)[];
  let shape: number[];
  let dtype: DType;
  let dataShape: number[]; // the data's own shape, to name a bad element
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new DTypeError(`tensor(): ${describe(data)} is not supported; pass a Float32Array, a Float64Array, an Int32Array or a smaller integer typed array (convert 64-bit integers to an Int32Array first).`);
    }
    const n = (data as Float32Array).length;
    shape = options.shape ?? [n];
    dataShape = [n];
    if (sizeOf(shape) !== n) throw new ShapeError(`tensor(): shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, received a typed array of ${n}.`);
    if (data instanceof Float32Array || data instanceof Float64Array) {
      dtype = checkDType(options.dtype ?? 'float32');
      // a copy, as torch.tensor makes: the tensor may keep it as its host copy (memory.ts) while you reuse yours
      values = data instanceof Float32Array && dtype === 'float32' ? Float32Array.from(data) : data;
    } else {
      dtype = checkDType(options.dtype ?? 'int32');
      values = isSmallInt(data) || data instanceof Int32Array ? Int32Array.from(data as ArrayLike<number>) : (data as Uint32Array);
    }
  } else {
    const inferred = inferShape(data as Nested);
    const flat: (number | boolean)[] = [];
    flattenChecked(data as Nested, inferred, 0, flat);
    shape = options.shape ?? inferred;
    dataShape = inferred;
    if (sizeOf(shape) !== flat.length) throw new ShapeError(`tensor(): shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, received ${flat.length}.`);
    dtype = checkDType(options.dtype ?? (flat.length > 0 && typeof flat[0] === 'boolean' ? 'bool' : 'float32'));
    values = flat;
  }
  if (isInt64(options.dtype)) checkInt32Range(values, shape, `tensor(..., { dtype: '${options.dtype}' })`);
  if (dtype === 'bool') values = Uint8Array.from(values as ArrayLike<number>, (x) => (x ? 1 : 0));
  else if (dtype === 'int32' && !(values instanceof Int32Array)) values = toInt32(values as ArrayLike<number>, dataShape);
  else if (dtype === 'float32' && !(values instanceof Float32Array)) values = new Float32Array(values as ArrayLike<number>); // booleans become 0 and 1
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
  checkFits(fn, shape);
  return shape;
}

/**
 * A tensor larger than the machine's memory is an OutOfMemoryError before
 * anything is allocated (TensorFlow would fail in its allocator, or the
 * process would try to fill the swap): `new nn.Linear(1e6, 1e6)` asks for 4 TB.
 */
function checkFits(fn: string, shape: readonly number[]): void {
  const bytes = sizeOf(shape) * 4;
  if (bytes > totalmem()) {
    throw new OutOfMemoryError(`${fn}(): a tensor of shape [${shape.join(', ')}] needs ${gb(bytes)} (4 bytes per value), more than this machine's memory (${gb(totalmem())}).`);
  }
}
const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

export function full(shape: number[], value: number | boolean, options: CreateOptions = {}): Tensor {
  if (isInt64(options.dtype)) checkInt32Range([value], [1], `full(..., ${value}, { dtype: '${options.dtype}' })`);
  const dtype = checkDType(options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  return finish(tf().fill(checkShape(shape, 'full'), value as number, dtype), options);
}
/**
 * A shape as one array with options after it (`zeros([2, 3], { dtype })`), or
 * PyTorch's sizes spread out, options last (`torch.ones(2, 2, requires_grad=True)`
 * is `ones(2, 2, { requiresGrad: true })`).
 */
export type SizeArgs = [shape: number[], options?: CreateOptions] | number[] | [...sizes: number[], options: CreateOptions];
function sizeArgs(args: SizeArgs): [number[], CreateOptions] {
  if (Array.isArray(args[0])) return [args[0], (args[1] as CreateOptions | undefined) ?? {}];
  const last = args[args.length - 1];
  return typeof last === 'object' ? [args.slice(0, -1) as number[], last as CreateOptions] : [args as number[], {}];
}
export function zeros(...args: SizeArgs): Tensor {
  const [shape, options] = sizeArgs(args);
  return full(checkShape(shape, 'zeros'), 0, options);
}
export function ones(...args: SizeArgs): Tensor {
  const [shape, options] = sizeArgs(args);
  return full(checkShape(shape, 'ones'), 1, options);
}
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
  if (isInt64(options.dtype)) checkInt32Range([start, end - step], [2], `arange(..., { dtype: '${options.dtype}' })`);
  const dtype = checkDType(options.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32'));
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkFits('arange', [n]);
  const v = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return finish(tf().tensor(v, [n], dtype), options);
}

/**
 * `steps` values from `start` to `end`, PyTorch's float32 values bit for bit:
 * its CPU kernel computes in float32 with a fused multiply-add, the first half
 * up from `start` and the second half down from `end` (so both ends are exact).
 */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace(): steps must be a non-negative integer, received ${steps}.`);
  checkFits('linspace', [steps]);
  const f = Math.fround;
  const [s, e] = [f(start), f(end)];
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const v = new Float32Array(steps);
  // step * i is exact in a double (a float32 times an integer below 2^29), so one rounding to float32 is the FMA's.
  for (let i = 0; i < steps; i++) v[i] = steps === 1 ? s : i < half ? s + step * i : e - step * (steps - i - 1);
  return finish(tf().tensor(v, [steps], 'float32'), options);
}

export function eye(n: number, m: number = n, options: CreateOptions = {}): Tensor {
  checkFits('eye', [n, m]);
  return finish(tf().eye(n, m, undefined, checkDType(options.dtype ?? 'float32') as 'float32'), options);
}

function fillRandom(shape: number[], gen: () => number): Float32Array {
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = gen();
  return v;
}

/** Standard normal samples, seeded by `manualSeed`: `randn([2, 3])` or `randn(2, 3)`. */
export function randn(...args: SizeArgs): Tensor {
  const [shape, options] = sizeArgs(args);
  return finish(tf().tensor(fillRandom(checkShape(shape, 'randn'), randomNormal), shape, 'float32'), options);
}
/** Uniform samples in [0, 1), seeded by `manualSeed`: `rand([2, 3])` or `rand(2, 3)`. */
export function rand(...args: SizeArgs): Tensor {
  const [shape, options] = sizeArgs(args);
  return finish(tf().tensor(fillRandom(checkShape(shape, 'rand'), randomUniform), shape, 'float32'), options);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], options: { dtype?: DTypeLike } = {}): Tensor {
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
  checkFits('randperm', [n]);
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
