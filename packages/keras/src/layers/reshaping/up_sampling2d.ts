/** `keras.layers.UpSampling2D`: repeat rows and columns (nearest) or resize bilinearly. */
import type { Tensor } from '@duet/core';
import { F } from '@duet/nn';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import { standardizeDataFormat, standardizeTuple, type DataFormat } from '../convolutional/conv_utils.js';

export interface UpSampling2DOptions extends LayerOptions {
  /** Factor for rows and columns: one integer or [h, w]. Default [2, 2]. */
  size?: number | number[];
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
  /** 'nearest' (default: each pixel repeated) or 'bilinear' (TF's half-pixel resize, as `tf.image.resize`). */
  interpolation?: 'nearest' | 'bilinear';
}

/**
 * Runs nn's `F.interpolate` on the channels-last layout (one gather per
 * axis for nearest, two plus a blend for bilinear).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.UpSampling2D(2, { interpolation: 'bilinear' }).apply(randn([2, 4, 4, 3])).shape; // [2, 8, 8, 3]
 * ```
 */
export class UpSampling2D extends Layer {
  readonly size: number[];
  readonly dataFormat: DataFormat;
  readonly interpolation: 'nearest' | 'bilinear';

  constructor(size?: number | number[] | UpSampling2DOptions, options: UpSampling2DOptions = {}) {
    const o = size !== undefined && typeof size === 'object' && !Array.isArray(size) ? size : { ...options, size: size ?? options.size };
    super(o);
    this.size = standardizeTuple(o.size ?? 2, 2, 'size');
    this.dataFormat = standardizeDataFormat(o.dataFormat);
    const interp = String(o.interpolation ?? 'nearest').toLowerCase();
    if (interp !== 'nearest' && interp !== 'bilinear') {
      throw new KerasValueError(`Duet's UpSampling2D supports \`interpolation\` 'nearest' and 'bilinear'. Received: interpolation=${String(o.interpolation)}`);
    }
    this.interpolation = interp;
    this.inputSpec = new InputSpec({ ndim: 4 });
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const last = this.dataFormat === 'channels_last';
    const hw = last ? x.shape.slice(1, 3) : x.shape.slice(2, 4);
    return F.interpolate(x, {
      size: [hw[0]! * this.size[0]!, hw[1]! * this.size[1]!],
      mode: this.interpolation,
      dataFormat: last ? 'channelsLast' : 'channelsFirst',
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = [...inputShape];
    const off = this.dataFormat === 'channels_first' ? 2 : 1;
    for (let i = 0; i < 2; i++) if (out[off + i] !== null) out[off + i] = out[off + i]! * this.size[i]!;
    return out;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), size: this.size, dataFormat: this.dataFormat, interpolation: this.interpolation };
  }

  static override fromConfig(config: LayerConfig): UpSampling2D {
    return new UpSampling2D(config);
  }
}
registerSerializable('layer', UpSampling2D);
