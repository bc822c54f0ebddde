/**
 * `nn.init`: fill a tensor in place with values from a distribution, like
 * `torch.nn.init`. Seeded by core's `manualSeed` (Duet's stream, not
 * PyTorch's: the distributions match, the numbers do not). Each function
 * returns the tensor it filled. Fans come from a description of the
 * weight's layout (`computeFans`): PyTorch's by default (dim 0 = out, dim 1
 * = in, the rest = receptive field); pass `layout: 'in_out'` (Keras's rule),
 * a letter layout such as `'HWIO'`, or `fanIn`/`fanOut` for another one.
 * `get(name)` looks an initialiser up by its torch.nn.init or Keras name.
 *
 * @example
 * ```ts
 * import { zeros, manualSeed } from '@duet/core';
 * import { nn } from '@duet/nn';
 * manualSeed(0);
 * const w = nn.init.kaimingUniform_(zeros([128, 784]), { a: Math.sqrt(5) });
 * ```
 */
import { ArgumentError, noGrad, rand, randn, randomNormal, tensor, type Tensor } from '@duet/core';

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

/**
 * How a weight's dimensions map to fans:
 * - `'out_in'` (PyTorch's rule, the default): dim 0 = out, dim 1 = in, the
 *   rest = receptive field (Linear `[out, in]`, Conv `[out, in, ...k]`; a
 *   transposed conv's `[in, out, ...k]` is read the same way, as PyTorch does);
 * - `'in_out'` (Keras's `compute_fans`): the last dim = out, the one before
 *   = in, the rest = receptive field (Dense `[in, out]`, Conv
 *   `[...k, in, out]`); rank 0 gives fans (1, 1), rank 1 (n, n);
 * - a letter per dimension: `'O'` = out, `'I'` = in, any other letter a
 *   receptive-field dimension (`'OI'`, `'IO'`, `'OIHW'`, `'HWIO'`, `'OIL'`,
 *   `'LIO'`, `'OIDHW'`, `'DHWIO'`).
 */
export type WeightLayout = 'out_in' | 'in_out' | (string & {});

export interface FanOptions {
  /** The weight's layout (default `'out_in'`, PyTorch's). */
  layout?: WeightLayout;
  /** Override the fan-in computed from the layout. */
  fanIn?: number;
  /** Override the fan-out computed from the layout. */
  fanOut?: number;
}

/**
 * `[fanIn, fanOut]` of a weight of `shape` in `layout`: the one fan rule of
 * Duet, used by `nn.init`, the layers' `weightInit` and Keras's
 * initializers.
 */
export function computeFans(shape: readonly number[], layout: WeightLayout = 'out_in'): [number, number] {
  const n = shape.length;
  const prod = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  if (layout === 'out_in') {
    if (n < 2) throw new ArgumentError(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (received shape [${shape.join(', ')}]).`);
    const rf = prod(shape.slice(2));
    return [shape[1]! * rf, shape[0]! * rf];
  }
  if (layout === 'in_out') {
    if (n === 0) return [1, 1];
    if (n === 1) return [shape[0]!, shape[0]!];
    const rf = prod(shape.slice(0, -2));
    return [shape[n - 2]! * rf, shape[n - 1]! * rf];
  }
  if (typeof layout !== 'string' || !/^[A-Z]+$/.test(layout) || layout.split('O').length !== 2 || layout.split('I').length !== 2) {
    throw new ArgumentError(`layout must be 'out_in', 'in_out' or one letter per dimension with one 'O' and one 'I' (e.g. 'OIHW', 'HWIO'), received ${JSON.stringify(layout)}.`);
  }
  if (layout.length !== n) throw new ArgumentError(`layout '${layout}' describes ${layout.length} dimensions, but the weight has shape [${shape.join(', ')}].`);
  const rf = prod(shape.filter((_, i) => layout[i] !== 'O' && layout[i] !== 'I'));
  return [shape[layout.indexOf('I')]! * rf, shape[layout.indexOf('O')]! * rf];
}

/** `[fanIn, fanOut]` of `t` in `options.layout` (PyTorch's by default), each replaced by `fanIn`/`fanOut` if given. */
export function calculateFanInAndFanOut(t: Tensor, options: FanOptions = {}): [number, number] {
  if (options.fanIn !== undefined && options.fanOut !== undefined) return [options.fanIn, options.fanOut];
  const [fanIn, fanOut] = computeFans(t.shape, options.layout ?? 'out_in');
  return [options.fanIn ?? fanIn, options.fanOut ?? fanOut];
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

/**
 * Values from N(mean, std^2) redrawn until inside [a, b] (PyTorch's
 * `trunc_normal_`; defaults mean 0, std 1, a -2, b 2, absolute bounds).
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  if (!(a < b)) throw new ArgumentError(`truncNormal_: expected a < b, received a=${a}, b=${b}.`);
  const n = t.numel();
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x: number;
    do x = mean + std * randomNormal();
    while (x < a || x > b);
    v[i] = x;
  }
  return fill(t, tensor(v, { shape: [...t.shape] }));
}

export interface VarianceScalingOptions extends FanOptions {
  /** Default 1. */
  scale?: number;
  /** Default 'fan_in'. */
  mode?: 'fan_in' | 'fan_out' | 'fan_avg';
  /** Default 'truncated_normal' (cut at 2 standard deviations, Keras's rule). */
  distribution?: 'truncated_normal' | 'untruncated_normal' | 'uniform';
}

/**
 * Keras's VarianceScaling as an in-place fill: n = fanIn, fanOut or their
 * mean; `uniform`: U(-sqrt(3 scale / n), +); `untruncated_normal`: N(0,
 * scale / n); `truncated_normal`: stddev sqrt(scale / n) / 0.8796..., cut at
 * 2 stddev. Fans from `layout` (PyTorch's by default; Keras's own weights
 * are `'in_out'`).
 */
export function varianceScaling_(t: Tensor, options: VarianceScalingOptions = {}): Tensor {
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new ArgumentError(`varianceScaling_: scale must be positive, received ${scale}.`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, options);
  const mode = options.mode ?? 'fan_in';
  const fan = Math.max(1, mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2);
  const s = scale / fan;
  const dist = options.distribution ?? 'truncated_normal';
  if (dist === 'uniform') {
    const limit = Math.sqrt(3 * s);
    return uniform_(t, -limit, limit);
  }
  if (dist === 'untruncated_normal') return normal_(t, 0, Math.sqrt(s));
  const std = Math.sqrt(s) / 0.87962566103423978;
  return truncNormal_(t, 0, std, -2 * std, 2 * std);
}

/** `fn(weight, info)`: fill `weight` in place (return nothing or it), or return a new tensor of its shape, which is copied in and released. */
export type InitFunction = (weight: Tensor, info: { fanIn: number; fanOut: number; layout: WeightLayout }) => Tensor | void;
/** An object with Keras's initializer interface (`call(shape)` returns a new tensor), e.g. `keras.initializers.get('he_normal')`. */
export interface ShapeInitializer {
  call(shape: number[]): Tensor;
}
/** What a layer's `weightInit` / `biasInit` take: a name (torch.nn.init's or Keras's, snake_case or camelCase), a function, or a Keras-style initializer object. */
export type InitSpec = InitName | (string & {}) | InitFunction | ShapeInitializer;

export type InitName =
  | 'uniform' | 'normal' | 'zeros' | 'ones' | 'xavier_uniform' | 'xavier_normal' | 'kaiming_uniform' | 'kaiming_normal' | 'trunc_normal' | 'orthogonal'
  | 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal' | 'lecun_uniform' | 'lecun_normal' | 'random_uniform' | 'random_normal' | 'truncated_normal'
  | 'variance_scaling' | 'constant';

/** Options a named initialiser takes (each uses the ones that apply to it, with its library's defaults). */
export interface NamedInitOptions extends FanOptions {
  a?: number;
  b?: number;
  mean?: number;
  std?: number;
  gain?: number;
  mode?: 'fan_in' | 'fan_out' | 'fan_avg';
  nonlinearity?: Nonlinearity;
  value?: number;
  minval?: number;
  maxval?: number;
  stddev?: number;
  scale?: number;
  distribution?: 'truncated_normal' | 'untruncated_normal' | 'uniform';
}

type Filler = (t: Tensor, o: NamedInitOptions) => Tensor;
const kaimingMode = (o: NamedInitOptions): 'fan_in' | 'fan_out' => (o.mode === 'fan_out' ? 'fan_out' : 'fan_in');
/**
 * The named initialisers. torch.nn.init's names keep PyTorch's defaults
 * (`normal` = N(0, 1), `kaiming_normal` untruncated); Keras's keep Keras's
 * (`random_normal` = N(0, 0.05), `he_normal` truncated at 2 stddev).
 */
const NAMED: Record<InitName, Filler> = {
  uniform: (t, o) => uniform_(t, o.a ?? 0, o.b ?? 1),
  normal: (t, o) => normal_(t, o.mean ?? 0, o.std ?? 1),
  constant: (t, o) => constant_(t, o.value ?? 0),
  zeros: (t) => zeros_(t),
  ones: (t) => ones_(t),
  xavier_uniform: (t, o) => xavierUniform_(t, o),
  xavier_normal: (t, o) => xavierNormal_(t, o),
  kaiming_uniform: (t, o) => kaimingUniform_(t, { ...o, mode: kaimingMode(o) }),
  kaiming_normal: (t, o) => kaimingNormal_(t, { ...o, mode: kaimingMode(o) }),
  trunc_normal: (t, o) => truncNormal_(t, o.mean ?? 0, o.std ?? 1, o.a ?? -2, o.b ?? 2),
  orthogonal: (t, o) => orthogonal_(t, o),
  glorot_uniform: (t, o) => varianceScaling_(t, { ...o, scale: 1, mode: 'fan_avg', distribution: 'uniform' }),
  glorot_normal: (t, o) => varianceScaling_(t, { ...o, scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' }),
  he_uniform: (t, o) => varianceScaling_(t, { ...o, scale: 2, mode: 'fan_in', distribution: 'uniform' }),
  he_normal: (t, o) => varianceScaling_(t, { ...o, scale: 2, mode: 'fan_in', distribution: 'truncated_normal' }),
  lecun_uniform: (t, o) => varianceScaling_(t, { ...o, scale: 1, mode: 'fan_in', distribution: 'uniform' }),
  lecun_normal: (t, o) => varianceScaling_(t, { ...o, scale: 1, mode: 'fan_in', distribution: 'truncated_normal' }),
  random_uniform: (t, o) => uniform_(t, o.minval ?? -0.05, o.maxval ?? 0.05),
  random_normal: (t, o) => normal_(t, o.mean ?? 0, o.stddev ?? 0.05),
  truncated_normal: (t, o) => {
    const std = o.stddev ?? 0.05;
    const mean = o.mean ?? 0;
    return truncNormal_(t, mean, std, mean - 2 * std, mean + 2 * std);
  },
  variance_scaling: (t, o) => varianceScaling_(t, o),
};
const KEYS = new Map(Object.keys(NAMED).map((k) => [k.replace(/_/g, ''), k as InitName]));

/** The canonical snake_case name of `name` (`'heNormal'`, `'HeNormal'`, `'he_normal'`, `'xavier_uniform_'` -> `'he_normal'`, ...), or undefined. */
export function initName(name: string): InitName | undefined {
  return KEYS.get(name.replace(/_/g, '').toLowerCase());
}

/**
 * An in-place initialiser by name, torch.nn.init's or Keras's, in
 * snake_case or camelCase (trailing `_` accepted): `get('kaiming_normal',
 * { mode: 'fan_out', nonlinearity: 'relu' })`, `get('heNormal')`,
 * `get('glorot_uniform', { layout: 'in_out' })`. The result fills a tensor
 * and returns it.
 */
export function get(name: InitName | (string & {}), options: NamedInitOptions = {}): (t: Tensor, layoutOptions?: FanOptions) => Tensor {
  const key = typeof name === 'string' ? initName(name) : undefined;
  if (key === undefined) {
    throw new ArgumentError(`Unknown initializer ${JSON.stringify(name)}; expected one of ${Object.keys(NAMED).map((k) => `'${k}'`).join(', ')} (camelCase accepted).`);
  }
  const f = NAMED[key];
  return (t, layoutOptions = {}) => f(t, { ...layoutOptions, ...options });
}

/**
 * @internal fill a layer's `weight` by `spec` (a name, a function or a
 * Keras-style initializer) with fans from `layout`; `fans` overrides them
 * (a bias uses its weight's fans).
 */
export function applyInit(t: Tensor, spec: InitSpec, layout: WeightLayout, fans?: [number, number], what = 'weightInit'): void {
  const fanOpts: FanOptions = fans === undefined ? { layout } : { layout, fanIn: fans[0], fanOut: fans[1] };
  if (typeof spec === 'string') {
    get(spec)(t, fanOpts);
    return;
  }
  let fresh: Tensor | void;
  if (typeof spec === 'function') {
    const [fanIn, fanOut] = fans ?? computeFans(t.shape, layout);
    fresh = noGrad(() => spec(t, { fanIn, fanOut, layout }));
  } else if (spec !== null && typeof spec === 'object' && typeof (spec as ShapeInitializer).call === 'function') {
    fresh = noGrad(() => (spec as ShapeInitializer).call([...t.shape]));
  } else {
    throw new ArgumentError(`${what} must be an initializer name, a function or an object with call(shape), received ${spec === null ? 'null' : typeof spec}.`);
  }
  if (fresh === undefined || fresh === t) return;
  if (fresh.shape.length !== t.shape.length || fresh.shape.some((d, i) => d !== t.shape[i])) {
    throw new ArgumentError(`${what} returned a tensor of shape [${fresh.shape.join(', ')}]; expected [${t.shape.join(', ')}].`);
  }
  fill(t, fresh);
}
