/** The shapes and tensors of a layer call's inputs (one, an array, or an object of them). */
import { Tensor, tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { KerasTensor } from '../graph/keras_tensor.js';
import type { Shape } from '../utils/shape.js';

export function isShapeList(s: unknown): boolean {
  return Array.isArray(s) && s.length > 0 && s.every((x) => Array.isArray(x));
}

/** The shape of one input, or a list of shapes for a list/object of inputs. */
export function shapesOf(inputs: unknown): Shape | Shape[] {
  if (inputs instanceof Tensor || inputs instanceof KerasTensor) return [...inputs.shape];
  if (Array.isArray(inputs)) return inputs.map((x) => shapesOf(x) as Shape);
  if (inputs !== null && typeof inputs === 'object') return Object.values(inputs).map((x) => shapesOf(x) as Shape);
  throw new KerasValueError(`Inputs to a layer should be tensors. Got '${String(inputs)}' (of type ${typeof inputs}).`);
}

export function toTensors(inputs: unknown, layerName: string): unknown {
  if (inputs instanceof Tensor) return inputs;
  if (Array.isArray(inputs) && inputs.every((x) => x instanceof Tensor)) return inputs;
  if (inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs) && Object.values(inputs).every((x) => x instanceof Tensor)) return inputs;
  if (Array.isArray(inputs) || typeof inputs === 'number') return tensor(inputs as number[]);
  throw new KerasValueError(`Inputs to a layer should be tensors. Got '${String(inputs)}' (of type ${typeof inputs}) as input for layer '${layerName}'.`);
}

export function flattenTensors(v: unknown): Tensor[] {
  if (v instanceof Tensor) return [v];
  if (Array.isArray(v)) return v.flatMap(flattenTensors);
  return [];
}
