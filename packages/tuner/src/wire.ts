/**
 * Training data sent to a worker process: tensors travel as their shape,
 * dtype and values (structured clone of a typed array); nested arrays and
 * typed arrays travel as they are.
 */
import { Tensor, tensor, type DType } from '@duet/core';

interface WireTensor {
  __duetTensor: true;
  shape: number[];
  dtype: DType;
  values: Float32Array | Int32Array | Uint8Array;
}

export function encode(v: unknown): unknown {
  if (v instanceof Tensor) return { __duetTensor: true, shape: [...v.shape], dtype: v.dtype, values: v.dataSync().slice() } satisfies WireTensor;
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

export function decode(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && (v as WireTensor).__duetTensor === true) {
    const w = v as WireTensor;
    return tensor(w.values, { shape: w.shape, dtype: w.dtype });
  }
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  return v;
}
