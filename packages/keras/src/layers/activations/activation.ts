/** `keras.layers.Activation`: applies an activation function. */
import type { Tensor } from '@duet/core';
import { getActivation, serializeActivation, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { tensor } from '@duet/core';
 * new keras.layers.Activation('relu').apply(tensor([[-1, 2]])).toArray(); // [[0, 2]]
 * ```
 */
export class Activation extends Layer {
  readonly activation: ActivationFn;
  constructor(activation: ActivationIdentifier, options: LayerOptions = {}) {
    super(options);
    this.supportsMasking = true;
    this.activation = getActivation(activation);
  }
  override call(inputs: Tensor): Tensor {
    return this.activation(inputs);
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), activation: serializeActivation(this.activation) };
  }
  static override fromConfig(config: LayerConfig): Activation {
    return new Activation(config.activation, config);
  }
}
registerSerializable('layer', Activation);
