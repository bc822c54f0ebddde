/** `keras.layers.Softmax`: softmax over `axis` (default -1, or several axes). */
import type { Tensor } from '@duet/core';
import { rememberLogits } from '../../activations/logits.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

/** Over the last axis the output remembers its logits, so crossentropy losses compute from them (as Keras's backend). */
export class Softmax extends Layer {
  readonly axis: number | number[];
  constructor(options: LayerOptions & { axis?: number | number[] } = {}) {
    super(options);
    this.supportsMasking = true;
    this.axis = options.axis ?? -1;
  }
  override call(x: Tensor): Tensor {
    const a = this.axis;
    if (Array.isArray(a) && a.length > 1) return x.sub(x.logsumexp(a, { keepdim: true })).exp();
    const axis = Array.isArray(a) ? a[0]! : a;
    const y = x.softmax(axis);
    return axis === -1 || axis === x.ndim - 1 ? rememberLogits(y, x, 'softmax') : y;
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
registerSerializable('layer', Softmax);
