/**
 * `keras.metrics.Metric`: a stateful measure accumulated over batches
 * (Keras 3's `metrics/metric.py`): `updateState(yTrue, yPred,
 * sampleWeight)`, `result()`, `resetState()`. Duet's built-in metrics keep
 * their state on the device (metrics/device_sum.ts) and sync only in
 * `result()`. Updates run without autograd.
 */
import { noGrad, type Tensor } from '@duet/core';
import { getInitializer, type InitializerIdentifier } from '../initializers/initializer.js';
import { Variable } from '../layers/variable.js';
import { registerSerializable } from '../registry.js';
import { toSnakeCase } from '../utils/naming.js';
import { DeviceSum } from './device_sum.js';

export interface MetricOptions {
  name?: string;
}

export abstract class Metric {
  name: string;
  private readonly _variables: Variable[] = [];
  constructor(options: MetricOptions = {}) {
    this.name = options.name ?? toSnakeCase(new.target.name);
    Object.defineProperty(this, '_variables', { enumerable: false });
  }

  /**
   * A state variable for a metric you write (Keras's `Metric.add_variable`):
   * not trained; update it with `assignAdd` / `assign` in `updateState` and
   * `resetState`; `dispose()` frees it.
   */
  protected addVariable(options: { shape: number[]; initializer?: InitializerIdentifier; name?: string }): Variable {
    const { shape, initializer = 'zeros', name = 'variable' } = options;
    const value = noGrad(() => getInitializer(initializer).call([...shape], 'float32'));
    const v = new Variable(value, { name, path: `${this.name}/${name}`, trainable: false });
    value.dispose();
    this._variables.push(v);
    return v;
  }
  /** The variables made by `addVariable` (Keras's `metric.variables`). */
  get variables(): Variable[] {
    return [...this._variables];
  }
  /** Accumulate a batch: `(yTrue, yPred, sampleWeight?)`, or `(values, sampleWeight?)` for a `Mean`. */
  abstract updateState(yTrue: Tensor, yPred?: Tensor | null, sampleWeight?: Tensor | null): void;
  /** The current value (reads the device state: one sync). */
  abstract result(): number;
  abstract resetState(): void;
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
  static fromConfig<T extends Metric>(this: new (config: any) => T, config: Record<string, unknown>): T {
    return new this(config);
  }
  /** Release the device state (and the variables of `addVariable`). */
  dispose(): void {
    this.resetState();
    for (const v of this._variables) if (!v.isDisposed) v.dispose();
  }
}

/** The weighted mean of the values it is given (Keras's `Mean`). */
export class Mean extends Metric {
  private readonly total = new DeviceSum();
  private readonly weights = new DeviceSum();
  private count = 0;

  /** Add `values` (any shape; all elements count), weighted by `sampleWeight` (broadcast) or by `weight`. */
  override updateState(values: Tensor, sampleWeight?: Tensor | null): void {
    this.update(values, sampleWeight ?? null);
  }

  /**
   * `values` (float or bool) weighted by `sampleWeight` (a tensor broadcast
   * against them) or, when null, each element by `hostWeight` (no kernel:
   * the values are summed on the device every 32 steps).
   */
  update(values: Tensor, sampleWeight: Tensor | null, hostWeight = 1): void {
    if (sampleWeight === null) {
      this.total.add(values, hostWeight);
      this.count += values.numel() * hostWeight;
      return;
    }
    let sw = sampleWeight.dtype === 'float32' ? sampleWeight : sampleWeight.float();
    // Keras's `squeeze_or_expand_to_same_rank`: [N, 1] weights against per-sample [N] values, and the reverse.
    while (sw.ndim > values.ndim && sw.shape[sw.ndim - 1] === 1) sw = sw.squeeze(-1);
    while (sw.ndim < values.ndim) sw = sw.unsqueeze(-1);
    const b = sw.expandAs(values);
    this.total.add(values.float().mul(b).sum());
    this.weights.add(b.sum());
  }

  result(): number {
    const t = this.total.read();
    if (t === null) return 0;
    const w = this.weights.read();
    const count = this.count + (w === null ? 0 : w[0]!);
    return count === 0 ? 0 : t[0]! / count;
  }

  resetState(): void {
    this.total.reset();
    this.weights.reset();
    this.count = 0;
  }
}

/** A metric from a function of `(yTrue, yPred)` returning per-sample values, averaged (Keras's `MeanMetricWrapper`). */
export class MeanMetricWrapper extends Metric {
  private readonly mean = new Mean();
  constructor(
    readonly fn: (yTrue: Tensor, yPred: Tensor) => Tensor,
    options: MetricOptions = {},
  ) {
    super({ name: options.name ?? (fn.name ? toSnakeCase(fn.name) : 'metric') });
  }
  override updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    this.mean.update(this.fn(yTrue, yPred), sampleWeight ?? null);
  }
  result(): number {
    return this.mean.result();
  }
  resetState(): void {
    this.mean.resetState();
  }
}

registerSerializable('metric', Mean);
