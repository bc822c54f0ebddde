/**
 * Values in JavaScript memory, before they become native tensors. Datasets and
 * transforms work on these so that a sample costs no native call; the
 * DataLoader's collate turns a whole batch into one Tensor per field. They are
 * also what crosses between worker threads (a native tensor cannot).
 */
import { Tensor, tensor, type DType } from '@duet/core';
import { DataOptionError } from './errors.js';

export type HostData = Float32Array | Int32Array | Uint8Array;

/**
 * An n-d array in JavaScript memory: what `transforms.ToTensor` produces (a
 * `[C, H, W]` float32 image) and what tensor transforms (`Normalize`,
 * `RandomErasing`, ...) take. `toTensor()` makes a native Tensor of it; the
 * DataLoader stacks a batch of them into one Tensor.
 *
 * @example
 * ```ts
 * const x = new HostTensor(new Float32Array(784), [1, 28, 28]);
 * x.toTensor().shape; // [1, 28, 28]
 * ```
 */
export class HostTensor {
  readonly data: HostData;
  readonly shape: readonly number[];
  readonly dtype: DType;

  /** `dtype` follows the array (Float32Array: float32, Int32Array: int32); a Uint8Array needs `dtype: 'bool'`. */
  constructor(data: HostData, shape: readonly number[], dtype?: DType) {
    const inferred: DType | undefined = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : undefined;
    const d = dtype ?? inferred;
    if (d === undefined || (dtype !== undefined && inferred !== undefined && dtype !== inferred) || (d === 'bool' && !(data instanceof Uint8Array))) {
      throw new DataOptionError('dtype', `HostTensor: expected a Float32Array (float32), an Int32Array (int32) or a Uint8Array with dtype 'bool'; received ${data.constructor.name}${dtype ? ` with dtype '${dtype}'` : ''}.`);
    }
    let n = 1;
    for (const s of shape) n *= s;
    if (n !== data.length) {
      throw new DataOptionError('shape', `HostTensor: shape [${shape.join(', ')}] needs ${n} values; received ${data.length}.`);
    }
    this.data = data;
    this.shape = shape;
    this.dtype = d;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }

  /** A native Tensor with these values (one copy into the engine). */
  toTensor(): Tensor {
    return tensor(this.data, { shape: [...this.shape], dtype: this.dtype });
  }

  /** The values of a Tensor, copied into JavaScript memory. */
  static fromTensor(t: Tensor): HostTensor {
    return new HostTensor(t.dataSync(), [...t.shape], t.dtype);
  }

  toString(): string {
    return `HostTensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }
}

/**
 * A picture as 8-bit pixels, row-major `[height, width, channels]` (HWC) like a
 * PIL image: what `MNIST`, `FashionMNIST` and `ImageFolder` give before any
 * transform, and what `transforms.ToTensor` takes. `channels` is 1 (grey),
 * 3 (RGB) or 4 (RGBA).
 */
export class RawImage {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;

  constructor(data: Uint8Array, height: number, width: number, channels = 1) {
    if (!(data instanceof Uint8Array)) throw new DataOptionError('data', `RawImage: expected the pixels as a Uint8Array; received ${describe(data)}.`);
    if (!Number.isInteger(channels) || channels < 1) throw new DataOptionError('channels', `RawImage: channels must be a positive integer; received ${channels}.`);
    if (data.length !== height * width * channels) {
      throw new DataOptionError('data', `RawImage: ${height}x${width}x${channels} needs ${height * width * channels} bytes; received ${data.length}.`);
    }
    this.data = data;
    this.height = height;
    this.width = width;
    this.channels = channels;
  }

  /** `[height, width, channels]`. */
  get shape(): [number, number, number] {
    return [this.height, this.width, this.channels];
  }

  /** An int32 Tensor `[H, W, C]` of the pixel values (0..255). */
  toTensor(): Tensor {
    return tensor(this.data, { shape: this.shape, dtype: 'int32' });
  }

  toString(): string {
    return `RawImage(${this.width}x${this.height}, ${this.channels} channel${this.channels === 1 ? '' : 's'})`;
  }
}

const ARENA_BYTES = 1 << 20;
let arena = new ArrayBuffer(ARENA_BYTES);
let arenaOffset = 0;

/**
 * A zeroed Float32Array for one sample. Small arrays are carved out of 1 MiB
 * blocks that are never reused (a block is freed once all its arrays are
 * garbage): allocating a typed array costs microseconds, a view of a block
 * far less, which matters at tens of thousands of images per second.
 */
export function allocFloat32(n: number): Float32Array {
  const bytes = n * 4;
  if (bytes > ARENA_BYTES / 16) return new Float32Array(n);
  if (arenaOffset + bytes > ARENA_BYTES) {
    arena = new ArrayBuffer(ARENA_BYTES);
    arenaOffset = 0;
  }
  const a = new Float32Array(arena, arenaOffset, n);
  arenaOffset += (bytes + 15) & ~15;
  return a;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `a Tensor of shape [${v.shape.join(', ')}] (${v.dtype})`;
  if (v instanceof HostTensor || v instanceof RawImage) return String(v);
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v)}`;
}
