/** `keras.layers.TimeDistributed`: the same layer on every timestep. */
import { type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { deserialize, registerSerializable, serialize } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';

/**
 * Applies `layer` to every slice `inputs[:, t]` of a `[batch, time, ...]`
 * input, with the same weights: the time axis is folded into the batch
 * (one call of `layer` on `[batch * time, ...]`), then unfolded. The
 * input's mask passes through to the output.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const td = new keras.layers.TimeDistributed(new keras.layers.Dense(8));
 * td.apply(randn([32, 10, 16])).shape; // [32, 10, 8]
 * ```
 */
export class TimeDistributed extends Layer {
  readonly layer: Layer;

  constructor(layer: Layer, options: LayerOptions = {}) {
    super(options);
    if (!(layer instanceof Layer)) throw new KerasValueError(`Please initialize \`TimeDistributed\` layer with a \`keras.layers.Layer\` instance. Received: ${String(layer)}`);
    this.layer = layer;
    this.supportsMasking = true; // the input's mask passes to the output
  }

  private static check(inputShape: Shape, name: string): void {
    if (inputShape.length < 3) {
      throw new KerasValueError(`\`TimeDistributed\` Layer should be passed an \`input_shape\` with at least 3 dimensions, received: ${JSON.stringify(inputShape)} (layer "${name}")`);
    }
  }

  override build(inputShape: Shape): void {
    TimeDistributed.check(inputShape, this.name);
    this.layer.maybeBuild([inputShape[0]!, ...inputShape.slice(2)]);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    const [n, t, ...rest] = inputs.shape as number[];
    const y = this.layer.apply(inputs.reshape([n! * t!, ...rest]), { training: options.training }) as Tensor;
    return y.reshape([n!, t!, ...y.shape.slice(1)]);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    TimeDistributed.check(inputShape, this.name);
    const inner = this.layer.computeOutputShape([inputShape[0]!, ...inputShape.slice(2)]) as Shape;
    return [inner[0]!, inputShape[1]!, ...inner.slice(1)];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), layer: serialize('layer', this.layer) };
  }

  static override fromConfig(config: LayerConfig): TimeDistributed {
    const { layer, ...rest } = config;
    return new TimeDistributed(deserialize<Layer>('layer', layer), rest);
  }
}
registerSerializable('layer', TimeDistributed);
