/** `keras.layers.Rescaling`: `inputs * scale + offset` (e.g. `1 / 255` for images). */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;
  constructor(scale: number, options: LayerOptions & { offset?: number } = {}) {
    super(options);
    if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new KerasValueError(`\`scale\` must be a number. Received: scale=${String(scale)}`);
    this.scale = scale;
    this.offset = options.offset ?? 0;
  }
  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const y = x.mul(this.scale);
    return this.offset === 0 ? y : y.add(this.offset);
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
  static override fromConfig(config: LayerConfig): Rescaling {
    return new Rescaling(config.scale, config);
  }
}
registerSerializable('layer', Rescaling);
