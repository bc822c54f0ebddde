/** `keras.layers.LeakyReLU`: `x` if positive, else `negativeSlope * x` (Keras 3's default slope 0.3). */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class LeakyReLU extends Layer {
  readonly negativeSlope: number;
  constructor(options: LayerOptions & { negativeSlope?: number } = {}) {
    super(options);
    this.supportsMasking = true;
    const s = options.negativeSlope ?? 0.3;
    if (s === null || s < 0) throw new KerasValueError(`The negative_slope value of a Leaky ReLU layer cannot be None or negative value. Expected a float. Received: negative_slope=${s}`);
    this.negativeSlope = s;
  }
  override call(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), negativeSlope: this.negativeSlope };
  }
}
registerSerializable('layer', LeakyReLU);
