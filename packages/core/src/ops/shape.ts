/** Shape ops: views, transposes, joins and splits, slicing. */
import { tf, runKernel, runKernelN, intAttr, typeAttr, intConst, reshapeKernel, type TfTensor } from '../kernels/index.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { isGradEnabled, record, unbroadcast } from '../autograd.js';
import { inLibraryCall } from '../memory.js';
import { Tensor } from '../tensor.js';
import { broadcastTo, normDim, shapeStr, sizeOf } from './util.js';
import { indexSelect } from './index_ops.js';


export function reshape(a: Tensor, shape: number[]): Tensor {
  const infer = shape.filter((d) => d === -1).length;
  const known = sizeOf(shape.filter((d) => d !== -1));
  if (infer > 1 || shape.some((d) => d < -1 || !Number.isInteger(d)) || (infer === 0 ? known !== a.numel() : known === 0 || a.numel() % known !== 0)) {
    throw new ShapeError(`reshape: shape ${shapeStr(shape)} is invalid for input of size ${a.numel()} (shape ${shapeStr(a.shape)}).`);
  }
  const resolved = infer === 0 ? shape : shape.map((d) => (d === -1 ? a.numel() / known : d));
  if (resolved.length === a.ndim && resolved.every((d, i) => d === a.shape[i])) return a; // a no-op view: no kernel
  // Reshape through the binding with a cached shape constant (tf.reshape uploads a new shape tensor each call).
  const out = new Tensor(reshapeKernel(a._v(), resolved));
  return record(out, 'ViewBackward', [a], (g) => [reshapeKernel(g, a.shape as number[])]);
}

export function flatten(a: Tensor, start = 0, end = -1): Tensor {
  if (a.ndim === 0) return reshape(a, [1]);
  const s = normDim(start, a.ndim, 'startDim');
  const e = normDim(end, a.ndim, 'endDim');
  if (s > e) throw new ArgumentError(`flatten: startDim (${start}) must not come after endDim (${end}).`);
  const shape = [...a.shape.slice(0, s), sizeOf(a.shape.slice(s, e + 1)), ...a.shape.slice(e + 1)];
  return reshape(a, shape);
}

export function unflatten(a: Tensor, dim: number, sizes: number[]): Tensor {
  const d = normDim(dim, a.ndim);
  return reshape(a, [...a.shape.slice(0, d), ...sizes, ...a.shape.slice(d + 1)]);
}

export function permute(a: Tensor, dims: number[]): Tensor {
  if (dims.length !== a.ndim) throw new ShapeError(`permute: expected ${a.ndim} dims for a tensor of shape ${shapeStr(a.shape)}, received ${dims.length} ([${dims.join(', ')}]).`);
  const perm = dims.map((d) => normDim(d, a.ndim));
  if (new Set(perm).size !== perm.length) throw new ArgumentError(`permute: repeated dim in [${dims.join(', ')}].`);
  if (perm.every((d, i) => d === i)) return a;
  const out = new Tensor(tf().transpose(a._v(), perm));
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return record(out, 'PermuteBackward', [a], (g) => [tf().transpose(g, inv)]);
}

export function transpose(a: Tensor, d0: number, d1: number): Tensor {
  const perm = [...Array(a.ndim).keys()];
  const i = normDim(d0, a.ndim);
  const j = normDim(d1, a.ndim);
  perm[i] = j;
  perm[j] = i;
  return permute(a, perm);
}

export function squeeze(a: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(a, a.shape.filter((d) => d !== 1));
  const d = normDim(dim, a.ndim);
  if (a.shape[d] !== 1) return a;
  return reshape(a, a.shape.filter((_, i) => i !== d));
}

export function unsqueeze(a: Tensor, dim: number): Tensor {
  const d = normDim(dim, a.ndim + 1);
  const shape = [...a.shape];
  shape.splice(d, 0, 1);
  return reshape(a, shape);
}

/** PyTorch's expand: -1 keeps a dim; new leading dims may be added. */
export function expand(a: Tensor, shape: number[]): Tensor {
  const lead = shape.length - a.ndim;
  if (lead < 0) throw new ShapeError(`expand: the number of sizes (${shape.length}) must be at least the tensor's ndim (${a.ndim}).`);
  const target = shape.map((d, i) => (d === -1 ? (i < lead ? -1 : a.shape[i - lead]!) : d));
  target.forEach((d, i) => {
    const src = i < lead ? 1 : a.shape[i - lead]!;
    if (d < 0 || (src !== 1 && src !== d)) {
      throw new ShapeError(`expand: the expanded size ${d} must match the existing size ${src} at non-singleton dim ${i} (tensor shape ${shapeStr(a.shape)}, target ${shapeStr(shape)}).`);
    }
  });
  if (target.length === a.ndim && target.every((d, i) => d === a.shape[i])) return a;
  const out = new Tensor(broadcastTo(a._v(), target));
  return record(out, 'ExpandBackward', [a], (g) => [unbroadcast(g, a.shape)]);
}

/** PyTorch's repeat (tile): `x.repeat([2, 3])`. */
export function repeat(a: Tensor, reps: number[]): Tensor {
  if (reps.length < a.ndim) throw new ShapeError(`repeat: the number of repeats (${reps.length}) must be at least the tensor's ndim (${a.ndim}).`);
  const lead = reps.length - a.ndim;
  const src = a.ndim === reps.length ? a : reshape(a, [...Array(lead).fill(1), ...a.shape]);
  const out = new Tensor(tf().tile(src._v(), reps));
  return record(out, 'RepeatBackward', [src], (g) => {
    const t = tf();
    const split: number[] = [];
    reps.forEach((r, i) => split.push(r, src.shape[i]!));
    const axes = reps.map((_, i) => 2 * i);
    return [t.sum(t.reshape(g, split), axes)];
  });
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ArgumentError('cat: expected a non-empty list of tensors.');
  const first = tensors[0]!;
  const d = normDim(dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new ShapeError(`cat: sizes of tensors must match except in dim ${d}: expected ${shapeStr(first.shape)}-like, received ${shapeStr(t.shape)}.`);
    }
  }
  const [vs, temps] = promotedValues(tensors);
  const out = new Tensor(tf().concat(vs, d));
  for (const c of temps) c.dispose();
  const sizes = tensors.map((t) => t.shape[d]!);
  return record(out, 'CatBackward', tensors, (g) => tf().split(g, sizes, d));
}

/** The tensors' values in their common dtype (float32 > int32 > bool), and the casts made for it (to dispose). */
function promotedValues(tensors: Tensor[]): [TfTensor[], TfTensor[]] {
  const dt = tensors.some((t) => t.dtype === 'float32') ? 'float32' : tensors.some((t) => t.dtype === 'int32') ? 'int32' : 'bool';
  const temps: TfTensor[] = [];
  const vs = tensors.map((t) => {
    const v = t._v();
    if (v.dtype === dt) return v;
    const c = tf().cast(v, dt);
    temps.push(c);
    return c;
  });
  return [vs, temps];
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ArgumentError('stack: expected a non-empty list of tensors.');
  const first = tensors[0]!;
  const d = normDim(dim, first.ndim + 1);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => s !== first.shape[i])) {
      throw new ShapeError(`stack: expects each tensor to be equal size, but got ${shapeStr(first.shape)} and ${shapeStr(t.shape)}.`);
    }
  }
  const rows = d === 0 ? gatherRows(tensors) : null;
  if (rows !== null) return rows;
  // One Pack kernel (a DataLoader batch of 32 samples was 32 Reshapes and a ConcatV2); backward one Unpack.
  const [vs, temps] = promotedValues(tensors);
  const n = tensors.length;
  const out = new Tensor(runKernel('Pack', [typeAttr('T', vs[0]!.dtype), intAttr('N', n), intAttr('axis', d)], vs));
  for (const c of temps) c.dispose();
  return record(out, 'StackBackward', tensors, (g) => runKernelN('Unpack', [typeAttr('T', g.dtype), intAttr('num', n), intAttr('axis', d)], [g], n));
}

export function narrow(a: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(dim, a.ndim);
  const n = a.shape[d]!;
  const s = start < 0 ? start + n : start;
  if (s < 0 || length < 0 || s + length > n) {
    throw new ArgumentError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${n}) of dim ${d}.`);
  }
  if (s === 0 && length === n) return a;
  const begin = a.shape.map((_, i) => (i === d ? s : 0));
  const size = a.shape.map((sz, i) => (i === d ? length : sz));
  const out = new Tensor(tf().slice(a._v(), begin, size));
  return record(out, 'SliceBackward', [a], (g) => {
    const pad = a.shape.map((sz, i): [number, number] => (i === d ? [s, sz - s - length] : [0, 0]));
    return [tf().pad(g, pad)];
  });
}

export function slice(a: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const d = normDim(dim, a.ndim);
  const n = a.shape[d]!;
  if (!(step > 0) || !Number.isInteger(step)) throw new ArgumentError(`slice: step must be a positive integer, received ${step}.`);
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start ?? 0);
  const e = Math.max(clampIdx(end ?? n), s);
  if (step === 1) return narrow(a, d, s, e - s);
  const idx: number[] = [];
  for (let i = s; i < e; i += step) idx.push(i);
  const index = new Tensor(tf().tensor1d(idx, 'int32'));
  const out = indexSelect(a, d, index);
  return out;
}

/**
 * Rows made on first use: inside `lazyRows(fn)` (the DataLoader's sample
 * fetch), `select(0, i)` of a tensor that needs no gradient returns a row
 * that runs no kernel until it is read, and `stack` of rows of one tensor
 * is one GatherV2. PyTorch's per-sample idiom (`get(i)` returning
 * `[this.x.select(0, i), this.y.select(0, i)]`) then costs one kernel per
 * batch and field. A row keeps its copy semantics: read after its tensor
 * was changed in place, it throws instead of showing the new values.
 */
let lazyDepth = 0;
/** @internal see above. */
export function lazyRows<T>(fn: () => T): T {
  lazyDepth++;
  try {
    return fn();
  } finally {
    lazyDepth--;
  }
}
interface RowOf {
  base: Tensor;
  index: number;
  version: number;
}
const rowOf = new WeakMap<Tensor, RowOf>();

function staleRow(a: Tensor): ArgumentError {
  return new ArgumentError(`select: a row of a ${shapeStr(a.shape)} tensor was read after that tensor was changed in place (rows taken while a DataLoader fetched samples are read when they are first used); take it with .clone() if the tensor changes afterwards.`);
}

/** A lazy row's value: index `index` of `base`, unless `base` changed in place since the row was taken. */
function makeRow(r: RowOf): TfTensor {
  if (r.base._version !== r.version) throw staleRow(r.base);
  return stridedRow(r.base._v(), r.base.shape, 0, r.index, r.base.dtype);
}

/**
 * One GatherV2 for rows of one tensor that were never read (same base,
 * unchanged since, no gradient); null otherwise. A row that was read is an
 * ordinary tensor from then on (it may have been changed in place), so its
 * batch takes the Pack path.
 */
function gatherRows(tensors: Tensor[]): Tensor | null {
  const r0 = rowOf.get(tensors[0]!);
  if (r0 === undefined || tensors.length < 2 || r0.base.isDisposed || r0.base._version !== r0.version) return null;
  const idx: number[] = [];
  for (const t of tensors) {
    const r = rowOf.get(t);
    if (r === undefined || r.base !== r0.base || t.requiresGrad || t._s.lazy === null) return null;
    idx.push(r.index);
  }
  const ix = tf().tensor1d(idx, 'int32');
  const attrs = [typeAttr('Tparams', r0.base.dtype), typeAttr('Tindices', 'int32'), typeAttr('Taxis', 'int32'), intAttr('batch_dims', 0)];
  const out = new Tensor(runKernel('GatherV2', attrs, [r0.base._v(), ix, intConst(0)]));
  ix.dispose();
  return out;
}

export function select(a: Tensor, dim: number, index: number): Tensor {
  const d = normDim(dim, a.ndim);
  const n = a.shape[d]!;
  if (index < -n || index >= n) throw new ArgumentError(`select: index ${index} is out of bounds for dim ${d} with size ${n}.`);
  const i = index < 0 ? index + n : index;
  if (lazyDepth > 0 && d === 0 && !a._nhwc && !(a.requiresGrad && isGradEnabled()) && !inLibraryCall()) {
    const r: RowOf = { base: a, index: i, version: a._version };
    const row = new Tensor({ shape: a.shape.slice(1), dtype: a.dtype, make: () => makeRow(r) });
    rowOf.set(row, r);
    return row;
  }
  // One StridedSlice that drops the dim (was Slice + Reshape: a Dataset's get(i) returning x.select(0, i) paid both per sample).
  const out = new Tensor(stridedRow(a._v(), a.shape, d, i, a.dtype));
  return record(out, 'SelectBackward', [a], (g) => {
    const pad = a.shape.map((sz, k): [number, number] => (k === d ? [i, sz - i - 1] : [0, 0]));
    const g1 = reshapeKernel(g, a.shape.map((sz, k) => (k === d ? 1 : sz)));
    const r = tf().pad(g1, pad);
    g1.dispose();
    return [r];
  });
}

/** Index `i` of dim `d` of `v` (shape `shape`), the dim dropped: one StridedSlice. */
function stridedRow(v: TfTensor, shape: readonly number[], d: number, i: number, dtype: string): TfTensor {
  const attrs = [typeAttr('T', dtype), typeAttr('Index', 'int32'), intAttr('begin_mask', 0), intAttr('end_mask', 0), intAttr('ellipsis_mask', 0), intAttr('new_axis_mask', 0), intAttr('shrink_axis_mask', 1 << d)];
  // begin / end change with the index: fresh int32 inputs, not the bounded constant cache (a dataset has as many indices as rows).
  const b = tf().tensor1d(shape.map((_, k) => (k === d ? i : 0)), 'int32');
  const e = tf().tensor1d(shape.map((sz, k) => (k === d ? i + 1 : sz)), 'int32');
  const out = runKernel('StridedSlice', attrs, [v, b, e, intConst(shape.map(() => 1))]);
  b.dispose();
  e.dispose();
  return out;
}

export function split(a: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] {
  const d = normDim(dim, a.ndim);
  const n = a.shape[d]!;
  let sizes: number[];
  if (Array.isArray(sizeOrSections)) {
    sizes = sizeOrSections;
    if (sizes.reduce((p, x) => p + x, 0) !== n) throw new ShapeError(`split: split sizes [${sizes.join(', ')}] must sum to the dim's size ${n}.`);
  } else {
    if (!(sizeOrSections > 0)) throw new ArgumentError(`split: split size must be positive, received ${sizeOrSections}.`);
    sizes = [];
    for (let i = 0; i < n; i += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - i));
  }
  if (sizes.length === 1) return [a];
  // One SplitV kernel for all parts; each part's gradient is padded back into place.
  const parts = runKernelN('SplitV', [intAttr('num_split', sizes.length), typeAttr('T', a.dtype), typeAttr('Tlen', 'int32')], [a._v(), intConst(sizes), intConst(d)], sizes.length);
  let start = 0;
  return parts.map((v, i) => {
    const s0 = start;
    const len = sizes[i]!;
    start += len;
    return record(new Tensor(v), 'SplitBackward', [a], (g) => [tf().pad(g, a.shape.map((sz, j): [number, number] => (j === d ? [s0, sz - s0 - len] : [0, 0])))]);
  });
}

export function chunk(a: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim(dim, a.ndim);
  const size = Math.ceil(a.shape[d]! / chunks);
  return split(a, Math.max(size, 1), d);
}

export function flip(a: Tensor, dims: number[]): Tensor {
  const axes = dims.map((d) => normDim(d, a.ndim));
  const out = new Tensor(tf().reverse(a._v(), axes));
  return record(out, 'FlipBackward', [a], (g) => [tf().reverse(g, axes)]);
}
