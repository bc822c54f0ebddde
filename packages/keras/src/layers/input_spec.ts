/**
 * `InputSpec`: what a layer accepts (rank, sizes of some axes), checked on
 * every call with Keras's messages: `Input 0 of layer "dense" is
 * incompatible with the layer: expected axis -1 of input shape to have value
 * 784, but received input with shape (32, 100)`. Layers set
 * `this.inputSpec` in their constructor or in `build()`.
 */
import { IncompatibleInputError } from '../errors.js';
import { shapeToString } from '../utils/shape.js';

export interface InputSpecOptions {
  dtype?: string;
  /** The full shape (null = any size). */
  shape?: (number | null)[];
  ndim?: number;
  maxNdim?: number;
  minNdim?: number;
  /** Required sizes of some axes (negative = from the end), e.g. `{ [-1]: 784 }`. */
  axes?: Record<number, number>;
  name?: string;
}

export class InputSpec {
  readonly dtype: string | null;
  readonly shape: (number | null)[] | null;
  readonly ndim: number | null;
  readonly maxNdim: number | null;
  readonly minNdim: number | null;
  readonly axes: Record<number, number>;
  readonly name: string | null;

  constructor(options: InputSpecOptions = {}) {
    this.dtype = options.dtype ?? null;
    this.shape = options.shape ?? null;
    this.ndim = options.shape ? options.shape.length : options.ndim ?? null;
    this.maxNdim = options.maxNdim ?? null;
    this.minNdim = options.minNdim ?? null;
    this.axes = { ...(options.axes ?? {}) };
    this.name = options.name ?? null;
  }

  toString(): string {
    const parts: string[] = [];
    if (this.dtype) parts.push(`dtype=${this.dtype}`);
    if (this.shape) parts.push(`shape=${shapeToString(this.shape)}`);
    if (this.ndim !== null) parts.push(`ndim=${this.ndim}`);
    if (this.maxNdim !== null) parts.push(`max_ndim=${this.maxNdim}`);
    if (this.minNdim !== null) parts.push(`min_ndim=${this.minNdim}`);
    if (Object.keys(this.axes).length > 0) parts.push(`axes=${JSON.stringify(this.axes)}`);
    return `InputSpec(${parts.join(', ')})`;
  }
}

/** Throw Keras's message if input `index` of shape `shape` does not satisfy `spec`. */
export function assertInputCompatibility(spec: InputSpec, shape: readonly (number | null)[], layerName: string, index: number): void {
  const head = `Input ${index} of layer "${layerName}" is incompatible with the layer:`;
  const ndim = shape.length;
  const full = shapeToString(shape);
  if (spec.ndim !== null && ndim !== spec.ndim) throw new IncompatibleInputError(`${head} expected ndim=${spec.ndim}, found ndim=${ndim}. Full shape received: ${full}`);
  if (spec.maxNdim !== null && ndim > spec.maxNdim) throw new IncompatibleInputError(`${head} expected max_ndim=${spec.maxNdim}, found ndim=${ndim}`);
  if (spec.minNdim !== null && ndim < spec.minNdim) throw new IncompatibleInputError(`${head} expected min_ndim=${spec.minNdim}, found ndim=${ndim}. Full shape received: ${full}`);
  for (const [k, v] of Object.entries(spec.axes)) {
    const axis = Number(k);
    const d = shape[axis < 0 ? ndim + axis : axis];
    if (d !== null && d !== undefined && d !== v) {
      throw new IncompatibleInputError(`${head} expected axis ${axis} of input shape to have value ${v}, but received input with shape ${full}`);
    }
  }
  if (spec.shape !== null) {
    spec.shape.forEach((want, i) => {
      const got = shape[i];
      if (want !== null && got !== null && got !== want) throw new IncompatibleInputError(`${head} expected shape=${shapeToString(spec.shape!)}, found shape=${full}`);
    });
  }
}
