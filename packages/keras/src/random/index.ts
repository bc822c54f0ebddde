/**
 * `keras.random`: random tensors (Keras 3's `keras/src/random/random.py`).
 * Without a seed they draw from core's global stream (`manualSeed`,
 * `keras.utils.setRandomSeed`); with `seed` they draw from it instead: an
 * integer gives the same numbers at every call (Keras's stateless seed), a
 * `SeedGenerator` advances with each draw (Keras's stateful seed). Duet's
 * streams are not TensorFlow's: the same distributions, not the same numbers.
 */
import { Generator, Tensor, rand, randn, tensor } from '@duet/core';
import { F } from '@duet/nn';
import { KerasValueError } from '../errors.js';

/** Keras's `keras.random.SeedGenerator(seed)`: a seed that advances with each draw it is used for. */
export class SeedGenerator {
  /** @internal the stream the draws come from. */
  readonly generator: Generator;
  constructor(readonly seed?: number) {
    if (seed !== undefined && !Number.isInteger(seed)) throw new KerasValueError(`\`seed\` must be an integer. Received: seed=${String(seed)}`);
    this.generator = new Generator(seed);
  }
}

export type Seed = number | SeedGenerator | null;

export interface RandomOptions {
  /** An integer (the same numbers each call) or a SeedGenerator (advances); default: core's global stream. */
  seed?: Seed;
  dtype?: 'float32';
}

function checkShape(shape: readonly number[], fn: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new KerasValueError(`keras.random.${fn}: \`shape\` must be an array of non-negative integers. Received: shape=${JSON.stringify(shape)}`);
  }
  return [...shape];
}

function generatorOf(seed: Seed | undefined): Generator | null {
  if (seed === undefined || seed === null) return null;
  if (seed instanceof SeedGenerator) return seed.generator;
  if (Number.isInteger(seed)) return new Generator(seed);
  throw new KerasValueError(`\`seed\` must be an integer, a keras.random.SeedGenerator or null. Received: seed=${String(seed)}`);
}

function fill(shape: number[], draw: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = draw();
  return tensor(v, { shape });
}

/** Standard normals from `g` (Box-Muller). */
function normals(g: Generator): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = g.random();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * g.random();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/** Keras's `keras.random.normal(shape, mean=0.0, stddev=1.0, seed=None)`. */
export function normal(shape: readonly number[], options: RandomOptions & { mean?: number; stddev?: number } = {}): Tensor {
  const s = checkShape(shape, 'normal');
  const { mean = 0, stddev = 1 } = options;
  const g = generatorOf(options.seed);
  const z = g === null ? randn(s) : fill(s, normals(g));
  return mean === 0 && stddev === 1 ? z : z.mul(stddev).add(mean);
}

/** Keras's `keras.random.uniform(shape, minval=0.0, maxval=1.0, seed=None)`. */
export function uniform(shape: readonly number[], options: RandomOptions & { minval?: number; maxval?: number } = {}): Tensor {
  const s = checkShape(shape, 'uniform');
  const { minval = 0, maxval = 1 } = options;
  if (!(maxval > minval)) throw new KerasValueError(`keras.random.uniform: \`maxval\` must be greater than \`minval\`. Received: minval=${minval}, maxval=${maxval}`);
  const g = generatorOf(options.seed);
  const u = g === null ? rand(s) : fill(s, () => g.random());
  return minval === 0 && maxval === 1 ? u : u.mul(maxval - minval).add(minval);
}

/**
 * Keras's `keras.random.dropout(inputs, rate, noise_shape=None, seed=None)`:
 * zero each value with probability `rate`, scale the rest by 1 / (1 - rate).
 */
export function dropout(inputs: Tensor, options: RandomOptions & { rate: number; noiseShape?: (number | null)[] | null }): Tensor {
  const { rate } = options;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new KerasValueError(`keras.random.dropout: \`rate\` must be a number in [0, 1). Received: rate=${String(rate)}`);
  const noise = options.noiseShape ?? null;
  if (noise === null && (options.seed === undefined || options.seed === null)) return F.dropout(inputs, rate, true);
  const maskShape = noise === null ? [...inputs.shape] : noise.map((d, i) => d ?? inputs.shape[i]!);
  const keep = uniform(maskShape, { seed: options.seed }).ge(rate).float();
  return inputs.mul(keep).div(1 - rate);
}
