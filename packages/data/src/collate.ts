/**
 * Batching samples. The default collate works in two steps so that worker
 * threads can do the heavy part: `hostCollate` stacks a list of samples into
 * HostTensors (plain typed arrays, no native call), and `materialize` turns
 * each of those into one Tensor on the main thread.
 */
import { Tensor, stack } from '@duet/core';
import { DataOptionError } from './errors.js';
import { HostTensor, RawImage, describe, type HostData } from './host.js';

/** Turns a list of samples into a batch. */
export type CollateFn<T = any, B = any> = (samples: T[]) => B;

/** @internal A batch position whose samples are native Tensors: stacked by `materialize`. */
export class TensorStack {
  constructor(readonly tensors: Tensor[]) {}
}

/**
 * PyTorch's default_collate: numbers, booleans, typed arrays, `HostTensor`s,
 * `RawImage`s and Tensors become one Tensor with a leading batch dimension;
 * arrays (tuples) and plain objects are batched field by field; strings stay
 * a list. Integer numbers give int32 (class labels: `[B]` int32), numbers with
 * a fraction give float32 (a batch where every number happens to be whole is
 * int32: return a Float32Array or a float32 HostTensor for float targets).
 *
 * @example
 * ```ts
 * const [x, y] = defaultCollate([[new HostTensor(a, [1, 28, 28]), 3], [new HostTensor(b, [1, 28, 28]), 7]]);
 * x.shape; // [2, 1, 28, 28]; y: int32 [2]
 * ```
 */
export function defaultCollate(samples: unknown[]): any {
  return materialize(hostCollate(samples));
}

/** Stack samples into HostTensors (and TensorStacks for Tensor fields), in JavaScript memory. */
export function hostCollate(samples: unknown[], path = 'sample'): unknown {
  if (samples.length === 0) throw new DataOptionError('collateFn', 'collate: received an empty batch.');
  const first = samples[0];
  if (first instanceof HostTensor) return stackHost(samples, path);
  if (first instanceof RawImage) return stackImages(samples, path);
  if (first instanceof Tensor) {
    return new TensorStack(samples.map((s, i) => (s instanceof Tensor ? s : s instanceof HostTensor ? s.toTensor() : mismatch(path, i, s, first))));
  }
  if (typeof first === 'number') return stackNumbers(samples, path);
  if (typeof first === 'boolean') {
    return new HostTensor(Uint8Array.from(samples, (s, i) => (typeof s === 'boolean' ? (s ? 1 : 0) : mismatch(path, i, s, first))), [samples.length], 'bool');
  }
  if (typeof first === 'string') return samples.map((s, i) => (typeof s === 'string' ? s : mismatch(path, i, s, first)));
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) return stackArrays(samples, path);
  if (Array.isArray(first)) {
    const n = first.length;
    const columns: unknown[][] = Array.from({ length: n }, () => new Array(samples.length));
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== n) mismatch(path, i, s, first, `an array of ${n}`);
      for (let k = 0; k < n; k++) columns[k]![i] = s[k];
    });
    return columns.map((col, k) => hostCollate(col, `${path}[${k}]`));
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = hostCollate(samples.map((s, i) => (s !== null && typeof s === 'object' && key in s ? (s as Record<string, unknown>)[key] : mismatch(path, i, s, first, `an object with key '${key}'`))), `${path}.${key}`);
    }
    return out;
  }
  throw new DataOptionError('collateFn', `collate: cannot batch ${describe(first)} at ${path}; the default collate takes numbers, booleans, strings, typed arrays, HostTensor, RawImage, Tensor, and arrays or plain objects of them. Pass a collateFn for other types.`);
}

/** Replace every HostTensor by a Tensor and stack every TensorStack (one native call each). */
export function materialize(tree: unknown): any {
  if (tree instanceof HostTensor) return tree.toTensor();
  if (tree instanceof TensorStack) return stack(tree.tensors, 0);
  if (Array.isArray(tree)) return tree.map(materialize);
  if (tree !== null && typeof tree === 'object' && Object.getPrototypeOf(tree) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree)) out[k] = materialize(v);
    return out;
  }
  return tree;
}

/**
 * PyTorch's default_convert (used when `batchSize` is null): HostTensors,
 * RawImages and typed arrays become Tensors; everything else is unchanged.
 */
export function defaultConvert(sample: unknown): any {
  if (sample instanceof HostTensor || sample instanceof RawImage) return sample.toTensor();
  if (ArrayBuffer.isView(sample) && !(sample instanceof DataView)) return arrayToHost(sample as unknown as ArrayLike<number>, [(sample as unknown as ArrayLike<number>).length]).toTensor();
  if (Array.isArray(sample)) return sample.map(defaultConvert);
  if (sample !== null && typeof sample === 'object' && Object.getPrototypeOf(sample) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sample)) out[k] = defaultConvert(v);
    return out;
  }
  return sample;
}

function mismatch(path: string, i: number, got: unknown, first: unknown, expected?: string): never {
  throw new DataOptionError('collateFn', `collate: item ${i} of the batch has ${describe(got)} at ${path}, where item 0 has ${expected ?? describe(first)}; every sample must have the same structure.`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function stackHost(samples: unknown[], path: string): HostTensor {
  const first = samples[0] as HostTensor;
  const n = first.size;
  const out = newArray(first.dtype, n * samples.length);
  samples.forEach((s, i) => {
    if (!(s instanceof HostTensor) || s.dtype !== first.dtype) mismatch(path, i, s, first);
    if (!sameShape(s.shape, first.shape)) {
      throw new DataOptionError('collateFn', `collate: item ${i} of the batch has shape [${s.shape.join(', ')}] at ${path}, item 0 has [${first.shape.join(', ')}]; samples must have one shape to stack (resize or crop images to one size, or pass a collateFn).`);
    }
    out.set(s.data, i * n);
  });
  return new HostTensor(out, [samples.length, ...first.shape], first.dtype);
}

function stackImages(samples: unknown[], path: string): HostTensor {
  const first = samples[0] as RawImage;
  const n = first.data.length;
  const out = new Int32Array(n * samples.length);
  samples.forEach((s, i) => {
    if (!(s instanceof RawImage)) mismatch(path, i, s, first);
    if (!sameShape(s.shape, first.shape)) {
      throw new DataOptionError('collateFn', `collate: image ${i} of the batch is ${s.shape.join('x')} at ${path}, image 0 is ${first.shape.join('x')}; images must have one size to stack (add transforms.Resize or CenterCrop).`);
    }
    out.set(s.data, i * n);
  });
  return new HostTensor(out, [samples.length, ...first.shape], 'int32');
}

function stackNumbers(samples: unknown[], path: string): HostTensor {
  let ints = true;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (typeof s !== 'number') mismatch(path, i, s, samples[0]);
    if (ints && !Number.isInteger(s)) ints = false;
  }
  return new HostTensor(ints ? Int32Array.from(samples as number[]) : Float32Array.from(samples as number[]), [samples.length]);
}

function stackArrays(samples: unknown[], path: string): HostTensor {
  const first = samples[0] as ArrayLike<number>;
  const n = first.length;
  const float = first instanceof Float32Array || first instanceof Float64Array;
  const out = float ? new Float32Array(n * samples.length) : new Int32Array(n * samples.length);
  samples.forEach((s, i) => {
    if (!ArrayBuffer.isView(s) || s.constructor !== first.constructor || (s as unknown as ArrayLike<number>).length !== n) mismatch(path, i, s, first, `a ${first.constructor.name} of ${n}`);
    out.set(s as unknown as ArrayLike<number>, i * n);
  });
  return new HostTensor(out, [samples.length, n]);
}

function arrayToHost(a: ArrayLike<number>, shape: number[]): HostTensor {
  if (a instanceof Float32Array || a instanceof Int32Array) return new HostTensor(a, shape);
  return new HostTensor(a instanceof Float64Array ? new Float32Array(a) : new Int32Array(a), shape);
}

function newArray(dtype: string, n: number): HostData {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}
