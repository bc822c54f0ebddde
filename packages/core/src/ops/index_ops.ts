/** Indexing: indexSelect, gather (torch.gather), oneHot. */
import { tf, type TfTensor } from '../engine.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { normDim, shapeStr } from './util.js';

const T = tf;

function intIndex(index: Tensor, op: string): TfTensor {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: expected an int32 index tensor, received ${index.dtype}.`);
  return index._v();
}

/** Sum `g` (indexed along axis `d` by `idx`) back into `n` slots along `d`. */
function scatterAlong(g: TfTensor, idx: TfTensor, d: number, n: number): TfTensor {
  const t = T();
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
  const flat = index.ndim === 0 ? T().reshape(idx, [1]) : idx;
  const out = new Tensor(T().gather(a._v(), flat, d));
  if (flat !== idx) flat.dispose();
  return record(out, 'IndexSelectBackward', [a], (g) => [scatterAlong(g, T().reshape(index._v(), [-1]), d, a.shape[d]!)]);
}

/** torch.gather: out[i][j][k] = a[i][index[i][j][k]][k] for dim = 1. */
export function gather(a: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim(dim, a.ndim);
  if (index.ndim !== a.ndim) throw new ShapeError(`gather: index must have the same number of dims as the input (${a.ndim}), received shape ${shapeStr(index.shape)}.`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > a.shape[i]!) throw new ShapeError(`gather: index size ${s} at dim ${i} exceeds the input's size ${a.shape[i]} (input ${shapeStr(a.shape)}, index ${shapeStr(index.shape)}).`);
  });
  const coords = T().tidy(() => {
    const t = T();
    const idx = intIndex(index, 'gather');
    const parts = index.shape.map((_, i) => {
      if (i === d) return idx;
      const shape = index.shape.map((_s, j) => (j === i ? index.shape[i]! : 1));
      return t.broadcastTo(t.reshape(t.range(0, index.shape[i]!, 1, 'int32'), shape), index.shape as number[]);
    });
    return t.stack(parts, -1);
  });
  const out = new Tensor(T().gatherND(a._v(), coords));
  return record(out, 'GatherBackward', [a], (g) => [T().scatterND(coords, g, a.shape as number[])], [coords]);
}

export function oneHot(a: Tensor, numClasses = -1): Tensor {
  if (a.dtype !== 'int32') throw new DTypeError(`oneHot: expected an int32 tensor of class indices, received ${a.dtype}.`);
  const mn = a.size === 0 ? 0 : readScalar(T().min(a._v()));
  const mx = a.size === 0 ? -1 : readScalar(T().max(a._v()));
  if (mn < 0) throw new ArgumentError(`oneHot: class values must be non-negative, received ${mn}.`);
  const n = numClasses < 0 ? mx + 1 : numClasses;
  if (mx >= n) throw new ArgumentError(`oneHot: class values must be smaller than numClasses (${n}), received ${mx}.`);
  return new Tensor(T().oneHot(a._v(), n));
}

/** The value of a one-element native tensor, which is then released. */
function readScalar(x: TfTensor): number {
  const v = x.dataSync()[0] as number;
  x.dispose();
  return v;
}
