/**
 * `Tensor.to(...)` in PyTorch's forms (a dtype, a device, both, another
 * tensor, or `{ dtype, device }`), `.long()`, and the `new*` constructors
 * that copy a tensor's dtype (`newZeros`, `newFull`, `newTensor`, ...).
 */
import { ArgumentError, DTypeError } from '../errors.js';
import { checkDevice, isDeviceLike, type DeviceLike } from '../device.js';
import { checkInt32Range, isDTypeLike, isInt64, resolveDType, type DTypeLike } from '../dtypes.js';
import { full, tensor, type TensorData } from '../creation.js';
import { Tensor, type DType } from '../tensor.js';
import { cast } from './elementwise.js';

/** What `to()` takes: a dtype, a device, a tensor (its dtype), or both as options. */
export type ToTarget = DTypeLike | DeviceLike | Tensor | { dtype?: DTypeLike; device?: DeviceLike };

export function to(t: Tensor, target: ToTarget, dtype?: DTypeLike): Tensor {
  const where = `to(${describe(target)}${dtype === undefined ? '' : `, ${describe(dtype)}`})`;
  let want: DTypeLike | undefined;
  if (target instanceof Tensor) want = target.dtype;
  else if (typeof target === 'string') {
    if (isDTypeLike(target)) want = target;
    else if (isDeviceLike(target)) checkDevice(target, where);
    else if (/^(u?int|float|bfloat|complex)\d+$|^(half|double|short|uint8|bool_)$/.test(target)) resolveDType(target); // a dtype Duet lacks: DTypeError saying which it has
    else throw new ArgumentError(`${where}: expected a dtype (float32, int32, bool, int64/long) or a device ('cpu', 'cuda', 'cuda:0', 'gpu'), received ${describe(target)}.`);
  } else if (target !== null && typeof target === 'object') {
    if (target.device !== undefined) checkDevice(target.device, where);
    want = target.dtype;
  } else {
    throw new ArgumentError(`${where}: expected a dtype, a device, a Tensor or { dtype, device }, received ${describe(target)}.`);
  }
  if (dtype !== undefined) {
    if (want !== undefined && !(typeof target === 'object' && !(target instanceof Tensor))) {
      throw new ArgumentError(`${where}: the second argument is a dtype after a device; received a dtype twice.`);
    }
    want = dtype;
  }
  return want === undefined ? t : castChecked(t, want, where);
}

/** Cast to a dtype spelling; the int64 spellings range-check float values (their integer part must fit int32). */
export function castChecked(t: Tensor, want: DTypeLike, where: string): Tensor {
  const d = resolveDType(want);
  if (isInt64(want) && t.dtype === 'float32') checkInt32Range(t.dataSync(), t.shape, where);
  return cast(t, d);
}

/** Same dtype as `t` (PyTorch's `new_*` default); `dtype` overrides it. */
function dtypeOf(t: Tensor, options: { dtype?: DTypeLike } | undefined): DType {
  return options?.dtype === undefined ? t.dtype : resolveDType(options.dtype);
}

export interface NewOptions {
  dtype?: DTypeLike;
  requiresGrad?: boolean;
}

export function newFull(t: Tensor, shape: number[], value: number | boolean, options?: NewOptions): Tensor {
  return full(shape, value, { dtype: dtypeOf(t, options), requiresGrad: options?.requiresGrad ?? false });
}

export function newTensor(t: Tensor, data: TensorData, options?: NewOptions & { shape?: number[] }): Tensor {
  if (data instanceof Tensor) throw new DTypeError('newTensor(): expected data (numbers, nested arrays, a typed array), received a Tensor; use .clone().detach() to copy a tensor.');
  const dtype = options?.dtype ?? t.dtype;
  return tensor(data, { dtype, requiresGrad: options?.requiresGrad ?? false, ...(options?.shape === undefined ? {} : { shape: options.shape }) });
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor (${v.dtype})`;
  if (typeof v === 'string') return `'${v}'`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
