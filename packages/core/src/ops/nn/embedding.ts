/**
 * Embedding lookup: gather rows of the weight. Forward: 1 kernel (GatherV2).
 * Backward: 1 kernel (UnsortedSegmentSum adds the gradient of repeated indices),
 * plus 1 Mul that zeroes the paddingIdx row when it is given.
 */
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../../errors.js';
import { record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { checkFloat } from './args.js';

export interface EmbeddingOptions {
  /** This row gets no gradient (its value is still looked up). Negative counts from the end. */
  paddingIdx?: number | null;
}

/** `weight[indices]`: int32 indices of any shape, weight [num, dim] -> [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const op = 'embedding';
  if (indices.dtype !== 'int32') throw new DTypeError(`${op}: expected int32 indices, received ${indices.dtype}. Convert with .int().`);
  checkFloat(op, 'weight', weight);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: expected a weight of shape [num, dim], received ${shapeStr(weight.shape)}.`);
  const num = weight.shape[0]!;
  let pad = options.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -num || pad >= num) {
      throw new ArgumentError(`${op}: paddingIdx must be an integer in [${-num}, ${num - 1}] (the weight has ${num} rows), received ${JSON.stringify(pad)}.`);
    }
    if (pad < 0) pad += num;
  }
  let v;
  try {
    v = K.gatherRows(weight._v(), indices._v());
  } catch (e) {
    if (!(e instanceof IndexError)) throw e;
    // TF's "indices[0,1] = 9 is not in [0, 4)": the position and the value.
    const m = /indices\[([\d,]*)\] = (-?\d+)/.exec(e.message);
    const where = m === null ? '' : ` ${m[2]} at position [${m[1]!.split(',').join(', ')}]`;
    throw new IndexError(`${op}: index${where} is out of range: every index must be in [0, ${num - 1}] (the weight has ${num} rows; indices ${shapeStr(indices.shape)}, weight ${shapeStr(weight.shape)}).`, { cause: e });
  }
  const padRow = pad;
  return record(new Tensor(v), 'EmbeddingBackward', [weight], (g) => {
    const dw = K.segmentSum(g, indices._v(), num);
    return [padRow === null ? dw : K.mul(dw, rowMask(num, padRow))];
  });
}

/** [num, 1]: 1 everywhere but row `row`. */
function rowMask(num: number, row: number) {
  return K.floatConst(`rowmask:${num}:${row}`, [num, 1], () => {
    const m = new Float32Array(num).fill(1);
    m[row] = 0;
    return m;
  });
}
