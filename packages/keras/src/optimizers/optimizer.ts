/**
 * `keras.optimizers.Optimizer`, the base (Keras 3's `base_optimizer.py`):
 * the learning rate (a number or a schedule of `iterations`), gradient
 * clipping (`clipnorm` per variable, `globalClipnorm`, `clipvalue`),
 * decoupled weight decay (`variable -= variable * weightDecay * lr`), the
 * step counter, and variable constraints after each update. A subclass
 * implements `build(variables)` (its slots) and `updateStep(grads,
 * variables, lr)` (its rule, for all variables at once so that it can run
 * one core kernel per variable, as @duet/nn's optimizers do).
 */
import { Tensor, noGrad, slotLike, stack } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { type Variable } from '../layers/variable.js';
import { getRegisteredClass, registeredNameOf, type Serialized } from '../registry.js';
import { LearningRateSchedule } from './schedules/learning_rate_schedule.js';

export interface OptimizerOptions {
  /** A number or a `LearningRateSchedule`. Default per optimizer (Keras's). */
  learningRate?: number | LearningRateSchedule;
  /** Decoupled weight decay factor (AdamW's default 0.004; others none). */
  weightDecay?: number | null;
  /** Clip each gradient to this L2 norm. */
  clipnorm?: number | null;
  /** Clip each gradient element to [-clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Clip all gradients together to this global L2 norm. */
  globalClipnorm?: number | null;
  name?: string;
}

function optionalPositive(name: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new KerasValueError(`Argument \`${name}\` must be a non-negative number or None. Received: ${name}=${String(v)}`);
  return v;
}

export abstract class Optimizer {
  readonly name: string;
  /** Updates applied so far (Keras's `optimizer.iterations`). */
  iterations = 0;
  built = false;
  weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  private _learningRate: number | LearningRateSchedule;
  private readonly _slots = new Map<string, Map<Variable, Tensor>>();

  constructor(options: OptimizerOptions, defaultLearningRate: number) {
    this.name = options.name ?? registeredNameOfSafe(this);
    const lr = options.learningRate ?? defaultLearningRate;
    if (!(lr instanceof LearningRateSchedule) && (typeof lr !== 'number' || !(lr >= 0))) {
      throw new KerasValueError(`Argument \`learning_rate\` should be float, or an instance of LearningRateSchedule, or a callable. Received: learning_rate=${String(lr)}`);
    }
    this._learningRate = lr;
    this.weightDecay = optionalPositive('weight_decay', options.weightDecay);
    this.clipnorm = optionalPositive('clipnorm', options.clipnorm);
    this.clipvalue = optionalPositive('clipvalue', options.clipvalue);
    this.globalClipnorm = optionalPositive('global_clipnorm', options.globalClipnorm);
    if ([this.clipnorm, this.clipvalue, this.globalClipnorm].filter((x) => x !== null).length > 1) {
      throw new KerasValueError(`Only one of \`clipnorm\`, \`clipvalue\` and \`global_clipnorm\` can be set. Received: clipnorm=${this.clipnorm}, clipvalue=${this.clipvalue}, global_clipnorm=${this.globalClipnorm}`);
    }
  }

  /** The rate of the next update (the schedule's value at `iterations`). */
  get learningRate(): number {
    const lr = this._learningRate;
    return lr instanceof LearningRateSchedule ? lr.call(this.iterations) : lr;
  }
  /** Set a new rate (a number) or schedule. */
  set learningRate(v: number | LearningRateSchedule) {
    if (!(v instanceof LearningRateSchedule) && (typeof v !== 'number' || !(v >= 0))) throw new KerasValueError(`learning_rate must be a non-negative number or a LearningRateSchedule. Received: ${String(v)}`);
    this._learningRate = v;
  }
  /** The schedule, if the rate is one. */
  get schedule(): LearningRateSchedule | null {
    return this._learningRate instanceof LearningRateSchedule ? this._learningRate : null;
  }

  /** Create the optimizer's variables (slots) for `variables`; subclasses add theirs with `addSlots`. */
  build(_variables: Variable[]): void {
    this.built = true;
  }

  /** One slot per variable named `name`, starting at `init` (a TF resource variable, kept). */
  protected addSlots(name: string, variables: Variable[], init = 0): void {
    let m = this._slots.get(name);
    if (m === undefined) this._slots.set(name, (m = new Map()));
    for (const v of variables) if (!m.has(v)) m.set(v, slotLike(v, init));
  }
  /** The `name` slots of `variables`, in order. */
  protected slots(name: string, variables: Variable[]): Tensor[] {
    const m = this._slots.get(name)!;
    return variables.map((v) => m.get(v)!);
  }
  /** All slot tensors (Keras's `optimizer.variables`, without the step counter). */
  get variables(): Tensor[] {
    return [...this._slots.values()].flatMap((m) => [...m.values()]);
  }

  /** The update rule for all `variables` at once, at learning rate `lr`. Runs under noGrad. */
  protected abstract updateStep(grads: Tensor[], variables: Variable[], lr: number): void;

  /**
   * Apply `grads` to `variables` (Keras's `optimizer.apply(grads, variables)`).
   * A null gradient (what `grad()` gives for a variable the loss does not
   * use) leaves its variable unchanged, as Keras skips `None` gradients.
   */
  apply(grads: (Tensor | null)[], variables: Variable[]): void {
    if (grads.length !== variables.length) throw new KerasValueError(`Expected as many gradients as variables. Received ${grads.length} gradients and ${variables.length} variables.`);
    if (grads.includes(null)) {
      const kept = grads.map((g, i) => [g, variables[i]!] as const).filter(([g]) => g !== null);
      return this.apply(kept.map(([g]) => g!), kept.map(([, v]) => v));
    }
    if (variables.length === 0) return;
    noGrad(() => {
      if (!this.built || variables.some((v) => !this._known(v))) this.build(variables);
      const lr = this.learningRate;
      const gs = this.clip(grads as Tensor[]);
      if (this.weightDecay !== null && this.weightDecay > 0) for (const v of variables) v.mul_(1 - this.weightDecay * lr);
      this.updateStep(gs, variables, lr);
      this.iterations++;
      for (const v of variables) if (v.constraint !== null) v.assign(v.constraint.call(v));
    });
  }

  /** Apply `[grad, variable]` pairs (Keras's `apply_gradients`). */
  applyGradients(pairs: [Tensor | null, Variable][]): void {
    this.apply(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
  }

  private _known(v: Variable): boolean {
    const first = this._slots.values().next().value as Map<Variable, Tensor> | undefined;
    return first === undefined ? this.built : first.has(v);
  }

  private clip(grads: Tensor[]): Tensor[] {
    if (this.clipnorm !== null && this.clipnorm > 0) {
      const c = this.clipnorm;
      return grads.map((g) => {
        const l2 = g.square().sum();
        return g.mul(c).div(l2.sqrt().maximum(c));
      });
    }
    if (this.globalClipnorm !== null && this.globalClipnorm > 0) {
      const c = this.globalClipnorm;
      const norm = stack(grads.map((g) => g.square().sum())).sum().sqrt();
      const scale = norm.reciprocal().minimum(1 / c).mul(c);
      return grads.map((g) => g.mul(scale));
    }
    if (this.clipvalue !== null && this.clipvalue > 0) return grads.map((g) => g.clamp(-this.clipvalue!, this.clipvalue!));
    return grads;
  }

  /** Keras's config (camelCase): the rate (or serialized schedule) and the base options. */
  getConfig(): Record<string, unknown> {
    const lr = this._learningRate;
    return {
      name: this.name,
      learningRate: lr instanceof LearningRateSchedule ? { className: registeredNameOf('schedule', lr), config: lr.getConfig() } : lr,
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      globalClipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
    };
  }

  static fromConfig<T extends Optimizer>(this: new (options: any) => T, config: Record<string, any>): T {
    const lr = config.learningRate as number | Serialized | undefined;
    const learningRate = lr !== null && typeof lr === 'object' ? (getRegisteredClass('schedule', lr.className).fromConfig(lr.config) as LearningRateSchedule) : lr;
    return new this({ ...config, learningRate });
  }

  /** Release the slots now (training restarts them from zero). */
  dispose(): void {
    for (const m of this._slots.values()) for (const t of m.values()) t.dispose();
    this._slots.clear();
    this.built = false;
  }
}

function registeredNameOfSafe(o: object): string {
  try {
    return registeredNameOf('optimizer', o).toLowerCase();
  } catch {
    return o.constructor.name.toLowerCase();
  }
}
