/** `keras.layers.Reshape`: reshape every sample to `targetShape` (one entry may be -1). */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { KerasTensor, SymbolicDType } from '../../graph/keras_tensor.js';
import { registerSerializable } from '../../registry.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export class Reshape extends Layer {
  readonly targetShape: number[];
  constructor(targetShape: number[], options: LayerOptions = {}) {
    super(options);
    if (!Array.isArray(targetShape) || targetShape.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || targetShape.filter((d) => d === -1).length > 1) {
      throw new KerasValueError(`Invalid \`target_shape\`: expected positive integers and at most one -1. Received: target_shape=${JSON.stringify(targetShape)}`);
    }
    this.targetShape = [...targetShape];
  }
  override call(inputs: Tensor): Tensor {
    return inputs.reshape([inputs.shape[0]!, ...this.targetShape]);
  }
  /** Moves values only: the input's dtype. */
  protected override outputDtype(inputs: KerasTensor[]): SymbolicDType {
    return inputs[0]?.dtype ?? 'float32';
  }
  override computeOutputShape(inputShape: Shape): Shape {
    const rest = inputShape.slice(1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (!this.targetShape.includes(-1)) {
      if (!rest.includes(null)) {
        const n = (rest as number[]).reduce((a, b) => a * b, 1);
        if (n !== known) throw new KerasValueError(`The total size of the target shape ${shapeToString(this.targetShape)} (${known}) does not match the input shape ${shapeToString(inputShape)} (${n} per sample).`);
      }
      return [inputShape[0] ?? null, ...this.targetShape];
    }
    if (rest.includes(null)) return [inputShape[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? null : d))];
    const n = (rest as number[]).reduce((a, b) => a * b, 1);
    if (n % known !== 0) throw new KerasValueError(`The total size of the input shape ${shapeToString(inputShape)} is not divisible by the known dimensions of the target shape ${shapeToString(this.targetShape)}.`);
    return [inputShape[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? n / known : d))];
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
  static override fromConfig(config: LayerConfig): Reshape {
    return new Reshape(config.targetShape, config);
  }
}
registerSerializable('layer', Reshape);
