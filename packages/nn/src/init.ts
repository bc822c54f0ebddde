/**
 * `nn.init`: fill a tensor in place with values from a distribution, like
 * `torch.nn.init`. Seeded by core's `manualSeed` (Duet's stream, not
 * PyTorch's: the distributions match, the numbers do not). Each function
 * returns the tensor it filled. Fans follow PyTorch's layout (dim 0 = out,
 * dim 1 = in, the rest = receptive field); pass `fanIn`/`fanOut` to override
 * them for another layout (Keras's `[in, out]` kernels).
 *
 * @example
 * ```ts
 * import { zeros, manualSeed } from '@duet/core';
 * import { nn } from '@duet/nn';
 * manualSeed(0);
 * const w = nn.init.kaimingUniform_(zeros([128, 784]), { a: Math.sqrt(5) });
 * ```
 */
import { ArgumentError, noGrad, rand, randn, tensor, type Tensor } from '@duet/core';

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** PyTorch's recommended gain for a nonlinearity (`param` = leaky_relu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'.`);
  }
}

export interface FanOptions {
  /** Override the fan-in computed from PyTorch's layout. */
  fanIn?: number;
  /** Override the fan-out computed from PyTorch's layout. */
  fanOut?: number;
}

/** `[fanIn, fanOut]` of a weight in PyTorch's layout `[out, in, ...kernel]`. */
export function calculateFanInAndFanOut(t: Tensor, options: FanOptions = {}): [number, number] {
  if (t.ndim < 2 && (options.fanIn === undefined || options.fanOut === undefined)) {
    throw new ArgumentError(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (received shape [${t.shape.join(', ')}]).`);
  }
  let rf = 1;
  for (let i = 2; i < t.ndim; i++) rf *= t.shape[i]!;
  return [options.fanIn ?? (t.shape[1] ?? 1) * rf, options.fanOut ?? (t.shape[0] ?? 1) * rf];
}

/** Move `fresh` into `t` (same shape) without recording a gradient. */
function fill(t: Tensor, fresh: Tensor): Tensor {
  noGrad(() => {
    const v = fresh.dtype === t.dtype ? fresh : fresh.to(t.dtype);
    t.copy_(v);
    v.dispose();
    fresh.dispose();
  });
  return t;
}

/** Values from U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return noGrad(() => {
    const u = rand([...t.shape]);
    const s = u.mul(b - a).add(a);
    u.dispose();
    return fill(t, s);
  });
}

/** Values from N(mean, std^2). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => {
    const n = randn([...t.shape]);
    const s = n.mul(std).add(mean);
    n.dispose();
    return fill(t, s);
  });
}

/** Every value = `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, options: FanOptions & { gain?: number } = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, options);
  const a = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}
/** Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, options: FanOptions & { gain?: number } = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, options);
  return normal_(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions extends FanOptions {
  /** leaky_relu's negative slope (PyTorch's `a`), default 0. */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, o);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}
/** He uniform: U(-b, b), b = gain * sqrt(3 / fan). Linear/Conv use `{ a: Math.sqrt(5) }`. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound);
}
/** He normal: N(0, std^2), std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options));
}

/** A (semi-)orthogonal matrix (Saxe et al. 2013), rows x (product of the other dims), times `gain`. */
export function orthogonal_(t: Tensor, options: { gain?: number } = {}): Tensor {
  if (t.ndim < 2) throw new ArgumentError(`orthogonal_: only tensors with 2 or more dimensions are supported, received shape [${t.shape.join(', ')}].`);
  const rows = t.shape[0]!;
  const cols = t.numel() / rows;
  const n = randn([rows, cols]);
  const flat = Array.from(n.dataSync());
  n.dispose();
  // QR of the tall orientation; Q's columns, sign-corrected by diag(R), are orthonormal.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const k = tall ? cols : rows;
  const a: number[][] = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => (tall ? flat[i * cols + j]! : flat[j * cols + i]!)));
  const q = householderQ(a, m, k);
  const gain = options.gain ?? 1;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (tall ? q[i]![j]! : q[j]![i]!);
  return fill(t, tensor(out, { shape: [...t.shape] }));
}

/** Thin Q (m x k, m >= k) of A = QR with diag(R) made positive (PyTorch's sign fix). */
function householderQ(a: number[][], m: number, k: number): number[][] {
  const vs: number[][] = [];
  const r = a.map((row) => row.slice());
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += r[i]![j]! ** 2;
    norm = Math.sqrt(norm);
    const v = new Array<number>(m).fill(0);
    const alpha = r[j]![j]! >= 0 ? -norm : norm;
    for (let i = j; i < m; i++) v[i] = r[i]![j]!;
    v[j]! -= alpha;
    let vn = 0;
    for (let i = j; i < m; i++) vn += v[i]! ** 2;
    if (vn > 0) {
      for (let c = j; c < k; c++) {
        let dot = 0;
        for (let i = j; i < m; i++) dot += v[i]! * r[i]![c]!;
        const f = (2 * dot) / vn;
        for (let i = j; i < m; i++) r[i]![c]! -= f * v[i]!;
      }
    }
    vs.push(v.map((x) => x / Math.sqrt(vn || 1)));
  }
  // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity.
  const q: number[][] = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)));
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j]!;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i]! * q[i]![c]!;
      for (let i = j; i < m; i++) q[i]![c]! -= 2 * dot * v[i]!;
    }
  }
  for (let j = 0; j < k; j++) {
    if (r[j]![j]! < 0) for (let i = 0; i < m; i++) q[i]![j] = -q[i]![j]!;
  }
  return q;
}
