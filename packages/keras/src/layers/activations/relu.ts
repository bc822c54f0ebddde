/** `keras.layers.ReLU`: `max(x, 0)` with Keras's `maxValue`, `negativeSlope` and `threshold`. */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export interface ReLUOptions extends LayerOptions {
  /** Upper bound of the output. Default none. */
  maxValue?: number | null;
  /** Slope below the threshold. Default 0. */
  negativeSlope?: number;
  /** Values at or below it are zero (before the slope). Default 0. */
  threshold?: number;
}

/**
 * Keras's `relu(x, negative_slope, max_value, threshold)`: `x` above
 * `threshold` (else 0), clipped at `maxValue`, minus
 * `negativeSlope * relu(threshold - x)`.
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(options: ReLUOptions = {}) {
    super(options);
    this.supportsMasking = true;
    const { maxValue = null, negativeSlope = 0, threshold = 0 } = options;
    if (maxValue !== null && maxValue < 0) throw new KerasValueError(`max_value of a ReLU layer cannot be a negative value. Received: max_value=${maxValue}`);
    if (negativeSlope === null || negativeSlope < 0) throw new KerasValueError(`negative_slope of a ReLU layer cannot be None or a negative value. Received: negative_slope=${negativeSlope}`);
    if (threshold === null || threshold < 0) throw new KerasValueError(`threshold of a ReLU layer cannot be None or a negative value. Received: threshold=${threshold}`);
    this.maxValue = maxValue;
    this.negativeSlope = negativeSlope;
    this.threshold = threshold;
  }
  override call(x: Tensor): Tensor {
    const { maxValue, negativeSlope: slope, threshold } = this;
    if (slope !== 0 && maxValue === null && threshold === 0) return x.leakyRelu(slope);
    let y = threshold !== 0 ? x.mul(x.gt(threshold).float()) : x.relu();
    if (maxValue !== null) y = y.clamp(0, maxValue);
    if (slope !== 0) y = y.sub((threshold !== 0 ? x.neg().add(threshold) : x.neg()).relu().mul(slope));
    return y;
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}
registerSerializable('layer', ReLU);
