/**
 * `keras.layers.Dot`: the dot product of two batches of samples along
 * `axes` (Keras's `batch_dot`): `[N, d] . [N, d] -> [N, 1]`,
 * `[N, a, b] . [N, c, b]` with `axes: 2` -> `[N, a, c]`. `normalize` first
 * L2-normalizes along the axes (cosine proximity).
 */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import type { LayerConfig, LayerOptions } from '../layer.js';
import { Merge } from './base_merge.js';

const l2normalize = (x: Tensor, axis: number) => x.div(x.square().sum(axis, { keepdim: true }).clamp(1e-12, null).sqrt());

export class Dot extends Merge {
  readonly axes: number | [number, number];
  readonly normalize: boolean;
  constructor(axes: number | [number, number], options: LayerOptions & { normalize?: boolean } = {}) {
    super(options);
    const ok = (a: unknown) => Number.isInteger(a);
    if (!(ok(axes) || (Array.isArray(axes) && axes.length === 2 && axes.every(ok)))) {
      throw new KerasValueError(`Invalid type for argument \`axes\`: it should be an integer or a list of 2 integers. Received: axes=${JSON.stringify(axes)}`);
    }
    this.axes = axes;
    this.normalize = options.normalize ?? false;
  }
  private resolved(r0: number, r1: number): [number, number] {
    const [a, b] = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    return [a < 0 ? a + r0 : a, b < 0 ? b + r1 : b];
  }
  /** Keras's Dot drops masks. */
  override computeMask(): null {
    return null;
  }
  protected merge(xs: Tensor[]): Tensor {
    if (xs.length !== 2) throw new KerasValueError(`A \`Dot\` layer should be called on exactly 2 inputs. Received: ${xs.length} inputs.`);
    let [x, y] = xs as [Tensor, Tensor];
    const [ax, ay] = this.resolved(x.ndim, y.ndim);
    if (this.normalize) {
      x = l2normalize(x, ax);
      y = l2normalize(y, ay);
    }
    if (x.ndim === 2 && y.ndim === 2) return x.mul(y).sum(1, { keepdim: true });
    // Move the contracted axis of x last and of y first (after the batch), then a batched matmul.
    const xp = x.ndim === 3 && ax === 1 ? x.transpose(1, 2) : x;
    const yp = y.ndim === 3 && ay === 2 ? y.transpose(1, 2) : y;
    if (xp.ndim !== 3 || yp.ndim !== 3) throw new KerasValueError(`Dot supports inputs of rank 2 or 3. Received: ${shapeToString(x.shape)} and ${shapeToString(y.shape)}`);
    return xp.matmul(yp);
  }
  protected override outputShapeOf(shapes: Shape[]): Shape {
    if (shapes.length !== 2) throw new KerasValueError(`A \`Dot\` layer should be called on a list of 2 inputs. Received: input_shape=${JSON.stringify(shapes)}`);
    const [s0, s1] = shapes as [Shape, Shape];
    const [a0, a1] = this.resolved(s0.length, s1.length);
    if (s0[a0] !== null && s1[a1] !== null && s0[a0] !== s1[a1]) {
      throw new KerasValueError(`Incompatible input shapes: axis values ${s0[a0]} (at axis ${a0}) != ${s1[a1]} (at axis ${a1}). Full input shapes: ${shapeToString(s0)}, ${shapeToString(s1)}`);
    }
    const out = [...s0.filter((_, i) => i !== a0), ...s1.filter((_, i) => i !== a1 && i !== 0)];
    return out.length === 1 ? [out[0]!, 1] : out;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axes: this.axes, normalize: this.normalize };
  }
  static override fromConfig(config: LayerConfig): Dot {
    return new Dot(config.axes, config);
  }
}
registerSerializable('layer', Dot);
