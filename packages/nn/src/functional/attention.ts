/**
 * Attention: `F.scaledDotProductAttention` and the multi-head attention
 * forward behind `nn.MultiheadAttention` (PyTorch's math, in a
 * [N, heads, L, headDim] layout so batch-first and sequence-first inputs
 * each need one transpose in and one out).
 */
import { ArgumentError, ShapeError, tensor, functional as CF, type Tensor } from '@duet/core';
import { linear } from './linear.js';

const causalCache = new Map<string, Tensor>();
/** A cached bool [L, S] mask, true above the diagonal (the positions a causal query must not see). */
function futureMask(l: number, s: number): Tensor {
  const key = `${l},${s}`;
  let m = causalCache.get(key);
  if (m === undefined) {
    if (causalCache.size >= 32) {
      for (const t of causalCache.values()) t.dispose();
      causalCache.clear();
    }
    const v = new Uint8Array(l * s);
    for (let i = 0; i < l; i++) for (let j = i + 1; j < s; j++) v[i * s + j] = 1;
    m = tensor(v, { shape: [l, s], dtype: 'bool' }).keep();
    causalCache.set(key, m);
  }
  return m;
}

/** Apply a mask to attention scores: bool `blocked` = true where attention is not allowed; float masks are added. */
function applyMask(scores: Tensor, mask: Tensor, boolMeansAllowed: boolean): Tensor {
  if (mask.dtype === 'bool') return scores.maskedFill(boolMeansAllowed ? mask.logicalNot() : mask, -Infinity);
  return scores.add(mask);
}

export interface ScaledDotProductAttentionOptions {
  /** Bool mask (true = take part in attention) or float mask added to the scores; broadcasts to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (applied whenever > 0, like PyTorch). */
  dropoutP?: number;
  /** Causal (lower-triangular) mask; cannot be combined with `attnMask`. */
  isCausal?: boolean;
  /** Scale of q.k (default 1 / sqrt(E)). */
  scale?: number;
}

/**
 * softmax(q k^T * scale + mask) v for q: [..., L, E], k: [..., S, E], v: [..., S, Ev].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { F } from '@duet/nn';
 * const q = randn([2, 4, 5, 8]);
 * F.scaledDotProductAttention(q, q, q, { isCausal: true }).shape; // [2, 4, 5, 8]
 * ```
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const l = q.shape[q.ndim - 2]!;
  const s = k.shape[k.ndim - 2]!;
  const e = q.shape[q.ndim - 1]!;
  if (k.shape[k.ndim - 1] !== e) throw new ShapeError(`scaledDotProductAttention: query [${q.shape.join(', ')}] and key [${k.shape.join(', ')}] must have the same last dim.`);
  if (options.isCausal && options.attnMask != null) throw new ArgumentError('scaledDotProductAttention: explicit attnMask should not be set when isCausal=true.');
  const scale = options.scale ?? 1 / Math.sqrt(e);
  let w = q.mul(scale).matmul(k.transpose(-2, -1));
  if (options.isCausal) w = w.maskedFill(futureMask(l, s), -Infinity);
  else if (options.attnMask != null) w = applyMask(w, options.attnMask, true);
  w = w.softmax(-1);
  const p = options.dropoutP ?? 0;
  if (p > 0) w = CF.dropout(w, p, true);
  return w.matmul(v);
}

export interface MultiHeadAttentionOptions {
  numHeads: number;
  /** Packed [3E, Ein] projection (PyTorch's in_proj_weight) when q, k, v share a size... */
  inProjWeight?: Tensor | null;
  inProjBias?: Tensor | null;
  /** ...or separate projections when kdim/vdim differ from E. */
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
  batchFirst?: boolean;
  dropoutP?: number;
  training?: boolean;
  /** [N, S]: true (or -inf) for keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N * heads, L, S]: true (or -inf) where attention is not allowed. */
  attnMask?: Tensor | null;
  isCausal?: boolean;
  needWeights?: boolean;
  averageAttnWeights?: boolean;
}

/** Project q, k, v; self-attention (q === k === v) uses one packed matmul. */
function project(query: Tensor, key: Tensor, value: Tensor, e: number, o: MultiHeadAttentionOptions): [Tensor, Tensor, Tensor] {
  const w = o.inProjWeight ?? null;
  const b = o.inProjBias ?? null;
  const part = (t: Tensor | null, i: number, n: number) => (t === null ? null : t.narrow(0, i * e, n * e));
  if (w !== null) {
    if (query === key && key === value) return linear(query, w, b).chunk(3, -1) as [Tensor, Tensor, Tensor];
    const q = linear(query, part(w, 0, 1)!, part(b, 0, 1));
    if (key === value) {
      const [k, v] = linear(key, part(w, 1, 2)!, part(b, 1, 2)).chunk(2, -1) as [Tensor, Tensor];
      return [q, k, v];
    }
    return [q, linear(key, part(w, 1, 1)!, part(b, 1, 1)), linear(value, part(w, 2, 1)!, part(b, 2, 1))];
  }
  if (o.qProjWeight == null || o.kProjWeight == null || o.vProjWeight == null) throw new ArgumentError('multiHeadAttentionForward: give inProjWeight, or qProjWeight, kProjWeight and vProjWeight.');
  return [linear(query, o.qProjWeight, part(b, 0, 1)), linear(key, o.kProjWeight, part(b, 1, 1)), linear(value, o.vProjWeight, part(b, 2, 1))];
}

/**
 * PyTorch's `F.multi_head_attention_forward`: returns `[output, weights]`,
 * weights [N, L, S] (averaged over heads) or [N, heads, L, S], or null when
 * `needWeights` is false. Inputs [L, N, E] ([N, L, E] with `batchFirst`) or
 * unbatched [L, E].
 */
export function multiHeadAttentionForward(query: Tensor, key: Tensor, value: Tensor, o: MultiHeadAttentionOptions): [Tensor, Tensor | null] {
  const unbatched = query.ndim === 2;
  if (unbatched) {
    const [out, w] = multiHeadAttentionForward(query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1), {
      ...o, batchFirst: false, keyPaddingMask: o.keyPaddingMask?.unsqueeze(0) ?? null,
    });
    return [out.squeeze(1), w === null ? null : w.squeeze(0)];
  }
  if (query.ndim !== 3 || key.ndim !== 3 || value.ndim !== 3) {
    throw new ShapeError(`multiHeadAttentionForward: expected 3-d (batched) or 2-d (unbatched) query, key and value, received [${query.shape.join(', ')}], [${key.shape.join(', ')}], [${value.shape.join(', ')}].`);
  }
  const bf = o.batchFirst ?? false;
  const h = o.numHeads;
  const e = query.shape[2]!;
  const n = query.shape[bf ? 0 : 1]!;
  const l = query.shape[bf ? 1 : 0]!;
  const s = key.shape[bf ? 1 : 0]!;
  const hd = e / h;
  if (!Number.isInteger(hd)) throw new ArgumentError(`embed_dim ${e} must be divisible by num_heads ${h}.`);
  const [q, k, v] = project(query, key, value, e, o);
  // [L, N, E] -> [N, H, L, hd] (batch first: [N, L, E] -> [N, H, L, hd]).
  const heads = (t: Tensor, len: number) => (bf ? t.reshape([n, len, h, hd]).permute([0, 2, 1, 3]) : t.reshape([len, n, h, hd]).permute([1, 2, 0, 3]));
  let scores = heads(q, l).mul(1 / Math.sqrt(hd)).matmul(heads(k, s).permute([0, 1, 3, 2]));
  let mask = o.attnMask ?? null;
  if (mask === null && o.isCausal) mask = futureMask(l, s);
  if (mask !== null) {
    if (mask.ndim === 3) mask = mask.reshape([n, h, l, s]);
    scores = applyMask(scores, mask, false);
  }
  if (o.keyPaddingMask != null) scores = applyMask(scores, o.keyPaddingMask.reshape([n, 1, 1, s]), false);
  let attn = scores.softmax(-1);
  const p = o.dropoutP ?? 0;
  if (p > 0 && (o.training ?? true)) attn = CF.dropout(attn, p, true);
  const weights = o.needWeights ?? true ? attn : null; // after dropout, as PyTorch returns them
  const ctx = attn.matmul(heads(v, s)); // [N, H, L, hd]
  const merged = (bf ? ctx.permute([0, 2, 1, 3]) : ctx.permute([2, 0, 1, 3])).reshape(bf ? [n, l, e] : [l, n, e]);
  const out = linear(merged, o.outProjWeight, o.outProjBias ?? null);
  if (weights === null) return [out, null];
  return [out, o.averageAttnWeights ?? true ? weights.mean(1) : weights];
}

