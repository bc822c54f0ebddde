/** Indexing: indexSelect, gather (torch.gather), oneHot. */
import { intAttr, runKernel, tf, typeAttr, intConst, reshapeKernel, type TfTensor } from '../kernels/index.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../errors.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { normDim, shapeStr } from './util.js';


function intIndex(index: Tensor, op: string): TfTensor {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: expected an int32 index tensor, received ${index.dtype}.`);
  return index._v();
}

/** Sum `g` (indexed along axis `d` by `idx`) back into `n` slots along `d`. */
function scatterAlong(g: TfTensor, idx: TfTensor, d: number, n: number): TfTensor {
  const t = tf();
  if (d === 0) return t.unsortedSegmentSum(g, idx as never, n);
  const perm = [...Array(g.rank).keys()];
  perm[0] = d;
  perm[d] = 0;
  return t.transpose(t.unsortedSegmentSum(t.transpose(g, perm), idx as never, n), perm);
}

export function indexSelect(a: Tensor, dim: number, index: Tensor): Tensor {
  if (index.ndim > 1) throw new ShapeError(`indexSelect: index must be 0-d or 1-d, received shape ${shapeStr(index.shape)}.`);
  const d = normDim(dim, a.ndim);
  const idx = intIndex(index, 'indexSelect');
  const flat = index.ndim === 0 ? reshapeKernel(idx, [1]) : idx;
  let v: TfTensor;
  try {
    // One GatherV2 kernel: TF checks the index values (tf.gather would read them back to JS first).
    v = runKernel('GatherV2', [typeAttr('Tparams', a.dtype), typeAttr('Tindices', 'int32'), typeAttr('Taxis', 'int32'), intAttr('batch_dims', 0)], [a._v(), flat, intConst(d)]);
  } catch (e) {
    throw outOfRange(e, 'indexSelect', d, a, index);
  } finally {
    if (flat !== idx) flat.dispose();
  }
  return record(new Tensor(v), 'IndexSelectBackward', [a], (g) => [scatterAlong(g, tf().reshape(index._v(), [-1]), d, a.shape[d]!)]);
}

/** torch.gather: out[i][j][k] = a[i][index[i][j][k]][k] for dim = 1. */
export function gather(a: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim(dim, a.ndim);
  if (index.ndim !== a.ndim) throw new ShapeError(`gather: index must have the same number of dims as the input (${a.ndim}), received shape ${shapeStr(index.shape)}.`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > a.shape[i]!) throw new ShapeError(`gather: index size ${s} at dim ${i} exceeds the input's size ${a.shape[i]} (input ${shapeStr(a.shape)}, index ${shapeStr(index.shape)}).`);
  });
  const idx = intIndex(index, 'gather');
  let r: { out: TfTensor; coords: TfTensor };
  try {
    // The coordinates and the kernel in one tidy: if the kernel throws, the coordinates go too.
    r = tf().tidy(() => {
      const t = tf();
      const parts = index.shape.map((_, i) => {
        if (i === d) return idx;
        const shape = index.shape.map((_s, j) => (j === i ? index.shape[i]! : 1));
        return t.broadcastTo(t.reshape(t.range(0, index.shape[i]!, 1, 'int32'), shape), index.shape as number[]);
      });
      const coords = t.stack(parts, -1);
      return { out: t.gatherND(a._v(), coords), coords };
    });
  } catch (e) {
    throw outOfRange(e, 'gather', d, a, index);
  }
  const { out, coords } = r;
  return record(new Tensor(out), 'GatherBackward', [a], (g) => [tf().scatterND(coords, g, a.shape as number[])], [coords]);
}

/**
 * TensorFlow's index error (GatherV2: "indices[0] = 7 is not in [0, 3)";
 * GatherNd: "indices[0,1] = [0, 5] does not index into param shape [3,4]")
 * as an IndexError in the op's own terms: position in `index`, bad value, dim and size.
 */
function outOfRange(e: unknown, op: string, d: number, a: Tensor, index: Tensor): unknown {
  if (!(e instanceof IndexError)) return e;
  const m = /indices\[([\d,]*)\] = \[?([-\d, ]+)\]?/.exec(e.message);
  const at = m?.[1] ?? '';
  const coord = (m?.[2] ?? '').split(',').map(Number);
  const value = coord.length > 1 ? coord[d] : coord[0];
  const pos = index.ndim === 0 ? '' : ` at position [${at.split(',').join(', ')}] of the index`;
  return new IndexError(
    `${op}: index ${value}${pos} is out of range for dim ${d} of the input, which has size ${a.shape[d]} (expected 0 <= index < ${a.shape[d]}; input ${shapeStr(a.shape)}, index ${shapeStr(index.shape)}).`,
    { cause: e },
  );
}

export function oneHot(a: Tensor, numClasses = -1): Tensor {
  if (a.dtype !== 'int32') throw new DTypeError(`oneHot: expected an int32 tensor of class indices, received ${a.dtype}.`);
  const mn = a.numel() === 0 ? 0 : readScalar(tf().min(a._v()));
  const mx = a.numel() === 0 ? -1 : readScalar(tf().max(a._v()));
  if (mn < 0) throw new ArgumentError(`oneHot: class values must be non-negative, received ${mn}.`);
  const n = numClasses < 0 ? mx + 1 : numClasses;
  if (mx >= n) throw new ArgumentError(`oneHot: class values must be smaller than numClasses (${n}), received ${mx}.`);
  return new Tensor(tf().oneHot(a._v(), n));
}

/** The value of a one-element native tensor, which is then released. */
function readScalar(x: TfTensor): number {
  const v = x.dataSync()[0] as number;
  x.dispose();
  return v;
}
