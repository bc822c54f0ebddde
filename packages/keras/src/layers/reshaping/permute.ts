/** `keras.layers.Permute`: permute the non-batch axes; `dims` is 1-based (`[2, 1]` swaps the two). */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { KerasTensor, SymbolicDType } from '../../graph/keras_tensor.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class Permute extends Layer {
  readonly dims: number[];
  constructor(dims: number[], options: LayerOptions = {}) {
    super(options);
    const sorted = [...(dims ?? [])].sort((a, b) => a - b);
    if (!Array.isArray(dims) || sorted.some((d, i) => d !== i + 1)) {
      throw new KerasValueError(`Invalid permutation argument \`dims\` for Permute Layer. The set of indices in \`dims\` must be consecutive and start from 1. Received dims=${JSON.stringify(dims)}`);
    }
    this.dims = [...dims];
    this.inputSpec = new InputSpec({ ndim: dims.length + 1 });
  }
  override call(inputs: Tensor): Tensor {
    return inputs.permute([0, ...this.dims]);
  }
  /** Moves values only: the input's dtype. */
  protected override outputDtype(inputs: KerasTensor[]): SymbolicDType {
    return inputs[0]?.dtype ?? 'float32';
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0] ?? null, ...this.dims.map((d) => inputShape[d] ?? null)];
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dims: this.dims };
  }
  static override fromConfig(config: LayerConfig): Permute {
    return new Permute(config.dims, config);
  }
}
registerSerializable('layer', Permute);
