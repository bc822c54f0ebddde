/** `keras.layers.Dense`: `activation(inputs @ kernel + bias)`, kernel `[in, out]`. */
import { linear, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { getActivation, relu, serializeActivation, softmax, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { rememberLogits } from '../../activations/logits.js';
import type { ConstraintIdentifier } from '../../constraints/constraint.js';
import type { InitializerIdentifier } from '../../initializers/initializer.js';
import type { RegularizerIdentifier } from '../../regularizers/regularizer.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { weightConfig, weightSettings, type WeightSettings } from '../weight_settings.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';

export interface DenseOptions extends LayerOptions {
  /** Activation by name (`'relu'`, `'softmax'`) or function. Default none (linear). */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  kernelConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
}

/**
 * A densely-connected layer. Runs core's fused `linear` (MatMul + BiasAdd,
 * and the Relu in the same call for `activation: 'relu'`); a softmax output
 * remembers its logits, so crossentropy losses compute from them as Keras's
 * TensorFlow backend does.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const dense = new keras.layers.Dense(10, { activation: 'relu' });
 * dense.apply(randn([32, 784])).shape; // [32, 10]
 * dense.kernel.shape;                  // [784, 10]
 * ```
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly kernelSettings: WeightSettings;
  readonly biasSettings: WeightSettings;
  private _kernel: Variable | null = null;
  private _bias: Variable | null = null;

  constructor(units: number, options: DenseOptions = {}) {
    super(options);
    this.supportsMasking = true;
    if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
      throw new KerasValueError(`Received an invalid value for \`units\`, expected a positive integer. Received: units=${String(units)}`);
    }
    this.units = units;
    this.activation = getActivation(options.activation);
    this.useBias = options.useBias ?? true;
    this.kernelSettings = weightSettings(options, 'kernel', 'glorot_uniform');
    this.biasSettings = weightSettings(options, 'bias', 'zeros');
    this.inputSpec = new InputSpec({ minNdim: 2 });
  }

  override build(inputShape: Shape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputDim === null || inputDim === undefined) {
      throw new KerasValueError(`The last dimension of the inputs to a Dense layer should be defined. Found None. Full input shape received: ${JSON.stringify(inputShape)}`);
    }
    this._kernel = this.addWeight({ name: 'kernel', shape: [inputDim, this.units], ...this.kernelSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [this.units], ...this.biasSettings });
    this.inputSpec = new InputSpec({ minNdim: 2, axes: { [-1]: inputDim } });
  }

  /** The `[in, units]` kernel (after build). */
  get kernel(): Variable {
    if (this._kernel === null) throw new KerasValueError(`Dense layer "${this.name}" has no kernel yet: it is built on its first call (or call build(inputShape)).`);
    return this._kernel;
  }
  /** The `[units]` bias, or null with `useBias: false`. */
  get bias(): Variable | null {
    return this._bias;
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    if (this.activation === relu) return linear(x, this.kernel, this._bias, { weightLayout: 'in_out', activation: 'relu' });
    const y = linear(x, this.kernel, this._bias, { weightLayout: 'in_out' });
    if (this.activation === softmax) return rememberLogits(y.softmax(-1), y, 'softmax');
    return this.activation(y);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...weightConfig('kernel', this.kernelSettings),
      ...weightConfig('bias', this.biasSettings),
    };
  }

  static override fromConfig(config: LayerConfig): Dense {
    return new Dense(config.units, config);
  }
}
registerSerializable('layer', Dense);
