/**
 * Cross-entropy and negative log-likelihood, PyTorch's `F.cross_entropy`
 * and `F.nll_loss`: class-index targets (with `weight`, `ignoreIndex`,
 * `labelSmoothing`) or class-probability targets; inputs `[C]`, `[N, C]` or
 * `[N, C, d1, ...]` (class dim 1).
 *
 * Cross-entropy runs on TensorFlow's fused kernel
 * (SparseSoftmaxCrossEntropyWithLogits: loss and gradient in one kernel);
 * with no weight, no ignored target and no smoothing, that kernel and one
 * reduction are the whole forward pass.
 */
import { ArgumentError, DTypeError, ShapeError, softmaxCrossEntropy, tensor, type Tensor } from '@duet/core';
import { checkReduction, sameShape, type Reduction } from './reduction.js';

export interface NLLLossOptions {
  /** A manual rescaling weight per class (1-d, C values). 'mean' then divides by the sum of the targets' weights. */
  weight?: Tensor | null;
  /** Targets equal to this value contribute nothing (nor to the mean's denominator). Default -100. */
  ignoreIndex?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mix the targets with the uniform distribution: amount in [0, 1]. Default 0. */
  labelSmoothing?: number;
}

/** The input as rows `[M, C]` (class dim moved last), and the shape of the unreduced loss. */
interface Rows {
  x: Tensor;
  c: number;
  outShape: number[];
}

function toRows(input: Tensor, fn: string): Rows {
  if (input.dtype !== 'float32') throw new DTypeError(`${fn}: expected a float32 input, received ${input.dtype}.`);
  if (input.ndim === 0) throw new ShapeError(`${fn}: expected an input of shape [C], [N, C] or [N, C, d1, ...], received a 0-d tensor.`);
  if (input.ndim === 1) return { x: input.reshape([1, input.shape[0]!]), c: input.shape[0]!, outShape: [] };
  const c = input.shape[1]!;
  const outShape = [input.shape[0]!, ...input.shape.slice(2)];
  if (input.ndim === 2) return { x: input, c, outShape };
  const perm = [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2), 1];
  return { x: input.permute(perm).reshape([-1, c]), c, outShape };
}

/**
 * What the class-index losses need per row, computed on the host from the
 * target values (read once): small uploads instead of kernels.
 */
interface RowPlan {
  /** Flat int32 targets `[M]`, ignored ones replaced by 0 (a valid index), and their values. */
  safeT: Tensor;
  safeValues: Int32Array;
  /** Per-row weight: the target's class weight, 0 where ignored; null when all are 1. */
  rowW: Float32Array | null;
  /** 1 per kept row, 0 per ignored one; null when none is ignored. */
  valid: Float32Array | null;
  /** Sum of the row weights: the denominator of 'mean'. */
  total: number;
}

/** Check class-index targets against `c` and the ignore index, and plan the rows. */
function planRows(target: Tensor, input: Tensor, rows: Rows, ignoreIndex: number, weight: Tensor | null, fn: string): RowPlan {
  if (target.dtype !== 'int32') {
    throw new DTypeError(`${fn}: class-index targets must be int32, received ${target.dtype}${target.dtype === 'float32' && sameShape(target.shape, rows.outShape) ? ' (convert with .int())' : ''}.`);
  }
  if (!sameShape(target.shape, rows.outShape)) {
    throw new ShapeError(`${fn}: expected a target of shape [${rows.outShape.join(', ')}] for an input of shape [${input.shape.join(', ')}], received [${target.shape.join(', ')}].`);
  }
  const values = target.dataSync() as Int32Array;
  let ignored = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === ignoreIndex) ignored++;
    else if (v < 0 || v >= rows.c) {
      throw new ArgumentError(`${fn}: target ${v} is out of bounds: class indices must be in [0, ${rows.c - 1}]${ignoreIndex < 0 || ignoreIndex >= rows.c ? ` or equal ignoreIndex (${ignoreIndex})` : ''}.`);
    }
  }
  const m = values.length;
  const kept = (v: number) => ignored === 0 || v !== ignoreIndex;
  const safeValues = ignored > 0 ? values.map((v) => (kept(v) ? v : 0)) : values;
  const safeT = ignored > 0 ? tensor(safeValues, { dtype: 'int32' }) : rows.outShape.length === 1 ? target : target.reshape([m]);
  const valid = ignored > 0 ? Float32Array.from(values, (v) => (kept(v) ? 1 : 0)) : null;
  if (weight === null) return { safeT, safeValues, rowW: valid, valid, total: m - ignored };
  if (weight.requiresGrad) throw new ArgumentError(`${fn}: with class-index targets the class weight cannot require grad (like PyTorch, the loss is not differentiable with respect to it); pass weight.detach().`);
  const wv = weight.dataSync();
  const rowW = Float32Array.from(values, (v) => (kept(v) ? wv[v]! : 0));
  return { safeT, safeValues, rowW, valid, total: rowW.reduce((a, b) => a + b, 0) };
}

function checkWeight(weight: Tensor | null | undefined, c: number, fn: string): Tensor | null {
  if (weight == null) return null;
  if (weight.ndim !== 1 || weight.shape[0] !== c) throw new ShapeError(`${fn}: weight must be a 1-d tensor of ${c} values (one per class), received shape [${weight.shape.join(', ')}].`);
  return weight.to('float32');
}

/**
 * Reduce `perRow * factors * scale` (factors: host values, null = 1); for
 * 'mean' the division by `total` is folded into the factors on the host.
 */
function reduceRows(perRow: Tensor, factors: Float32Array | null, scale: number, total: number, reduction: Reduction, outShape: number[]): Tensor {
  const k = reduction === 'mean' ? scale / total : scale;
  const loss = factors !== null ? perRow.mul(tensor(factors.map((v) => v * k))) : k === 1 ? perRow : perRow.mul(k);
  return reduction === 'none' ? loss.reshape(outShape) : loss.sum();
}

/**
 * Cross-entropy between logits and targets: int32 class indices, or class
 * probabilities (float, same shape as the input).
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * const logits = tensor([[2, 0.5, -1], [0, 1, 0]], { requiresGrad: true });
 * const loss = F.crossEntropy(logits, tensor([0, 1], { dtype: 'int32' }));
 * loss.item(); // 0.3964 (torch.nn.functional.cross_entropy: 0.39638)
 * loss.backward();
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  const reduction = checkReduction(options.reduction ?? 'mean', fn);
  const ls = options.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new ArgumentError(`${fn}: labelSmoothing must be between 0.0 and 1.0, received ${ls}.`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const rows = toRows(input, fn);
  const weight = checkWeight(options.weight, rows.c, fn);
  if (target.dtype === 'float32' && sameShape(target.shape, input.shape)) return probabilityTargets(rows, target, weight, ls, reduction, input);

  const plan = planRows(target, input, rows, ignoreIndex, weight, fn);
  const { outShape, c, x } = rows;
  if (plan.rowW === null && ls === 0) {
    const loss = softmaxCrossEntropy(x, plan.safeT, reduction);
    return reduction === 'none' ? loss.reshape(outShape) : loss;
  }
  const perRow = softmaxCrossEntropy(x, plan.safeT, 'none'); // logsumexp(x) - x[target]
  const nll = reduceRows(perRow, plan.rowW, 1 - ls, plan.total, reduction, outShape);
  if (ls === 0) return nll;
  // PyTorch: (1 - ls) * nll + ls / C * smooth, with smooth = -sum_c weight_c * logp_c (0 where ignored).
  // As logp_c = x_c - logsumexp(x): smooth = sum(weight) * logsumexp(x) - x . weight, from the fused kernel's output.
  const flatIdx = tensor(plan.safeValues.map((t, i) => i * c + t), { dtype: 'int32' });
  const lse = perRow.add(x.reshape([-1]).indexSelect(0, flatIdx));
  const smooth = weight !== null ? lse.mul(weight.sum()).sub(x.matmul(weight)) : lse.mul(c).sub(x.sum(1));
  return nll.add(reduceRows(smooth, plan.valid, ls / c, plan.total, reduction, outShape));
}

/** Targets as class probabilities: loss_n = -sum_c weight_c * y_nc * logp_nc; 'mean' divides by the number of rows. */
function probabilityTargets(rows: Rows, target: Tensor, weight: Tensor | null, ls: number, reduction: Reduction, input: Tensor): Tensor {
  const perm = input.ndim > 2 ? [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2), 1] : null;
  let y = input.ndim === 1 ? target.reshape([1, rows.c]) : perm !== null ? target.permute(perm).reshape([-1, rows.c]) : target;
  if (ls > 0) y = y.mul(1 - ls).add(ls / rows.c);
  let prod = rows.x.logSoftmax(1).mul(y);
  if (weight !== null) prod = prod.mul(weight);
  const perRow = prod.sum(1).neg();
  if (reduction === 'none') return perRow.reshape(rows.outShape);
  if (reduction === 'sum') return perRow.sum();
  return perRow.sum().div(perRow.numel());
}

/**
 * Negative log-likelihood of log-probabilities (e.g. `x.logSoftmax(1)`)
 * against int32 class indices: `-input[n, target[n]]`, weighted.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * const logp = tensor([[-0.2, -1.7], [-2.3, -0.1]]);
 * F.nllLoss(logp, tensor([0, 1], { dtype: 'int32' })).item(); // 0.15
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  const fn = 'nllLoss';
  const reduction = checkReduction(options.reduction ?? 'mean', fn);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const rows = toRows(input, fn);
  const weight = checkWeight(options.weight, rows.c, fn);
  const plan = planRows(target, input, rows, ignoreIndex, weight, fn);
  const picked = rows.x.gather(1, plan.safeT.unsqueeze(1)).squeeze(1).neg();
  return reduceRows(picked, plan.rowW, 1, plan.total, reduction, rows.outShape);
}
