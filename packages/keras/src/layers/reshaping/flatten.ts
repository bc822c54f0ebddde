/** `keras.layers.Flatten`: `[N, ...]` -> `[N, prod(...)]` (channels-last, so no transpose). */
import type { Tensor } from '@duet/core';
import type { KerasTensor, SymbolicDType } from '../../graph/keras_tensor.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class Flatten extends Layer {
  readonly dataFormat: 'channels_last';
  constructor(options: LayerOptions & { dataFormat?: 'channels_last' | 'channelsLast' } = {}) {
    super(options);
    this.dataFormat = 'channels_last';
    this.inputSpec = new InputSpec({ minNdim: 1 });
  }
  override call(inputs: Tensor): Tensor {
    return inputs.ndim === 1 ? inputs.unsqueeze(1) : inputs.reshape([inputs.shape[0]!, -1]);
  }
  /** Moves values only: the input's dtype. */
  protected override outputDtype(inputs: KerasTensor[]): SymbolicDType {
    return inputs[0]?.dtype ?? 'float32';
  }
  override computeOutputShape(inputShape: Shape): Shape {
    const rest = inputShape.slice(1);
    const n = rest.some((d) => d === null) ? null : rest.reduce<number>((a, b) => a * (b as number), 1);
    return [inputShape[0] ?? null, n];
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}
registerSerializable('layer', Flatten);
