/** `keras.layers.RepeatVector`: `[N, F]` -> `[N, n, F]`. */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { KerasTensor, SymbolicDType } from '../../graph/keras_tensor.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class RepeatVector extends Layer {
  readonly n: number;
  constructor(n: number, options: LayerOptions = {}) {
    super(options);
    if (!Number.isInteger(n) || n <= 0) throw new KerasValueError(`Expected an integer value for \`n\`, got ${String(n)}.`);
    this.n = n;
    this.inputSpec = new InputSpec({ ndim: 2 });
  }
  override call(inputs: Tensor): Tensor {
    return inputs.unsqueeze(1).expand([inputs.shape[0]!, this.n, inputs.shape[1]!]);
  }
  /** Moves values only: the input's dtype. */
  protected override outputDtype(inputs: KerasTensor[]): SymbolicDType {
    return inputs[0]?.dtype ?? 'float32';
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0] ?? null, this.n, inputShape[1] ?? null];
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), n: this.n };
  }
  static override fromConfig(config: LayerConfig): RepeatVector {
    return new RepeatVector(config.n, config);
  }
}
registerSerializable('layer', RepeatVector);
