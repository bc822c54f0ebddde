/**
 * The base of MaxPooling1D/2D and AveragePooling1D/2D (Keras 3's
 * `BasePooling`): core's MaxPool / AvgPool kernels, channels-last as is,
 * 'same' padding TensorFlow's (max: -inf padding; average: the padding is
 * left out of the divisor). 1-d pooling runs as 2-d over a unit height.
 */
import { functional as CF, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import { standardizeDataFormat, standardizePadding, standardizeTuple, windowOutput, type ConvPadding, type DataFormat } from '../convolutional/conv_utils.js';

export interface PoolingOptions extends LayerOptions {
  /** Window size: one integer or one per spatial dim. Default 2 (or the positional argument). */
  poolSize?: number | number[];
  /** Default: `poolSize`. */
  strides?: number | number[] | null;
  /** 'valid' (default) or 'same' (output ceil(input / strides)). */
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
}

type PoolMode = 'max' | 'average';

/** `(poolSize, options)` or `(options)`, as Keras's first positional argument is optional. */
export function poolArgs(poolSize: number | number[] | PoolingOptions | undefined, options: PoolingOptions): PoolingOptions {
  if (poolSize !== undefined && typeof poolSize === 'object' && !Array.isArray(poolSize)) return poolSize;
  return poolSize === undefined ? options : { ...options, poolSize };
}

export abstract class BasePooling extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: ConvPadding;
  readonly dataFormat: DataFormat;
  private readonly rank: 1 | 2;
  private readonly mode: PoolMode;

  constructor(rank: 1 | 2, mode: PoolMode, options: PoolingOptions) {
    super(options);
    this.rank = rank;
    this.mode = mode;
    const size = options.poolSize ?? 2;
    this.poolSize = standardizeTuple(size, rank, 'pool_size');
    this.strides = standardizeTuple(options.strides ?? size, rank, 'strides');
    this.padding = standardizePadding(options.padding ?? 'valid') as ConvPadding;
    this.dataFormat = standardizeDataFormat(options.dataFormat);
    this.inputSpec = new InputSpec({ ndim: rank + 2 });
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const last = this.dataFormat === 'channels_last';
    if (this.rank === 1) {
      const unit = last ? 1 : 2;
      return this.pool2d(x.unsqueeze(unit), [1, this.poolSize[0]!], [1, this.strides[0]!]).squeeze(unit);
    }
    return this.pool2d(x, this.poolSize, this.strides);
  }

  private pool2d(x: Tensor, k: number[], s: number[]): Tensor {
    const opts = {
      stride: [s[0]!, s[1]!] as [number, number],
      padding: this.padding === 'same' ? ('same' as const) : 0,
      dataFormat: this.dataFormat === 'channels_last' ? ('NHWC' as const) : ('NCHW' as const),
    };
    const kk: [number, number] = [k[0]!, k[1]!];
    return this.mode === 'max' ? CF.maxPool2d(x, kk, opts) : CF.avgPool2d(x, kk, { ...opts, countIncludePad: false });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const last = this.dataFormat === 'channels_last';
    const spatial = last ? inputShape.slice(1, 1 + this.rank) : inputShape.slice(2, 2 + this.rank);
    const out = spatial.map((n, i) => windowOutput(n, this.poolSize[i]!, this.strides[i]!, 1, this.padding));
    if (out.some((o) => o !== null && o <= 0)) {
      throw new KerasValueError(`Computed output size would be negative. Received: \`inputs.shape=${JSON.stringify(inputShape)}\` and \`pool_size=${JSON.stringify(this.poolSize)}\`.`);
    }
    return last ? [inputShape[0]!, ...out, inputShape[inputShape.length - 1]!] : [inputShape[0]!, inputShape[1]!, ...out];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), poolSize: this.poolSize, padding: this.padding, strides: this.strides, dataFormat: this.dataFormat };
  }
}
