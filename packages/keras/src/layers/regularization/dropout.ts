/** `keras.layers.Dropout`: zeroes inputs at `rate` in training, scaling the rest by 1 / (1 - rate). */
import { Tensor, rand } from '@duet/core';
import { F } from '@duet/nn';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';

export interface DropoutOptions extends LayerOptions {
  /** Shape of the mask, broadcast against the input (null entries: the input's size), e.g. `[null, 1, null]` for the same mask at every step. */
  noiseShape?: (number | null)[] | null;
  /** Accepted for compatibility; Duet's randomness follows core's `manualSeed`. */
  seed?: number | null;
}

/**
 * Active only when called with `training: true` (which `fit` passes);
 * identity otherwise. Runs nn's `F.dropout` (or a broadcast mask with
 * `noiseShape`).
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed: number | null;
  constructor(rate: number, options: DropoutOptions = {}) {
    super(options);
    this.supportsMasking = true;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new KerasValueError(`Invalid value received for argument \`rate\`. Expected a float value between 0 and 1. Received: rate=${String(rate)}`);
    }
    this.rate = rate;
    this.noiseShape = options.noiseShape ?? null;
    this.seed = options.seed ?? null;
  }
  override call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    if (this.noiseShape === null) return F.dropout(inputs, this.rate, true);
    const shape = this.noiseShape.map((d, i) => d ?? inputs.shape[i]!);
    const keep = rand(shape).ge(this.rate).float();
    return inputs.mul(keep).div(1 - this.rate);
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape, seed: this.seed };
  }
  static override fromConfig(config: LayerConfig): Dropout {
    return new Dropout(config.rate, config);
  }
}
registerSerializable('layer', Dropout);
