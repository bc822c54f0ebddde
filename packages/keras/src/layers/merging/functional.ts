/**
 * Keras's functional forms of the merging layers (`layers.concatenate([x1,
 * x2])`, `layers.add`, ...): each builds the layer and applies it once, so
 * that `x = layers.concatenate([x1, x2])` ports line for line.
 */
import type { Tensor } from '@duet/core';
import type { KerasTensor } from '../../graph/keras_tensor.js';
import type { LayerOptions } from '../layer.js';
import type { Merge } from './base_merge.js';
import { Concatenate } from './concatenate.js';
import { Dot } from './dot.js';
import { Add, Average, Maximum, Minimum, Multiply, Subtract } from './elementwise.js';

/** The layer's output for symbolic inputs (a KerasTensor) or for values (a Tensor). */
interface MergeFn<O> {
  (inputs: KerasTensor[], options?: O): KerasTensor;
  (inputs: Tensor[], options?: O): Tensor;
}

const functional = <O>(make: (options: O) => Merge): MergeFn<O> =>
  ((inputs: KerasTensor[] | Tensor[], options?: O) => make(options ?? ({} as O)).apply(inputs as KerasTensor[])) as MergeFn<O>;

/** `keras.layers.concatenate(inputs, axis=-1)`. */
export const concatenate = functional<LayerOptions & { axis?: number }>((o) => new Concatenate(o));
/** `keras.layers.add(inputs)`. */
export const add = functional<LayerOptions>((o) => new Add(o));
/** `keras.layers.subtract(inputs)`. */
export const subtract = functional<LayerOptions>((o) => new Subtract(o));
/** `keras.layers.multiply(inputs)`. */
export const multiply = functional<LayerOptions>((o) => new Multiply(o));
/** `keras.layers.average(inputs)`. */
export const average = functional<LayerOptions>((o) => new Average(o));
/** `keras.layers.maximum(inputs)`. */
export const maximum = functional<LayerOptions>((o) => new Maximum(o));
/** `keras.layers.minimum(inputs)`. */
export const minimum = functional<LayerOptions>((o) => new Minimum(o));
/** `keras.layers.dot(inputs, axes=-1, normalize=False)`. */
export function dot(inputs: KerasTensor[], axes?: number | [number, number], options?: LayerOptions & { normalize?: boolean }): KerasTensor;
export function dot(inputs: Tensor[], axes?: number | [number, number], options?: LayerOptions & { normalize?: boolean }): Tensor;
export function dot(inputs: KerasTensor[] | Tensor[], axes: number | [number, number] = -1, options: LayerOptions & { normalize?: boolean } = {}): KerasTensor | Tensor {
  return new Dot(axes, options).apply(inputs as KerasTensor[]);
}
