/** The base of the global pooling layers: a mean or max over every spatial axis (one Mean / Max kernel). */
import type { Tensor } from '@duet/core';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import { standardizeDataFormat, type DataFormat } from '../convolutional/conv_utils.js';

export interface GlobalPoolingOptions extends LayerOptions {
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
  /** Keep the spatial axes as size 1 (Keras's `keepdims`). Default false. */
  keepdims?: boolean;
}

export abstract class BaseGlobalPooling extends Layer {
  readonly dataFormat: DataFormat;
  readonly keepdims: boolean;
  private readonly rank: number;
  private readonly mode: 'max' | 'average';

  constructor(rank: number, mode: 'max' | 'average', options: GlobalPoolingOptions = {}) {
    super(options);
    this.rank = rank;
    this.mode = mode;
    this.dataFormat = standardizeDataFormat(options.dataFormat);
    this.keepdims = options.keepdims ?? false;
    this.inputSpec = new InputSpec({ ndim: rank + 2 });
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const first = this.dataFormat === 'channels_last' ? 1 : 2;
    const axes = Array.from({ length: this.rank }, (_, i) => first + i);
    return this.mode === 'max' ? x.amax(axes, { keepdim: this.keepdims }) : x.mean(axes, { keepdim: this.keepdims });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const ones = new Array<number>(this.rank).fill(1);
    if (this.dataFormat === 'channels_last') {
      const c = inputShape[inputShape.length - 1]!;
      return this.keepdims ? [inputShape[0]!, ...ones, c] : [inputShape[0]!, c];
    }
    return this.keepdims ? [inputShape[0]!, inputShape[1]!, ...ones] : [inputShape[0]!, inputShape[1]!];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}
