/**
 * Keras's `Variable`: a layer weight with a name, a path (`dense/kernel`),
 * a trainable flag and an optional regularizer and constraint. It IS a
 * tensor (an `nn.Parameter`, so nn's optimizers and core's kernels take it
 * as is): `x.matmul(kernel)` works, and its value is updated in place.
 */
import { Tensor, broadcastShapes, noGrad, tensor } from '@duet/core';
import { nn } from '@duet/nn';
import { KerasValueError } from '../errors.js';
import type { Constraint } from '../constraints/constraint.js';
import type { Regularizer } from '../regularizers/regularizer.js';
import { shapeToString } from '../utils/shape.js';

export interface VariableOptions {
  name: string;
  /** `layerName/name`. */
  path: string;
  trainable: boolean;
  regularizer?: Regularizer | null;
  constraint?: Constraint | null;
}

export class Variable extends nn.Parameter {
  readonly name: string;
  readonly path: string;
  regularizer: Regularizer | null;
  constraint: Constraint | null;
  private _trainable: boolean;

  /** A variable holding a copy of `value`. */
  constructor(value: Tensor, options: VariableOptions) {
    super(value, options.trainable);
    this.name = options.name;
    this.path = options.path;
    this._trainable = options.trainable;
    this.regularizer = options.regularizer ?? null;
    this.constraint = options.constraint ?? null;
  }

  /** Whether optimizers update it (its own flag; a frozen layer also excludes it from `trainableWeights`). */
  get trainable(): boolean {
    return this._trainable;
  }
  set trainable(v: boolean) {
    this._trainable = v;
  }

  /**
   * Set the value in place (Keras's `variable.assign(value)`): a Tensor or
   * nested arrays of the variable's shape (a number for a 0-d variable).
   */
  assign(value: Tensor | number | number[] | number[][] | ArrayLike<number> | unknown[]): this {
    const v = value instanceof Tensor ? value : tensor(value as number[], { dtype: this.dtype });
    if (v.shape.length !== this.shape.length || v.shape.some((d, i) => d !== this.shape[i])) {
      throw new KerasValueError(`The shape of the target variable and the shape of the target value in \`variable.assign(value)\` must match. variable.shape=${shapeToString(this.shape)}, Received: value.shape=${shapeToString(v.shape)}. Target variable: ${this.path}`);
    }
    noGrad(() => this.copy_(v));
    if (v !== value) v.dispose();
    return this;
  }

  /** Add to the value in place (Keras's `variable.assign_add(value)`): a Tensor, number or nested arrays broadcast to the variable's shape. */
  assignAdd(value: Tensor | number | number[] | number[][] | unknown[]): this {
    return this._update(value, 'assign_add', (v) => this.add_(v));
  }

  /** Subtract from the value in place (Keras's `variable.assign_sub(value)`). */
  assignSub(value: Tensor | number | number[] | number[][] | unknown[]): this {
    return this._update(value, 'assign_sub', (v) => this.sub_(v));
  }

  private _update(value: Tensor | number | unknown[], what: string, op: (v: Tensor) => unknown): this {
    const v = value instanceof Tensor ? value : tensor(value as number[], { dtype: this.dtype });
    try {
      const out = broadcastShapes([this.shape, v.shape]);
      if (out.length !== this.shape.length || out.some((d, i) => d !== this.shape[i])) throw new Error('shape');
    } catch {
      if (v !== value) v.dispose();
      throw new KerasValueError(`The shape of the value in \`variable.${what}(value)\` must broadcast to the variable's shape. variable.shape=${shapeToString(this.shape)}, Received: value.shape=${shapeToString(v.shape)}. Target variable: ${this.path}`);
    }
    noGrad(() => op(v));
    if (v !== value) v.dispose();
    return this;
  }

  override toString(): string {
    return `<Variable path=${this.path}, shape=${shapeToString(this.shape)}, dtype=${this.dtype}>`;
  }
}
