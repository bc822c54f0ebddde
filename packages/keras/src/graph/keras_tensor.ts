/**
 * `KerasTensor`: a symbolic tensor (a shape with `null` for unknown sizes, a
 * dtype) that records which layer call made it. `keras.Input()` makes one;
 * `layer.apply(kerasTensor)` makes more; `new keras.Model({ inputs, outputs })`
 * walks these records back into a graph.
 */
import type { Layer } from '../layers/layer.js';
import { shapeToString, type Shape } from '../utils/shape.js';
import type { Node } from './node.js';

export type SymbolicDType = 'float32' | 'int32' | 'bool';

/** Where a KerasTensor came from: output `tensorIndex` of `layer`'s call `node`. */
export interface KerasHistory {
  layer: Layer;
  node: Node;
  tensorIndex: number;
}

let nextId = 0;

export class KerasTensor {
  readonly shape: Shape;
  readonly dtype: SymbolicDType;
  readonly name: string;
  /** Unique within the process (graphs key values by it). */
  readonly id = nextId++;
  /** Set by the layer call that produced it. */
  kerasHistory: KerasHistory | null = null;

  constructor(shape: Shape, options: { dtype?: SymbolicDType; name?: string } = {}) {
    this.shape = [...shape];
    this.dtype = options.dtype ?? 'float32';
    this.name = options.name ?? `keras_tensor_${this.id}`;
  }

  get ndim(): number {
    return this.shape.length;
  }

  toString(): string {
    return `<KerasTensor shape=${shapeToString(this.shape)}, dtype=${this.dtype}, sparse=False, ragged=False, name=${this.name}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Nested structures of KerasTensors as layers take and return them. */
export type SymbolicStructure = KerasTensor | SymbolicStructure[] | { [name: string]: SymbolicStructure };

/** The KerasTensors in a structure (descending only into arrays and plain objects, never into a Tensor's internals). */
export function flattenSymbolic(s: unknown): KerasTensor[] {
  if (s instanceof KerasTensor) return [s];
  if (Array.isArray(s)) return s.flatMap(flattenSymbolic);
  if (s !== null && typeof s === 'object' && Object.getPrototypeOf(s) === Object.prototype) return Object.values(s).flatMap(flattenSymbolic);
  return [];
}

export function isSymbolic(s: unknown): boolean {
  if (s instanceof KerasTensor) return true;
  if (s === null || typeof s !== 'object') return false;
  return flattenSymbolic(s).length > 0;
}
