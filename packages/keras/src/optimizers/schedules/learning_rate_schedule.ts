/**
 * `keras.optimizers.schedules`: learning rates as a function of the
 * optimizer's step count (`optimizer.iterations`, 0 on the first update).
 * Computed on the host in float32 arithmetic, as Keras computes them.
 */
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';

const f = Math.fround;

export abstract class LearningRateSchedule {
  /** The rate at `step`. */
  abstract call(step: number): number;
  abstract getConfig(): Record<string, unknown>;
  static fromConfig<T extends LearningRateSchedule>(this: new (config: any) => T, config: Record<string, unknown>): T {
    return new this(config);
  }
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0)) throw new KerasValueError(`Argument \`${name}\` must be > 0. Received: ${name}=${String(v)}`);
  return v;
}

export interface ExponentialDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}
/**
 * The config and the (optionally floored) `step / decaySteps` both time-based
 * decays share. Built as Keras's `ExponentialDecay(0.1, decay_steps=100000,
 * decay_rate=0.96, staircase=True)` reads: `new ExponentialDecay(0.1, {
 * decaySteps: 100000, decayRate: 0.96, staircase: true })`, or with the
 * required arguments positional (`new ExponentialDecay(0.1, 100000, 0.96)`),
 * or from one config object.
 */
abstract class StepRatioDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  constructor(config: ExponentialDecayConfig);
  constructor(initialLearningRate: number, options: Omit<ExponentialDecayConfig, 'initialLearningRate'>);
  constructor(initialLearningRate: number, decaySteps: number, decayRate: number, options?: { staircase?: boolean });
  constructor(first: number | ExponentialDecayConfig, second?: number | Omit<ExponentialDecayConfig, 'initialLearningRate'>, decayRate?: number, options: { staircase?: boolean } = {}) {
    super();
    let config: ExponentialDecayConfig;
    if (typeof first !== 'number') config = first;
    else if (typeof second === 'number') config = { initialLearningRate: first, decaySteps: second, decayRate: decayRate as number, staircase: options.staircase };
    else if (second !== null && typeof second === 'object') config = { initialLearningRate: first, ...second };
    else throw new KerasValueError(`${new.target.name}(initialLearningRate, { decaySteps, decayRate }) needs \`decay_steps\` and \`decay_rate\`. Received: ${String(second)}`);
    if (typeof config.initialLearningRate !== 'number') throw new KerasValueError(`Argument \`initial_learning_rate\` must be a number. Received: initial_learning_rate=${String(config.initialLearningRate)}`);
    if (typeof config.decayRate !== 'number') throw new KerasValueError(`Argument \`decay_rate\` must be a number. Received: decay_rate=${String(config.decayRate)}`);
    this.initialLearningRate = config.initialLearningRate;
    this.decaySteps = positive('decay_steps', config.decaySteps);
    this.decayRate = config.decayRate;
    this.staircase = config.staircase ?? false;
  }
  /** `step / decaySteps` in float32, floored with `staircase`. */
  protected ratio(step: number): number {
    const p = f(step / this.decaySteps);
    return this.staircase ? Math.floor(p) : p;
  }
  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}

/** `initialLearningRate * decayRate ^ (step / decaySteps)` (floored exponent with `staircase`). */
export class ExponentialDecay extends StepRatioDecay {
  call(step: number): number {
    // Keras casts the rates to float32 first: 0.96 ** 10 from float32's 0.96 is 2 ulps below the float64 power's rounding.
    return f(f(this.initialLearningRate) * f(Math.pow(f(this.decayRate), this.ratio(step))));
  }
}

/** `values[i]` for `boundaries[i-1] < step <= boundaries[i]` (Keras's PiecewiseConstantDecay). */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly boundaries: number[];
  readonly values: number[];
  constructor(config: { boundaries: number[]; values: number[] }) {
    super();
    if (!Array.isArray(config.boundaries) || !Array.isArray(config.values) || config.values.length !== config.boundaries.length + 1) {
      throw new KerasValueError(`The length of boundaries should be 1 less than the length of values. Received: boundaries=${JSON.stringify(config.boundaries)} of length ${config.boundaries?.length}, and values=${JSON.stringify(config.values)} of length ${config.values?.length}.`);
    }
    this.boundaries = [...config.boundaries];
    this.values = [...config.values];
  }
  call(step: number): number {
    for (let i = 0; i < this.boundaries.length; i++) if (step <= this.boundaries[i]!) return this.values[i]!;
    return this.values[this.values.length - 1]!;
  }
  getConfig(): Record<string, unknown> {
    return { boundaries: this.boundaries, values: this.values };
  }
}

export interface CosineDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  /** Floor, as a fraction of the rate. Default 0. */
  alpha?: number;
  /** Linear warm-up from `initialLearningRate` to this rate over `warmupSteps`, then the cosine from it. */
  warmupTarget?: number | null;
  warmupSteps?: number;
}
/** Half a cosine from the rate to `alpha * rate` over `decaySteps`, after an optional linear warm-up. */
export class CosineDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  constructor(config: CosineDecayConfig) {
    super();
    this.initialLearningRate = config.initialLearningRate;
    this.decaySteps = positive('decay_steps', config.decaySteps);
    this.alpha = config.alpha ?? 0;
    this.warmupTarget = config.warmupTarget ?? null;
    this.warmupSteps = config.warmupSteps ?? 0;
  }
  private decay(step: number, from: number): number {
    const done = f(step / this.decaySteps);
    const cos = f(0.5 * f(1 + f(Math.cos(f(f(Math.PI) * done)))));
    return f(from * f(f((1 - this.alpha) * cos) + this.alpha));
  }
  call(step: number): number {
    if (this.warmupTarget === null) return this.decay(Math.min(step, this.decaySteps), this.initialLearningRate);
    const s = Math.min(step, this.decaySteps + this.warmupSteps);
    if (s < this.warmupSteps) return f(f(f(this.warmupTarget - this.initialLearningRate) * f(s / this.warmupSteps)) + this.initialLearningRate);
    return this.decay(s - this.warmupSteps, this.warmupTarget);
  }
  getConfig(): Record<string, unknown> {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha, warmupTarget: this.warmupTarget, warmupSteps: this.warmupSteps };
  }
}

/** `initialLearningRate / (1 + decayRate * step / decaySteps)` (floored ratio with `staircase`). */
export class InverseTimeDecay extends StepRatioDecay {
  call(step: number): number {
    return f(f(this.initialLearningRate) / f(1 + f(f(this.decayRate) * this.ratio(step))));
  }
}

for (const c of [ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay]) registerSerializable('schedule', c);
