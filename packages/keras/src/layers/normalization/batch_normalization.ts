/** `keras.layers.BatchNormalization`: normalize by the batch's statistics in training, by moving averages otherwise. */
import { functional as CF, noGrad, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints/constraint.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers/regularizer.js';
import { registerSerializable } from '../../registry.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';

export interface BatchNormalizationOptions extends LayerOptions {
  /** The features axis (channels). Default -1 (channels last); 1 for channels-first images. */
  axis?: number;
  /** moving = moving * momentum + batch * (1 - momentum). Default 0.99. */
  momentum?: number;
  /** Added to the variance. Default 1e-3. */
  epsilon?: number;
  /** Add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Multiply by the learned `gamma`. Default true. */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
  betaConstraint?: ConstraintIdentifier;
  gammaConstraint?: ConstraintIdentifier;
}

/**
 * Keras's rules: batch statistics (biased variance) only when called with
 * `training: true` on a trainable layer (a frozen BatchNormalization runs in
 * inference mode, as in Keras 3); the moving statistics are updated then,
 * with Keras's formula. Weights: `gamma`, `beta` (trainable),
 * `moving_mean`, `moving_variance`.
 *
 * Channels-last inputs of any rank (and channels-first images) run TF's
 * FusedBatchNormV3 / FusedBatchNormGradV3: one kernel each way, the input
 * viewed as [M, 1, 1, C] by a free reshape. Other axes compute the moments
 * with ordinary ops.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const bn = new keras.layers.BatchNormalization();
 * bn.apply(randn([32, 8, 8, 16]), { training: true }); // updates moving_mean / moving_variance
 * bn.weights.map((w) => w.path); // ['batch_normalization/gamma', '.../beta', '.../moving_mean', '.../moving_variance']
 * ```
 */
export class BatchNormalization extends Layer {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  private _movingMean: Variable | null = null;
  private _movingVariance: Variable | null = null;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options);
    const num = (v: unknown, name: string, dflt: number) => {
      const x = v ?? dflt;
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new KerasValueError(`Argument \`${name}\` must be a number. Received: ${name}=${String(v)}`);
      return x;
    };
    const axis = num(options.axis, 'axis', -1);
    if (!Number.isInteger(axis)) throw new KerasValueError(`Argument \`axis\` must be an integer. Received: axis=${String(options.axis)}`);
    this.axis = axis;
    this.momentum = num(options.momentum, 'momentum', 0.99);
    this.epsilon = num(options.epsilon, 'epsilon', 1e-3);
    if (this.epsilon < 0) throw new KerasValueError(`Argument \`epsilon\` must be >= 0. Received: epsilon=${this.epsilon}`);
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.betaInitializer = getInitializer(options.betaInitializer ?? 'zeros');
    this.gammaInitializer = getInitializer(options.gammaInitializer ?? 'ones');
    this.movingMeanInitializer = getInitializer(options.movingMeanInitializer ?? 'zeros');
    this.movingVarianceInitializer = getInitializer(options.movingVarianceInitializer ?? 'ones');
    this.betaRegularizer = getRegularizer(options.betaRegularizer);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer);
    this.betaConstraint = getConstraint(options.betaConstraint);
    this.gammaConstraint = getConstraint(options.gammaConstraint);
  }

  override build(inputShape: Shape): void {
    const ax = this._axis(inputShape.length, inputShape);
    const c = inputShape[ax];
    if (c === null || c === undefined) throw new KerasValueError(`Axis ${this.axis} of input tensor should have a defined dimension but the layer received an input with shape ${shapeToString(inputShape)}.`);
    const shape = [c];
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape, initializer: this.gammaInitializer, regularizer: this.gammaRegularizer, constraint: this.gammaConstraint });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape, initializer: this.betaInitializer, regularizer: this.betaRegularizer, constraint: this.betaConstraint });
    this._movingMean = this.addWeight({ name: 'moving_mean', shape, initializer: this.movingMeanInitializer, trainable: false });
    this._movingVariance = this.addWeight({ name: 'moving_variance', shape, initializer: this.movingVarianceInitializer, trainable: false });
    this.inputSpec = new InputSpec({ ndim: inputShape.length, axes: { [this.axis]: c } });
  }

  private _axis(ndim: number, shape: readonly (number | null)[]): number {
    if (this.axis >= ndim || this.axis < -ndim) throw new KerasValueError(`Axis ${this.axis} is out of bounds for input shape ${shapeToString(shape)}. Received: axis=${this.axis}`);
    return this.axis < 0 ? ndim + this.axis : this.axis;
  }

  get movingMean(): Variable {
    return this._stats()[0];
  }
  get movingVariance(): Variable {
    return this._stats()[1];
  }
  private _stats(): [Variable, Variable] {
    if (this._movingMean === null || this._movingVariance === null) throw new KerasValueError(`BatchNormalization layer "${this.name}" is not built yet: it is built on its first call.`);
    return [this._movingMean, this._movingVariance];
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const [mm, mv] = this._stats();
    const useBatch = options.training === true && this.trainable;
    const ax = this._axis(x.ndim, x.shape);
    const c = x.shape[ax]!;
    const last = ax === x.ndim - 1;
    if (last || (x.ndim === 4 && ax === 1)) {
      // TF's fused kernel: [M, 1, 1, C] channels last (a free reshape), or NCHW images.
      const x4 = last && x.ndim !== 4 ? x.reshape([-1, 1, 1, c]) : x;
      const r = CF.batchNorm2d(x4, useBatch ? null : mm, useBatch ? null : mv, {
        weight: this.gamma, bias: this.beta, training: useBatch, eps: this.epsilon, dataFormat: last ? 'NHWC' : 'NCHW',
      });
      if (useBatch) this._update(r.mean!, r.variance!);
      return x4 === x ? r.y : r.y.reshape([...x.shape]);
    }
    const axes = [...Array(x.ndim).keys()].filter((i) => i !== ax);
    const bshape = x.shape.map((d, i) => (i === ax ? d : 1));
    let mean: Tensor;
    let variance: Tensor;
    if (useBatch) {
      mean = x.mean(axes, { keepdim: true });
      variance = x.sub(mean).square().mean(axes, { keepdim: true });
      this._update(mean.detach().reshape([c]), variance.detach().reshape([c]));
    } else {
      mean = mm.reshape(bshape);
      variance = mv.reshape(bshape);
    }
    // Keras's (TF's) batch_normalization: x * inv + (beta - mean * inv), inv = rsqrt(var + eps) * gamma.
    let inv = variance.add(this.epsilon).rsqrt();
    if (this.gamma !== null) inv = inv.mul(this.gamma.reshape(bshape));
    let shift = mean.mul(inv).neg();
    if (this.beta !== null) shift = shift.add(this.beta.reshape(bshape));
    return x.mul(inv).add(shift);
  }

  /** Keras's update: moving = moving * momentum + batch * (1 - momentum). */
  private _update(mean: Tensor, variance: Tensor): void {
    const [mm, mv] = this._stats();
    noGrad(() => {
      const m = this.momentum;
      const newMean = mm.mul(m).add(mean.mul(1 - m));
      const newVar = mv.mul(m).add(variance.mul(1 - m));
      mm.assign(newMean);
      mv.assign(newVar);
      for (const t of [newMean, newVar, mean, variance]) t.dispose();
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    this._axis(inputShape.length, inputShape);
    return inputShape;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer), gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer), movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: serializeRegularizer(this.betaRegularizer), gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      betaConstraint: serializeConstraint(this.betaConstraint), gammaConstraint: serializeConstraint(this.gammaConstraint),
    };
  }
}
registerSerializable('layer', BatchNormalization);
