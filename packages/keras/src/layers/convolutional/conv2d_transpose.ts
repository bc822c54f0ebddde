/** `keras.layers.Conv2DTranspose`: the transposed 2-d convolution, kernel [kh, kw, filters, in]. */
import { functional as CF, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { serializeActivation } from '../../activations/activations.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { weightConfig, weightSettings, type WeightOptions, type WeightSettings } from '../weight_settings.js';
import type { LayerConfig } from '../layer.js';
import type { Variable } from '../variable.js';
import { ConvLayer, noStridedDilation, type ConvLayerOptions } from './base_conv.js';
import { checkPositiveInt, standardizeTuple, transposeOutput, tupleStr } from './conv_utils.js';

/**
 * `padding` 'valid' (default) gives outputs (in - 1) * s + k + max(s - k, 0),
 * 'same' in * s. The kernel's initializer defaults to 'glorot_uniform'.
 */
export interface Conv2DTransposeOptions extends ConvLayerOptions, WeightOptions<'kernel'> {
  /** Extra rows/cols at the bottom/right (each < strides), or null (default) for Keras's sizes above. */
  outputPadding?: number | number[] | null;
}

/**
 * The gradient of a Conv2D with respect to its input, as a layer (one
 * Conv2DBackpropInput kernel forward). The output size is Keras's; TF's
 * cropping for it (the odd row after, for 'same') goes to core as explicit
 * padding.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const up = new keras.layers.Conv2DTranspose(8, 3, { strides: 2, padding: 'same' });
 * up.apply(randn([2, 7, 7, 16])).shape; // [2, 14, 14, 8]
 * up.kernel.shape;                      // [3, 3, 8, 16]
 * ```
 */
export class Conv2DTranspose extends ConvLayer {
  readonly filters: number;
  readonly outputPadding: number[] | null;
  readonly kernelSettings: WeightSettings;
  private _kernel: Variable | null = null;

  constructor(filters: number, kernelSize: number | number[], options: Conv2DTransposeOptions = {}) {
    super(2, kernelSize, options);
    this.filters = checkPositiveInt(filters, 'filters');
    this.outputPadding = options.outputPadding == null ? null : standardizeTuple(options.outputPadding, 2, 'output_padding', true);
    if (this.outputPadding !== null) {
      this.outputPadding.forEach((op, i) => {
        const s = this.strides[i]!;
        if (op >= s) {
          throw new KerasValueError(`\`output_padding\` must be strictly less than \`strides\` for all dimensions. At dimension ${i}, \`output_padding\` is ${op} but \`strides\` is ${s}. Received: output_padding=${tupleStr(this.outputPadding!)}, strides=${tupleStr(this.strides)}`);
        }
      });
    }
    noStridedDilation(this.strides, this.dilationRate);
    this.kernelSettings = weightSettings(options, 'kernel', 'glorot_uniform');
  }

  override build(inputShape: Shape): void {
    const c = this.buildChannels(inputShape);
    this._kernel = this.addWeight({ name: 'kernel', shape: [...this.kernelSize, this.filters, c], ...this.kernelSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [this.filters], ...this.biasSettings });
  }

  /** [kh, kw, filters, in] (after build). */
  get kernel(): Variable {
    return this.afterBuild(this._kernel, '`kernel`');
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const last = this.dataFormat === 'channels_last';
    const hw = last ? x.shape.slice(1, 3) : x.shape.slice(2, 4);
    // TF's crop for Keras's output size O: total = max(full - O, 0), half before (the odd one after); the rest of O - full is output padding.
    const pads: [number, number][] = [];
    const outPad: number[] = [];
    for (let i = 0; i < 2; i++) {
      const [k, s, d] = [this.kernelSize[i]!, this.strides[i]!, this.dilationRate[i]!];
      const full = (hw[i]! - 1) * s + (k - 1) * d + 1;
      const o = transposeOutput(hw[i]!, k, s, d, this.padding, this.outputPadding?.[i] ?? null)!;
      const total = this.padding === 'same' ? Math.max(full - o, 0) : 0;
      pads.push([Math.floor(total / 2), total - Math.floor(total / 2)]);
      outPad.push(o - full + total);
    }
    const opts = { stride: this.strides as [number, number], dilation: this.dilationRate as [number, number], padding: pads as [[number, number], [number, number]], outputPadding: outPad as [number, number] };
    const y = last
      ? CF.convTranspose2d(x, this.kernel, this._bias, { ...opts, dataFormat: 'NHWC' })
      : CF.convTranspose2d(x, this.kernel.permute([3, 2, 0, 1]), this._bias, opts);
    return this.activation(y);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const last = this.dataFormat === 'channels_last';
    const spatial = last ? inputShape.slice(1, 3) : inputShape.slice(2, 4);
    const out = spatial.map((n, i) => transposeOutput(n, this.kernelSize[i]!, this.strides[i]!, this.dilationRate[i]!, this.padding, this.outputPadding?.[i] ?? null));
    return last ? [inputShape[0]!, ...out, this.filters] : [inputShape[0]!, this.filters, ...out];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, outputPadding: this.outputPadding,
      dataFormat: this.dataFormat, dilationRate: this.dilationRate, activation: serializeActivation(this.activation), useBias: this.useBias,
      ...weightConfig('kernel', this.kernelSettings), ...weightConfig('bias', this.biasSettings),
    };
  }

  static override fromConfig(config: LayerConfig): Conv2DTranspose {
    return new Conv2DTranspose(config.filters, config.kernelSize, config);
  }
}
registerSerializable('layer', Conv2DTranspose);
