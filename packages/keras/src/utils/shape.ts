/** Keras shapes: arrays with `null` for an unknown size (the batch dimension). */
import { KerasValueError } from '../errors.js';

export type Shape = (number | null)[];

/** Python's tuple print: `(None, 784)`, `(3,)`. */
export function shapeToString(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** Check a user's shape (positive integers or null) and copy it. */
export function standardizeShape(shape: unknown, what = 'shape'): Shape {
  if (!Array.isArray(shape)) throw new KerasValueError(`Cannot convert '${String(shape)}' to a shape. Expected an array of positive integers (or null), received: ${what}=${JSON.stringify(shape)}`);
  return shape.map((d) => {
    if (d === null || d === undefined) return null;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new KerasValueError(`Cannot convert '${JSON.stringify(shape)}' to a shape. Found invalid entry '${String(d)}'. Received: ${what}=${JSON.stringify(shape)}`);
    }
    return d;
  });
}

export function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
