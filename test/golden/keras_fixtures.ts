/** Reading the Keras golden fixtures (written by gen_keras*.py through keras_common.py). */
import { readFileSync } from 'node:fs';
import { tensor, type DType, type Tensor } from '@duet/core';

export interface Stored {
  shape: number[];
  dtype: DType;
  data: number[];
}

export function readFixture<T>(name: string): T & { versions: Record<string, string> } {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));
}

/** A Tensor from a stored value. */
export function load(s: Stored, requiresGrad = false): Tensor {
  if (s.dtype === 'float32') return tensor(Float32Array.from(s.data), { shape: s.shape, requiresGrad });
  return tensor(s.dtype === 'int32' ? Int32Array.from(s.data) : Uint8Array.from(s.data), { shape: s.shape, dtype: s.dtype });
}

/** For expectClose: `{ shape, values }`. */
export const shaped = (s: Stored) => ({ shape: s.shape, values: s.data });
