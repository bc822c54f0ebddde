/**
 * dtype spellings users paste from PyTorch. Duet's integer dtype is int32
 * (TensorFlow's kernels behind tfjs-node have no int64 tensor), so the int64
 * spellings (`'int64'`, `'long'`, `.long()`) give int32 after a range check:
 * class labels and indices fit; a value that does not raises an
 * `Int64RangeError` naming where it is, never a silent wrap-around.
 */
import { DuetError, DTypeError } from './errors.js';

/** A dtype as accepted in options and `.to()`: Duet's three, plus PyTorch's int64 spellings (stored as int32). */
/** The dtypes a native tensor has (TensorFlow's engine through tfjs has no float64/int64). */
export type DType = 'float32' | 'int32' | 'bool';
export type DTypeLike = DType | 'int64' | 'long';

const INT64 = new Set(['int64', 'long']);
const NATIVE = new Set(['float32', 'int32', 'bool']);

/** An int64 value that does not fit the int32 it is stored as. */
export class Int64RangeError extends DuetError {
  constructor(message: string) {
    super('ERR_INT64_RANGE', message);
  }
}

/** True if `d` is a dtype spelling Duet accepts. */
export function isDTypeLike(d: unknown): d is DTypeLike {
  return typeof d === 'string' && (NATIVE.has(d) || INT64.has(d));
}

/** True for `'int64'` / `'long'`: the caller range-checks the values. */
export function isInt64(d: unknown): boolean {
  return typeof d === 'string' && INT64.has(d);
}

/** The stored dtype for a spelling; a typed error for anything else. */
export function resolveDType(d: string): DType {
  if (NATIVE.has(d)) return d as DType;
  if (INT64.has(d)) return 'int32';
  throw new DTypeError(
    `Unsupported dtype '${d}': expected one of float32, int32, bool, or int64/long (stored as int32 after a range check). ` +
      "TensorFlow's native engine through tfjs has no float64/int64/uint8 tensors; 64-bit data is converted on load.",
  );
}

const MIN = -2147483648;
const MAX = 2147483647;

/**
 * Throw an `Int64RangeError` at the first value that, truncated toward zero
 * (PyTorch's float-to-long rule), is not a finite int32. `shape` turns the
 * flat position into an index.
 */
export function checkInt32Range(values: ArrayLike<number | boolean>, shape: readonly number[], where: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    const t = Math.trunc(v);
    if (!(t >= MIN && t <= MAX)) {
      throw new Int64RangeError(
        `${where}: value ${v} at index [${unravel(i, shape).join(', ')}] does not fit int32 ([${MIN}, ${MAX}]); ` +
          'Duet stores int64 (long) data as int32, which covers class labels and indices (docs/core.md, "dtypes").',
      );
    }
  }
}

function unravel(i: number, shape: readonly number[]): number[] {
  if (shape.length === 0) return [];
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = n === 0 ? 0 : i % n;
    i = n === 0 ? 0 : Math.floor(i / n);
  }
  return idx;
}
