/**
 * `keras.layers.Masking`: masks the timesteps whose features all equal
 * `maskValue` (default 0): they are zeroed, and the output carries a mask
 * `[batch, time]` for the layers after it.
 */
import type { Tensor } from '@duet/core';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class Masking extends Layer {
  readonly maskValue: number;
  constructor(options: LayerOptions & { maskValue?: number } = {}) {
    super(options);
    this.maskValue = options.maskValue ?? 0;
    this.supportsMasking = true;
  }
  override computeMask(inputs: unknown): Tensor {
    return (inputs as Tensor).ne(this.maskValue).any(-1);
  }
  override call(inputs: Tensor): Tensor {
    return inputs.mul(inputs.ne(this.maskValue).any(-1, { keepdim: true }).float());
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}
registerSerializable('layer', Masking);
