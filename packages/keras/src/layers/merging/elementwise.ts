/** The elementwise merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum. */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Merge } from './base_merge.js';

const fold = (xs: Tensor[], f: (a: Tensor, b: Tensor) => Tensor) => xs.slice(1).reduce(f, xs[0]!);

/** Sum of the inputs. */
export class Add extends Merge {
  protected merge(xs: Tensor[]): Tensor {
    return fold(xs, (a, b) => a.add(b));
  }
}
/** `inputs[0] - inputs[1]` (exactly two inputs). */
export class Subtract extends Merge {
  protected override checkInputs(inputShape: unknown): Shape[] {
    const s = super.checkInputs(inputShape);
    if (s.length !== 2) throw new KerasValueError(`A \`Subtract\` layer should be called on exactly 2 inputs. Received: input_shape=${JSON.stringify(inputShape)}`);
    return s;
  }
  protected merge(xs: Tensor[]): Tensor {
    if (xs.length !== 2) throw new KerasValueError(`A \`Subtract\` layer should be called on exactly 2 inputs. Received ${xs.length} inputs.`);
    return xs[0]!.sub(xs[1]!);
  }
}
/** Elementwise product of the inputs. */
export class Multiply extends Merge {
  protected merge(xs: Tensor[]): Tensor {
    return fold(xs, (a, b) => a.mul(b));
  }
}
/** Mean of the inputs. */
export class Average extends Merge {
  protected merge(xs: Tensor[]): Tensor {
    return fold(xs, (a, b) => a.add(b)).div(xs.length);
  }
}
/** Elementwise maximum of the inputs. */
export class Maximum extends Merge {
  protected merge(xs: Tensor[]): Tensor {
    return fold(xs, (a, b) => a.maximum(b));
  }
}
/** Elementwise minimum of the inputs. */
export class Minimum extends Merge {
  protected merge(xs: Tensor[]): Tensor {
    return fold(xs, (a, b) => a.minimum(b));
  }
}
for (const c of [Add, Subtract, Multiply, Average, Maximum, Minimum]) registerSerializable('layer', c);
