/** `keras.layers.LayerNormalization`: normalize each example over `axis` (the features). */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import { weightConfigs, weightSettings, type WeightOptions, type WeightSettings } from '../weight_settings.js';
import type { Variable } from '../variable.js';

/** `beta`'s initializer defaults to 'zeros', `gamma`'s to 'ones'. */
export interface LayerNormalizationOptions extends LayerOptions, WeightOptions<'beta'>, WeightOptions<'gamma'> {
  /** The axis or axes normalized over (and that gamma/beta span). Default -1. */
  axis?: number | number[];
  /** Default 1e-3. */
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

/**
 * Keras's formula: `x * inv + (beta - mean * inv)` with
 * `inv = rsqrt(var + epsilon) * gamma`, the (biased) moments over `axis`.
 * Weights `gamma`, `beta` of shape `[input[a] for a in axis]`.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.LayerNormalization().apply(randn([4, 10, 32])).shape; // [4, 10, 32]
 * ```
 */
export class LayerNormalization extends Layer {
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaSettings: WeightSettings;
  readonly gammaSettings: WeightSettings;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(options: LayerNormalizationOptions = {}) {
    super(options);
    const axis = options.axis ?? -1;
    const ok = (a: unknown) => typeof a === 'number' && Number.isInteger(a);
    if (!(ok(axis) || (Array.isArray(axis) && axis.every(ok)))) {
      throw new KerasValueError(`Expected an int or a list/tuple of ints for the argument 'axis', but received: ${JSON.stringify(axis)}`);
    }
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    this.epsilon = options.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon >= 0)) throw new KerasValueError(`Argument \`epsilon\` must be a number >= 0. Received: epsilon=${String(options.epsilon)}`);
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.betaSettings = weightSettings(options, 'beta', 'zeros');
    this.gammaSettings = weightSettings(options, 'gamma', 'ones');
  }

  /** The axes as sorted non-negative indices for rank `ndim`. */
  private _axes(shape: readonly (number | null)[]): number[] {
    const ndim = shape.length;
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    for (const a of list) if (a >= ndim || a < -ndim) throw new KerasValueError(`Axis ${a} is out of bounds for input shape ${shapeToString(shape)}. Received: axis=${JSON.stringify(this.axis)}`);
    return list.map((a) => (a < 0 ? ndim + a : a)).sort((a, b) => a - b);
  }

  override build(inputShape: Shape): void {
    const shape = this._axes(inputShape).map((a) => {
      const d = inputShape[a];
      if (d === null || d === undefined) throw new KerasValueError(`LayerNormalization needs a defined size on axis ${a}; received input shape ${shapeToString(inputShape)}.`);
      return d;
    });
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape, ...this.gammaSettings });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape, ...this.betaSettings });
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const axes = this._axes(x.shape);
    const lastOnly = axes.length === 1 && axes[0] === x.ndim - 1;
    const bshape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const bc = (v: Tensor) => (lastOnly ? v : v.reshape(bshape));
    const mean = x.mean(axes, { keepdim: true });
    const variance = x.sub(mean).square().mean(axes, { keepdim: true });
    let inv = variance.add(this.epsilon).rsqrt();
    if (this.gamma !== null) inv = inv.mul(bc(this.gamma));
    let res = mean.mul(inv).neg();
    if (this.beta !== null) res = res.add(bc(this.beta));
    return x.mul(inv).add(res);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    this._axes(inputShape);
    return inputShape;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale,
      ...weightConfigs({ beta: this.betaSettings, gamma: this.gammaSettings }),
    };
  }
}
registerSerializable('layer', LayerNormalization);
