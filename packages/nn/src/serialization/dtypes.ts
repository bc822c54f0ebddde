/**
 * safetensors dtypes and their conversion to Duet's three dtypes. Duet writes
 * F32, I32 and BOOL; it reads those and also F64/F16/BF16 (to float32) and
 * I64/U64/U32/I16/U16/I8/U8 (to int32, each value checked to fit).
 */
import type { DType } from '@duet/core';
import { SafetensorsError } from './errors.js';

export type StDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element, for every dtype Duet reads. */
export const ITEM_SIZE: Record<StDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
};

/**
 * The Python writer orders tensors by dtype (descending in its enum) and then
 * by name. The enum's order for the dtypes Duet reads:
 * BOOL < U8 < I8 < I16 < U16 < F16 < BF16 < I32 < U32 < F32 < F64 < I64 < U64.
 */
export const WRITE_RANK: Record<StDType, number> = {
  BOOL: 0, U8: 1, I8: 2, I16: 3, U16: 4, F16: 5, BF16: 6, I32: 7, U32: 8, F32: 9, F64: 10, I64: 11, U64: 12,
};

export const TO_ST: Record<DType, StDType> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

export function isKnownDType(d: string): d is StDType {
  return Object.prototype.hasOwnProperty.call(ITEM_SIZE, d);
}

/** The Duet dtype a safetensors dtype loads as. */
export function duetDType(d: StDType): DType {
  if (d === 'BOOL') return 'bool';
  return d.startsWith('F') || d === 'BF16' ? 'float32' : 'int32';
}

/**
 * Decode `bytes` (little-endian, any alignment) of dtype `d` into the typed
 * array Duet's `tensor()` takes. `name` is for error messages.
 */
export function decode(bytes: Uint8Array, d: StDType, name: string): Float32Array | Int32Array | Uint8Array {
  // A copy into a fresh, aligned buffer: typed-array views need aligned offsets.
  const buf = new Uint8Array(bytes).buffer;
  switch (d) {
    case 'F32': return new Float32Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'BOOL': return new Uint8Array(buf);
    case 'F64': return Float32Array.from(new Float64Array(buf));
    case 'F16': return halfToFloat(new Uint16Array(buf));
    case 'BF16': {
      const out = new Uint32Array(buf.byteLength / 2);
      const src = new Uint16Array(buf);
      for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'I16': return Int32Array.from(new Int16Array(buf));
    case 'U16': return Int32Array.from(new Uint16Array(buf));
    case 'I8': return Int32Array.from(new Int8Array(buf));
    case 'U8': return Int32Array.from(new Uint8Array(buf));
    case 'U32': {
      const src = new Uint32Array(buf);
      for (let i = 0; i < src.length; i++) if (src[i]! > 0x7fffffff) throw outOfRange(name, d, String(src[i]), i);
      return new Int32Array(buf);
    }
    case 'I64':
    case 'U64': return narrow64(new Int32Array(buf), d === 'U64', name, d);
  }
}

/** 64-bit integers as (low, high) int32 pairs: a value fits in int32 when high is low's sign extension. */
function narrow64(words: Int32Array, unsigned: boolean, name: string, d: StDType): Int32Array {
  const n = words.length / 2;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if (hi !== lo >> 31 || (unsigned && hi !== 0)) {
      const big = unsigned ? BigInt.asUintN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0)) : (BigInt(hi) << 32n) | BigInt(lo >>> 0);
      throw outOfRange(name, d, String(big), i);
    }
    out[i] = lo;
  }
  return out;
}

function outOfRange(name: string, d: StDType, value: string, i: number): SafetensorsError {
  return new SafetensorsError(
    'ERR_SAFETENSORS_VALUE',
    `tensor '${name}' (${d}): value ${value} at flat index ${i} does not fit in int32, the widest integer type of Duet's engine.`,
  );
}

/** IEEE 754 half precision to single precision, exactly (subnormals, infinities and NaN included). */
function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i]!;
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Files already warned about (one warning per file per process, however often it is loaded). */
const warned = new Set<string>();

/**
 * Duet computes in float32: F16 and BF16 tensors are widened on load (exactly,
 * but taking twice the memory). Say so once per file, with a code to filter on.
 */
export function warnWidened(where: string, count: number): void {
  if (count === 0 || warned.has(where)) return;
  warned.add(where);
  process.emitWarning(
    `${where}: ${count} float16/bfloat16 tensor${count === 1 ? ' was' : 's were'} converted to float32, Duet's floating-point dtype (values are exact; memory doubles).`,
    { type: 'DuetWarning', code: 'DUET_HALF_TO_FLOAT32' },
  );
}

/** How many of `dtypes` are F16 or BF16. */
export const countHalf = (dtypes: Iterable<StDType>): number => [...dtypes].filter((d) => d === 'F16' || d === 'BF16').length;
