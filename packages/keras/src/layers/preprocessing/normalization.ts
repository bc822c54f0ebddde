/** `keras.layers.Normalization`: `(x - mean) / sqrt(variance)` per feature, the statistics given or learned by `adapt(data)`. */
import { Tensor, noGrad, scope, tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';

/** Keras's `backend.epsilon()`: the floor of the standard deviation. */
const EPSILON = 1e-7;

type Values = number | number[] | number[][];

export interface NormalizationOptions extends LayerOptions {
  /** The axis (or axes) with a separate mean and variance; null: one for everything. Default -1 (the features). */
  axis?: number | number[] | null;
  /** Fixed mean (with `variance`) instead of `adapt()`. */
  mean?: Values | null;
  variance?: Values | null;
  /** Undo the normalization instead: `mean + x * sqrt(variance)`. Default false. */
  invert?: boolean;
}

/**
 * Without `mean`/`variance` the layer has Keras's weights `mean`,
 * `variance` (the kept axes' shape) and `count` ([], kept for weight-list
 * parity, float32 here) and `adapt(data)` sets them: data is a Tensor,
 * nested arrays, or an iterable of batches (combined as Keras does).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { tensor } from '@duet/core';
 * const norm = new keras.layers.Normalization();
 * norm.adapt(tensor([[1, 10], [3, 30]]));
 * norm.apply(tensor([[2, 20]])).toArray(); // [[0, 0]]
 * ```
 */
export class Normalization extends Layer {
  readonly axis: number[];
  readonly invert: boolean;
  readonly inputMean: Values | null;
  readonly inputVariance: Values | null;
  private _mean: Variable | null = null;
  private _variance: Variable | null = null;
  /** The fixed statistics (`mean` / `variance` given), kept for the layer's life (`keepCached`). */
  private _fixed: [Tensor, Tensor] | null = null;
  private _keep: number[] = [];
  private _bshape: number[] = [];

  constructor(options: NormalizationOptions = {}) {
    super(options);
    const a = options.axis === undefined ? -1 : options.axis;
    this.axis = a === null ? [] : Array.isArray(a) ? [...a] : [a];
    if (!this.axis.every((d) => Number.isInteger(d))) throw new KerasValueError(`Argument \`axis\` must be an integer, a list of integers or null. Received: axis=${JSON.stringify(options.axis)}`);
    this.invert = options.invert ?? false;
    this.inputMean = options.mean ?? null;
    this.inputVariance = options.variance ?? null;
    if ((this.inputMean === null) !== (this.inputVariance === null)) {
      throw new KerasValueError(`When setting values directly, both \`mean\` and \`variance\` must be set. Received: mean=${JSON.stringify(this.inputMean)} and variance=${JSON.stringify(this.inputVariance)}`);
    }
  }

  override build(inputShape: Shape): void {
    const ndim = inputShape.length;
    if (this.axis.some((a) => a < -ndim || a >= ndim)) throw new KerasValueError(`All \`axis\` values must be in the range [-ndim, ndim). Received inputs with ndim=${ndim}, while axis=${JSON.stringify(this.axis)}`);
    this._keep = this.axis.map((a) => (a < 0 ? a + ndim : a)).sort((x, y) => x - y);
    for (const d of this._keep) {
      if (inputShape[d] === null || inputShape[d] === undefined) {
        throw new KerasValueError(`All \`axis\` values to be kept must have a known shape. Received axis=${JSON.stringify(this.axis)}, inputs.shape=${shapeToString(inputShape)}, with unknown axis at index ${d}`);
      }
    }
    this._bshape = inputShape.map((d, i) => (this._keep.includes(i) ? d! : 1));
    const statShape = this._keep.map((d) => inputShape[d]!);
    if (this.inputMean === null) {
      this._mean = this.addWeight({ name: 'mean', shape: statShape, initializer: 'zeros', trainable: false });
      this._variance = this.addWeight({ name: 'variance', shape: statShape, initializer: 'ones', trainable: false });
      this.addWeight({ name: 'count', shape: [], initializer: 'zeros', trainable: false });
      return;
    }
    // Fixed statistics: broadcast to the kept axes (trailing dims aligned) and kept across steps.
    const fixed = (v: Values) => {
      const t = tensor(v as number[]);
      const expanded = new Array<number>(ndim).fill(1);
      t.shape.forEach((d, i) => (expanded[this._keep[this._keep.length - t.ndim + i]!] = d));
      return (t.ndim === 0 ? t.reshape(new Array<number>(ndim).fill(1)) : t.reshape(expanded)).expand(this._bshape).clone();
    };
    this._fixed = [this.keepCached(fixed(this.inputMean)), this.keepCached(fixed(this.inputVariance!))];
  }

  /** Compute the mean and variance of `data` over every axis but `axis` (Keras's `adapt`). */
  adapt(data: Tensor | number[] | number[][] | Iterable<Tensor>): void {
    if (this.inputMean !== null) throw new KerasValueError(`Normalization layer "${this.name}" was given \`mean\` and \`variance\`; adapt() learns them instead.`);
    const nested = Array.isArray(data) && !data.every((b) => b instanceof Tensor);
    const batches: Tensor[] = data instanceof Tensor ? [data] : nested ? [tensor(data as number[])] : [...(data as Iterable<Tensor>)];
    if (batches.length === 0) throw new KerasValueError('adapt() received an empty iterable (no batches). Expected at least one batch.');
    const first = batches[0]!;
    if (!this.built) this.maybeBuild(first.shape as Shape);
    noGrad(() => scope(() => {
      let totalMean: Tensor | null = null;
      let totalVar: Tensor | null = null;
      let totalCount = 0;
      for (const b of batches) {
        const x = b.float();
        for (const d of this._keep) {
          if (x.shape[d] !== this._bshape[d]) throw new KerasValueError(`The layer was built with input_shape=${shapeToString(this.buildInputShape as Shape)}, but adapt() is being called with data with an incompatible shape, data.shape=${shapeToString(x.shape)}`);
        }
        const reduce = [...Array(x.ndim).keys()].filter((i) => !this._keep.includes(i));
        const mean = reduce.length > 0 ? x.mean(reduce, { keepdim: true }) : x;
        const variance = reduce.length > 0 ? x.sub(mean).square().mean(reduce, { keepdim: true }) : x.mul(0);
        const count = reduce.reduce((n, i) => n * x.shape[i]!, 1);
        if (totalMean === null || totalVar === null) {
          [totalMean, totalVar, totalCount] = [mean, variance, count];
          continue;
        }
        // Keras's running combination (lack-of-fit sum of squares).
        totalCount += count;
        const wb = count / totalCount;
        const we = 1 - wb;
        const newMean: Tensor = totalMean.mul(we).add(mean.mul(wb));
        totalVar = totalVar.add(totalMean.sub(newMean).square()).mul(we).add(variance.add(mean.sub(newMean).square()).mul(wb));
        totalMean = newMean;
      }
      this._mean!.assign(totalMean!.reshape([...this._mean!.shape]));
      this._variance!.assign(totalVar!.reshape([...this._variance!.shape]));
    }));
    if (nested) batches[0]!.dispose();
  }

  private _stats(): [Tensor, Tensor] {
    if (this._fixed !== null) return this._fixed;
    return [this._mean!.reshape(this._bshape), this._variance!.reshape(this._bshape)];
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const [mean, variance] = this._stats();
    const std = variance.sqrt().clamp(EPSILON);
    return this.invert ? mean.add(x.mul(std)) : x.sub(mean).div(std);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis, invert: this.invert, mean: this.inputMean, variance: this.inputVariance };
  }
}
registerSerializable('layer', Normalization);
