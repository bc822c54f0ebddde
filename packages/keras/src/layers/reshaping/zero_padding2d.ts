/** `keras.layers.ZeroPadding2D`: rows and columns of zeros around images. */
import type { Tensor } from '@duet/core';
import { F } from '@duet/nn';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import { standardizeDataFormat, standardizeTuple, type DataFormat } from '../convolutional/conv_utils.js';

type Padding2D = number | [number, number] | [[number, number], [number, number]];

export interface ZeroPadding2DOptions extends LayerOptions {
  /** n (all sides), [h, w] (symmetric), or [[top, bottom], [left, right]]. Default [1, 1]. */
  padding?: Padding2D;
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
}

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.ZeroPadding2D([[1, 2], [0, 3]]).apply(randn([2, 4, 4, 3])).shape; // [2, 7, 7, 3]
 * ```
 */
export class ZeroPadding2D extends Layer {
  /** [[top, bottom], [left, right]]. */
  readonly padding: [[number, number], [number, number]];
  readonly dataFormat: DataFormat;

  constructor(padding?: Padding2D | ZeroPadding2DOptions, options: ZeroPadding2DOptions = {}) {
    const o = padding !== undefined && typeof padding === 'object' && !Array.isArray(padding) ? padding : { ...options, padding: padding ?? options.padding };
    super(o);
    const p = o.padding ?? 1;
    if (typeof p === 'number') {
      const [n] = standardizeTuple(p, 1, 'padding', true);
      this.padding = [[n!, n!], [n!, n!]];
    } else if (Array.isArray(p) && p.length === 2) {
      const h = standardizeTuple(p[0], 2, '1st entry of padding', true);
      const w = standardizeTuple(p[1], 2, '2nd entry of padding', true);
      this.padding = [[h[0]!, h[1]!], [w[0]!, w[1]!]];
    } else {
      throw new KerasValueError(`\`padding\` should have two elements. Received: padding=${JSON.stringify(p)}.`);
    }
    this.dataFormat = standardizeDataFormat(o.dataFormat);
    this.inputSpec = new InputSpec({ ndim: 4 });
  }

  override call(inputs: Tensor): Tensor {
    const [[t, b], [l, r]] = this.padding;
    // F.pad lists the last dim first.
    return this.dataFormat === 'channels_last' ? F.pad(inputs, [0, 0, l, r, t, b]) : F.pad(inputs, [l, r, t, b]);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = [...inputShape];
    const off = this.dataFormat === 'channels_first' ? 2 : 1;
    for (let i = 0; i < 2; i++) if (out[off + i] !== null) out[off + i] = out[off + i]! + this.padding[i]![0] + this.padding[i]![1];
    return out;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), padding: this.padding, dataFormat: this.dataFormat };
  }

  static override fromConfig(config: LayerConfig): ZeroPadding2D {
    return new ZeroPadding2D(config);
  }
}
registerSerializable('layer', ZeroPadding2D);
