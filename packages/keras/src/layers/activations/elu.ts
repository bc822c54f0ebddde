/** `keras.layers.ELU`: `x` if positive, else `alpha * (exp(x) - 1)` (default alpha 1). */
import type { Tensor } from '@duet/core';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class ELU extends Layer {
  readonly alpha: number;
  constructor(options: LayerOptions & { alpha?: number } = {}) {
    super(options);
    this.supportsMasking = true;
    this.alpha = options.alpha ?? 1;
  }
  override call(x: Tensor): Tensor {
    return x.elu(this.alpha);
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}
registerSerializable('layer', ELU);
