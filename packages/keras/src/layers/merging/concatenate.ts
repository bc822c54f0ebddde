/** `keras.layers.Concatenate`: joins the inputs along `axis` (default -1). */
import { cat, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import type { LayerConfig, LayerOptions } from '../layer.js';
import { Merge } from './base_merge.js';

export class Concatenate extends Merge {
  readonly axis: number;
  constructor(options: LayerOptions & { axis?: number } = {}) {
    super(options);
    this.axis = options.axis ?? -1;
  }
  protected merge(xs: Tensor[]): Tensor {
    return cat(xs, this.axis);
  }
  protected override outputShapeOf(shapes: Shape[]): Shape {
    const rank = shapes[0]!.length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    const bad = () => new KerasValueError(`A \`Concatenate\` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=${shapes.map((s) => shapeToString(s)).join(', ')}`);
    if (shapes.some((s) => s.length !== rank) || axis < 0 || axis >= rank) throw bad();
    const out = [...shapes[0]!];
    for (const s of shapes.slice(1)) {
      s.forEach((d, i) => {
        if (i === axis) return;
        if (d !== null && out[i] !== null && d !== out[i]) throw bad();
        if (out[i] === null) out[i] = d;
      });
    }
    out[axis] = shapes.some((s) => s[axis] === null) ? null : shapes.reduce((n, s) => n + (s[axis] as number), 0);
    return out;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
registerSerializable('layer', Concatenate);
