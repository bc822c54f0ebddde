/**
 * Keras's random initializers. Seeded by core's `manualSeed` (Duet's random
 * stream is not TensorFlow's: same distributions, not the same numbers; to
 * start from Keras's exact weights, `setWeights` them).
 */
import { Tensor, rand, randomNormal, randn, tensor, noGrad } from '@duet/core';
import { nn } from '@duet/nn';
import { KerasValueError } from '../errors.js';
import { registerSerializable } from '../registry.js';
import { Initializer, computeFans } from './initializer.js';

function affine(t: Tensor, scale: number, shift: number): Tensor {
  const out = noGrad(() => t.mul(scale).add(shift));
  t.dispose();
  return out;
}

/** Normal(mean, stddev) truncated at 2 standard deviations (TensorFlow's rule: redraw outside). */
function truncatedNormal(shape: number[], mean: number, stddev: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x: number;
    do x = randomNormal();
    while (x < -2 || x > 2);
    v[i] = mean + stddev * x;
  }
  return tensor(v, { shape });
}

/** U(minval, maxval); defaults -0.05, 0.05. */
export class RandomUniform extends Initializer {
  readonly minval: number;
  readonly maxval: number;
  readonly seed: number | null;
  constructor(config: { minval?: number; maxval?: number; seed?: number | null } = {}) {
    super();
    this.minval = config.minval ?? -0.05;
    this.maxval = config.maxval ?? 0.05;
    this.seed = config.seed ?? null;
  }
  call(shape: number[]): Tensor {
    return affine(rand(shape), this.maxval - this.minval, this.minval);
  }
  override getConfig(): Record<string, unknown> {
    return { minval: this.minval, maxval: this.maxval, seed: this.seed };
  }
}

/** N(mean, stddev); defaults 0, 0.05. */
export class RandomNormal extends Initializer {
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number | null;
  constructor(config: { mean?: number; stddev?: number; seed?: number | null } = {}) {
    super();
    this.mean = config.mean ?? 0;
    this.stddev = config.stddev ?? 0.05;
    this.seed = config.seed ?? null;
  }
  call(shape: number[]): Tensor {
    return affine(randn(shape), this.stddev, this.mean);
  }
  override getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, seed: this.seed };
  }
}

/** N(mean, stddev) truncated at 2 stddev; defaults 0, 0.05. */
export class TruncatedNormal extends RandomNormal {
  override call(shape: number[]): Tensor {
    return truncatedNormal(shape, this.mean, this.stddev);
  }
}

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
export type Distribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

export interface VarianceScalingConfig {
  scale?: number;
  mode?: FanMode | 'fanIn' | 'fanOut' | 'fanAvg';
  distribution?: Distribution | 'truncatedNormal' | 'untruncatedNormal' | 'normal';
  seed?: number | null;
}

const MODES: Record<string, FanMode> = { fan_in: 'fan_in', fanIn: 'fan_in', fan_out: 'fan_out', fanOut: 'fan_out', fan_avg: 'fan_avg', fanAvg: 'fan_avg' };
const DISTS: Record<string, Distribution> = {
  truncated_normal: 'truncated_normal', truncatedNormal: 'truncated_normal', normal: 'truncated_normal',
  untruncated_normal: 'untruncated_normal', untruncatedNormal: 'untruncated_normal', uniform: 'uniform',
};

/**
 * Keras's VarianceScaling: `n` = fanIn, fanOut or their mean; `uniform`:
 * U(-sqrt(3 scale / n), +); `truncated_normal`: stddev
 * sqrt(scale / n) / 0.8796..., truncated at 2 stddev; `untruncated_normal`:
 * stddev sqrt(scale / n). Defaults: scale 1, fan_in, truncated_normal.
 */
export class VarianceScaling extends Initializer {
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  readonly seed: number | null;
  constructor(config: VarianceScalingConfig = {}) {
    super();
    this.scale = config.scale ?? 1;
    const mode = MODES[config.mode ?? 'fan_in'];
    const dist = DISTS[config.distribution ?? 'truncated_normal'];
    if (!(this.scale > 0)) throw new KerasValueError(`Argument \`scale\` must be positive float. Received: scale=${this.scale}`);
    if (mode === undefined) throw new KerasValueError(`Invalid \`mode\` argument: expected one of {"fan_in", "fan_out", "fan_avg"}. Received: mode=${config.mode}`);
    if (dist === undefined) throw new KerasValueError(`Invalid \`distribution\` argument: expected one of {"normal", "uniform", "truncated_normal", "untruncated_normal"}. Received: distribution=${config.distribution}`);
    this.mode = mode;
    this.distribution = dist;
    this.seed = config.seed ?? null;
  }
  call(shape: number[]): Tensor {
    const [fanIn, fanOut] = computeFans(shape);
    const n = Math.max(1, this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2);
    const s = this.scale / n;
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      return affine(rand(shape), 2 * limit, -limit);
    }
    if (this.distribution === 'untruncated_normal') return affine(randn(shape), Math.sqrt(s), 0);
    return truncatedNormal(shape, 0, Math.sqrt(s) / 0.87962566103423978);
  }
  override getConfig(): Record<string, unknown> {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed };
  }
}

type Seeded = { seed?: number | null };
/** Keras's default kernel initializer: U(-sqrt(6 / (fanIn + fanOut)), +). */
export class GlorotUniform extends VarianceScaling {
  constructor(config: Seeded = {}) {
    super({ scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: config.seed ?? null });
  }
  override getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}
export class GlorotNormal extends VarianceScaling {
  constructor(config: Seeded = {}) {
    super({ scale: 1, mode: 'fan_avg', distribution: 'truncated_normal', seed: config.seed ?? null });
  }
  override getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}
export class HeUniform extends VarianceScaling {
  constructor(config: Seeded = {}) {
    super({ scale: 2, mode: 'fan_in', distribution: 'uniform', seed: config.seed ?? null });
  }
  override getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}
export class HeNormal extends VarianceScaling {
  constructor(config: Seeded = {}) {
    super({ scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: config.seed ?? null });
  }
  override getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}
export class LecunUniform extends VarianceScaling {
  constructor(config: Seeded = {}) {
    super({ scale: 1, mode: 'fan_in', distribution: 'uniform', seed: config.seed ?? null });
  }
  override getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}
export class LecunNormal extends VarianceScaling {
  constructor(config: Seeded = {}) {
    super({ scale: 1, mode: 'fan_in', distribution: 'truncated_normal', seed: config.seed ?? null });
  }
  override getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}

/** A (semi-)orthogonal matrix times `gain`, over the last axis vs the rest (nn.init.orthogonal_). */
export class Orthogonal extends Initializer {
  readonly gain: number;
  readonly seed: number | null;
  constructor(config: { gain?: number; seed?: number | null } = {}) {
    super();
    this.gain = config.gain ?? 1;
    this.seed = config.seed ?? null;
  }
  call(shape: number[]): Tensor {
    if (shape.length < 2) throw new KerasValueError(`The tensor to initialize must be at least two-dimensional. Received: shape=${JSON.stringify(shape)} of rank ${shape.length}.`);
    const cols = shape[shape.length - 1]!;
    const rows = shape.reduce((a, b) => a * b, 1) / cols;
    // nn.init.orthogonal_ makes [rows', cols'] orthogonal with rows' = dim 0: build it as [cols, rows] and transpose.
    const t = randn([cols, rows]);
    noGrad(() => nn.init.orthogonal_(t, { gain: this.gain }));
    const out = noGrad(() => t.t().reshape(shape));
    t.dispose();
    return out;
  }
  override getConfig(): Record<string, unknown> {
    return { gain: this.gain, seed: this.seed };
  }
}

for (const c of [RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal]) {
  registerSerializable('initializer', c);
}
