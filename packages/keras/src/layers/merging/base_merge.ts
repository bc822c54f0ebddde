/**
 * The base of the elementwise merge layers (Keras 3's `layers/merging/base_merge.py`):
 * called on an array of tensors, which broadcast against each other.
 */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import { Layer, type CallOptions } from '../layer.js';

export abstract class Merge extends Layer {
  /** Combine the inputs (at least one). */
  protected abstract merge(inputs: Tensor[]): Tensor;

  override supportsMasking = true;

  /** Keras's merge mask: the inputs' masks combined with a logical AND (null if none has one). */
  override computeMask(_inputs: unknown, previousMask: Tensor | (Tensor | null)[] | null): Tensor | null {
    const ms = (Array.isArray(previousMask) ? previousMask : [previousMask]).filter((m): m is Tensor => m !== null);
    if (ms.length === 0) return null;
    return ms.slice(1).reduce((a, b) => a.logicalAnd(b), ms[0]!);
  }

  protected checkInputs(inputShape: unknown): Shape[] {
    if (!Array.isArray(inputShape) || !inputShape.every((s) => Array.isArray(s))) {
      throw new KerasValueError(`A merge layer should be called on a list of inputs. Received: input_shape=${JSON.stringify(inputShape)} (not a list of shapes)`);
    }
    if (inputShape.length < 1) throw new KerasValueError(`A merge layer should be called on a list of at least 1 input. Got ${inputShape.length} inputs. Full input_shape received: ${JSON.stringify(inputShape)}`);
    return inputShape as Shape[];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = this.checkInputs(inputShape);
    this.outputShapeOf(shapes);
  }

  override call(inputs: Tensor[], _options: CallOptions): Tensor {
    if (!Array.isArray(inputs)) throw new KerasValueError(`A merge layer should be called on a list of inputs. Received: inputs=${String(inputs)} (not a list of tensors)`);
    return this.merge(inputs);
  }

  /** Keras's `_compute_elemwise_op_output_shape`, over all inputs. */
  protected outputShapeOf(shapes: Shape[]): Shape {
    const rank = Math.max(...shapes.map((s) => s.length));
    const out: Shape = [];
    for (let i = 0; i < rank; i++) {
      let d: number | null = 1;
      for (const s of shapes) {
        const v = s[s.length - rank + i];
        if (v === undefined || v === 1) continue;
        if (v === null) {
          if (d === 1) d = null;
          continue;
        }
        if (d !== 1 && d !== null && d !== v) {
          throw new KerasValueError(`Inputs have incompatible shapes. Received shapes ${shapes.map((x) => shapeToString(x)).join(' and ')}`);
        }
        d = v;
      }
      out.push(d);
    }
    return out;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.outputShapeOf(this.checkInputs(inputShape));
  }
}
