/**
 * Elementwise ops with broadcasting, activations, comparisons, casts.
 * Each differentiable op names its backward rule right where it runs the kernel.
 */
import { tf, unaryKernel, binaryKernel, scalarConst, type TfTensor } from '../kernels/index.js';
import { ArgumentError, AutogradError, DTypeError, ShapeError } from '../errors.js';
import { isGradEnabled, noGrad, passAlong, record, takeAlong, unbroadcast } from '../autograd.js';
import { opLayout, valueIn, LOGICAL, type OpLayout } from '../layout.js';
import { Tensor, type DType, type TensorLike } from '../tensor.js';
import { broadcastTo, normDim, normDims, prep, resultType, requireFloat, shapeStr } from './util.js';

type Bin = (x: TfTensor, y: TfTensor) => TfTensor;
/** A binary rule; `need` says which operands require grad (skip the other's kernels). */
type BinGrad = (g: TfTensor, x: TfTensor, y: TfTensor, out: TfTensor, need: readonly [boolean, boolean]) => [TfTensor | null, TfTensor | null];

/**
 * Run a broadcasting binary kernel with PyTorch's type promotion and record its gradient.
 * An NHWC-stored tensor with a number, or with another of its shape (a residual
 * add), is computed as stored: the result is stored NHWC (docs/design/layout.md).
 */
function binary(name: string, a: Tensor, b: TensorLike, dtype: DType, kernel: Bin, grad: BinGrad | null): Tensor {
  const l = opLayout('asStored', a, b);
  const nhwc = l.nhwc;
  const temps: TfTensor[] = [];
  const x = prep(a, dtype, temps, l);
  const y = prep(b, dtype, temps, l);
  let out: Tensor;
  try {
    out = new Tensor(kernel(x, y), nhwc);
  } catch (e) {
    for (const t of temps) t.dispose();
    throw broadcastError(name, a, b, e);
  }
  for (const t of temps) t.dispose();
  if (grad === null || dtype !== 'float32' || !isGradEnabled()) return out;
  const bt = b instanceof Tensor ? b : null;
  if (!a.requiresGrad && !bt?.requiresGrad) return out;
  const inputs = bt !== null ? [a, bt] : [a];
  return record(out, name, inputs, (g) => {
    const xv = valueIn(l, a);
    const yv = bt !== null ? valueIn(l, bt) : scalarConst(b as number, 'float32');
    const [ga, gb] = grad(g, xv, yv, valueIn(l, out), [a.requiresGrad, bt !== null && bt.requiresGrad]);
    const r: (TfTensor | null)[] = [ga === null || nhwc ? ga : unbroadcast(ga, a.shape)];
    if (bt !== null) r.push(gb === null || nhwc ? gb : unbroadcast(gb, bt.shape));
    return r;
  }, undefined, l.grad);
}

function broadcastError(name: string, a: Tensor, b: TensorLike, e: unknown): Error {
  if (b instanceof Tensor && !(e instanceof DTypeError)) {
    return new ShapeError(`${name}: the shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be broadcast together (${(e as Error).message}).`);
  }
  return e as Error;
}

export function add(a: Tensor, b: TensorLike, alpha?: number): Tensor {
  if (alpha !== undefined && alpha !== 1) b = b instanceof Tensor ? mul(b, alpha) : (b as number) * alpha;
  return binary('AddBackward', a, b, resultType(a, b), (x, y) => (x.dtype === 'bool' ? tf().add(x, y) : binaryKernel('AddV2', x, y)), (g) => [g, g]);
}
export function sub(a: Tensor, b: TensorLike, alpha?: number): Tensor {
  if (alpha !== undefined && alpha !== 1) b = b instanceof Tensor ? mul(b, alpha) : (b as number) * alpha;
  return binary('SubBackward', a, b, resultType(a, b), (x, y) => (x.dtype === 'bool' ? tf().sub(x, y) : binaryKernel('Sub', x, y)), (g, _x, _y, _o, need) => [g, need[1] ? tf().neg(g) : null]);
}
export function mul(a: Tensor, b: TensorLike): Tensor {
  return binary('MulBackward', a, b, resultType(a, b), (x, y) => (x.dtype === 'bool' ? tf().mul(x, y) : binaryKernel('Mul', x, y)), (g, x, y, _o, need) => [need[0] ? tf().mul(g, y) : null, need[1] ? tf().mul(g, x) : null]);
}
/** True division (ints give floats, like PyTorch). */
export function div(a: Tensor, b: TensorLike): Tensor {
  return binary('DivBackward', a, b, 'float32', (x, y) => binaryKernel('RealDiv', x, y), (g, x, y, _o, need) => [
    need[0] ? tf().div(g, y) : null,
    need[1] ? tf().neg(tf().div(tf().mul(g, x), tf().square(y))) : null,
  ]);
}
export function pow(a: Tensor, b: TensorLike): Tensor {
  return binary('PowBackward', a, b, resultType(a, b), (x, y) => tf().pow(x, y), (g, x, y, out, need) => {
    const t = tf();
    const zero = scalarConst(0, 'float32');
    // PyTorch: x^0 has no gradient (even at x = 0); the exponent gets none where x = 0 and y >= 0.
    const ga = need[0] ? t.mul(g, t.mul(y, t.pow(x, t.sub(y, scalarConst(1, 'float32'))))) : null;
    const gb = need[1] ? t.mul(g, t.mul(out, t.log(x))) : null;
    return [
      ga && t.where(t.equal(y, zero), t.zerosLike(ga), ga),
      gb && t.where(t.logicalAnd(t.equal(x, zero), t.greaterEqual(y, zero)), t.zerosLike(gb), gb),
    ];
  });
}
/** PyTorch splits the gradient evenly between equal inputs. */
function extremum(name: string, a: Tensor, b: TensorLike, pick: Bin, wins: Bin): Tensor {
  return binary(name, a, b, resultType(a, b), pick, (g, x, y, _o, need) => {
    const t = tf();
    const half = t.mul(g, scalarConst(0.5, 'float32'));
    const eq = t.equal(x, y);
    const ga = need[0] ? t.where(eq, half, t.where(wins(x, y), g, t.zerosLike(g))) : null;
    const gb = need[1] ? t.where(eq, half, t.where(wins(y, x), g, t.zerosLike(g))) : null;
    return [ga, gb];
  });
}
export function maximum(a: Tensor, b: TensorLike): Tensor {
  return extremum('MaximumBackward', a, b, (x, y) => tf().maximum(x, y), (x, y) => tf().greater(x, y));
}
export function minimum(a: Tensor, b: TensorLike): Tensor {
  return extremum('MinimumBackward', a, b, (x, y) => tf().minimum(x, y), (x, y) => tf().less(x, y));
}

export type CompareKernel = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';
export function compare(a: Tensor, b: TensorLike, k: CompareKernel): Tensor {
  return binary(k, a, b, resultType(a, b), (x, y) => tf()[k](x, y), null);
}
export function logical(a: Tensor, b: Tensor, k: 'logicalAnd' | 'logicalOr'): Tensor {
  return binary(k, a, b, 'bool', (x, y) => tf()[k](x, y), null);
}
export function logicalNot(a: Tensor): Tensor {
  const temps: TfTensor[] = [];
  const out = new Tensor(tf().logicalNot(prep(a, 'bool', temps)));
  for (const t of temps) t.dispose();
  return out;
}

/**
 * A float unary op: forward kernel, and the rule from (g, x, out). An
 * elementwise one runs on the value as stored, so an NHWC-stored tensor stays
 * NHWC and its rule exchanges NHWC gradients (docs/design/layout.md).
 */
function unary(name: string, a: Tensor, kernel: (x: TfTensor) => TfTensor, grad: ((g: TfTensor, x: TfTensor, out: TfTensor) => TfTensor) | null, floatOnly = true, composite = false, elementwise = true): Tensor {
  if (floatOnly) requireFloat(a, name);
  const l: OpLayout = elementwise ? opLayout('asStored', a) : LOGICAL;
  // A kernel on a non-float input (a cast first) or a composite one makes temporaries: tidy them.
  // Single-kernel ops on float32 (the hot path) skip tidy's cost.
  const x = valueIn(l, a);
  const out = new Tensor(composite || x.dtype !== 'float32' ? tf().tidy(() => kernel(x)) : kernel(x), l.nhwc);
  if (grad === null || !a.requiresGrad || !isGradEnabled()) return out;
  return record(out, name, [a], (g) => [grad(g, valueIn(l, a), valueIn(l, out))], undefined, l.grad);
}
const one = () => scalarConst(1, 'float32');
const f = (v: number) => scalarConst(v, 'float32');

export const neg = (a: Tensor) => unary('NegBackward', a, (x) => (x.dtype === 'bool' ? tf().neg(x) : unaryKernel('Neg', x)), (g) => tf().neg(g), false);
export const abs = (a: Tensor) => unary('AbsBackward', a, (x) => tf().abs(x), (g, x) => tf().mul(g, tf().sign(x)), false);
export const exp = (a: Tensor) => unary('ExpBackward', a, (x) => unaryKernel('Exp', asFloat(x)), (g, _x, o) => tf().mul(g, o), false);
export const log = (a: Tensor) => unary('LogBackward', a, (x) => unaryKernel('Log', asFloat(x)), (g, x) => tf().div(g, x), false);
export const log1p = (a: Tensor) => unary('Log1pBackward', a, (x) => tf().log1p(asFloat(x)), (g, x) => tf().div(g, tf().add(x, one())), false);
export const sqrt = (a: Tensor) => unary('SqrtBackward', a, (x) => unaryKernel('Sqrt', asFloat(x)), (g, _x, o) => tf().div(g, tf().mul(o, f(2))), false);
export const rsqrt = (a: Tensor) => unary('RsqrtBackward', a, (x) => tf().rsqrt(asFloat(x)), (g, _x, o) => tf().mul(g, tf().mul(tf().pow(o, f(3)), f(-0.5))), false);
export const square = (a: Tensor) => unary('PowBackward', a, (x) => tf().square(x), (g, x) => tf().mul(g, tf().mul(x, f(2))), false);
export const reciprocal = (a: Tensor) => unary('ReciprocalBackward', a, (x) => tf().reciprocal(asFloat(x)), (g, _x, o) => tf().neg(tf().mul(g, tf().square(o))), false);
export const sin = (a: Tensor) => unary('SinBackward', a, (x) => tf().sin(asFloat(x)), (g, x) => tf().mul(g, tf().cos(x)), false);
export const cos = (a: Tensor) => unary('CosBackward', a, (x) => tf().cos(asFloat(x)), (g, x) => tf().neg(tf().mul(g, tf().sin(x))), false);
export const sign = (a: Tensor) => unary('SignBackward', a, (x) => tf().sign(x), (g) => tf().zerosLike(g), false);
export const floor = (a: Tensor) => unary('FloorBackward', a, (x) => tf().floor(x), (g) => tf().zerosLike(g), false);
export const ceil = (a: Tensor) => unary('CeilBackward', a, (x) => tf().ceil(x), (g) => tf().zerosLike(g), false);
export const round = (a: Tensor) => unary('RoundBackward', a, (x) => tf().round(x), (g) => tf().zerosLike(g), false);

function asFloat(x: TfTensor): TfTensor {
  return x.dtype === 'float32' ? x : tf().cast(x, 'float32');
}

export function clamp(a: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new ArgumentError('clamp(): at least one of min or max must be given.');
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new ArgumentError(`clamp(): ${name} must be a number (or ±Infinity), received ${v}.`);
  }
  // An int tensor clamped to a fractional bound gives floats (PyTorch's type promotion).
  if (a.dtype !== 'float32' && [min, max].some((v) => v !== undefined && !Number.isInteger(v))) a = cast(a, 'float32');
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  // min > max gives max everywhere (PyTorch's rule); TF's clip rejects it, so clip to [max, max].
  return unary('ClampBackward', a, (x) => tf().clipByValue(x, Math.min(lo, hi), hi), (g, x) => {
    const t = tf();
    const inside = t.logicalAnd(t.greaterEqual(x, f(lo)), t.lessEqual(x, f(hi)));
    return t.where(inside, g, t.zerosLike(g));
  }, false);
}

// ReluGrad / SigmoidGrad / TanhGrad: TF's one-kernel backward rules.
export const relu = (a: Tensor) => unary('ReluBackward', a, (x) => (x.dtype === 'float32' ? unaryKernel('Relu', x) : tf().relu(x)), (g, _x, o) => reluGrad(a, g, o), false);

/**
 * ReluGrad, unless max pooling of this ReLU's output already sent `g` through
 * it (pool.ts; autograd.ts, "passAlong"): then `g` as it is, and the sum per
 * channel that came with it goes on to a conv without activation that made
 * our input, as its bias's gradient (conv.ts).
 */
function reluGrad(a: Tensor, g: TfTensor, o: TfTensor): TfTensor {
  const along = takeAlong(g);
  if (along === undefined) return binaryKernel('ReluGrad', g, o);
  const out = tf().clone(g); // a new handle on the same data (no kernel), which the along can be attached to
  if (a._node?.name === 'ConvolutionBackward') passAlong(out, along);
  else along.dispose();
  return out;
}
export const leakyRelu = (a: Tensor, slope: number) =>
  unary('LeakyReluBackward', a, (x) => tf().leakyRelu(x, slope), (g, x) => tf().where(tf().greater(x, f(0)), g, tf().mul(g, f(slope))));
export const elu = (a: Tensor, alpha: number) =>
  unary('EluBackward', a, (x) => (alpha === 1 ? tf().elu(x) : tf().where(tf().greater(x, f(0)), x, tf().mul(tf().expm1(x), f(alpha)))),
    (g, x, o) => tf().where(tf().greater(x, f(0)), g, tf().mul(g, tf().add(o, f(alpha)))), true, alpha !== 1);
export const sigmoid = (a: Tensor) => unary('SigmoidBackward', a, (x) => unaryKernel('Sigmoid', asFloat(x)), (g, _x, o) => binaryKernel('SigmoidGrad', o, g), false);
export const tanh = (a: Tensor) => unary('TanhBackward', a, (x) => unaryKernel('Tanh', asFloat(x)), (g, _x, o) => binaryKernel('TanhGrad', o, g), false);
export const silu = (a: Tensor) =>
  unary('SiluBackward', a, (x) => tf().mul(x, tf().sigmoid(x)), (g, x) => {
    const s = tf().sigmoid(x);
    return tf().mul(g, tf().mul(s, tf().add(one(), tf().mul(x, tf().sub(one(), s)))));
  }, true, true);

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export function gelu(a: Tensor, approximate: 'none' | 'tanh'): Tensor {
  if (approximate === 'tanh') {
    const inner = (x: TfTensor) => tf().mul(f(SQRT_2_OVER_PI), tf().add(x, tf().mul(f(0.044715), tf().pow(x, f(3)))));
    return unary('GeluBackward', a, (x) => tf().tidy(() => tf().mul(tf().mul(f(0.5), x), tf().add(one(), tf().tanh(inner(x))))), (g, x) => {
      const t = tf();
      const th = t.tanh(inner(x));
      const dInner = t.mul(f(SQRT_2_OVER_PI), t.add(one(), t.mul(f(3 * 0.044715), t.square(x))));
      const d = t.add(t.mul(f(0.5), t.add(one(), th)), t.mul(t.mul(f(0.5), x), t.mul(t.sub(one(), t.square(th)), dInner)));
      return t.mul(g, d);
    });
  }
  return unary('GeluBackward', a, (x) => tf().tidy(() => tf().mul(tf().mul(f(0.5), x), tf().add(one(), tf().erf(tf().mul(x, f(SQRT1_2)))))), (g, x) => {
    const t = tf();
    const cdf = t.mul(f(0.5), t.add(one(), t.erf(t.mul(x, f(SQRT1_2)))));
    const pdf = t.mul(f(1 / Math.sqrt(2 * Math.PI)), t.exp(t.mul(t.square(x), f(-0.5))));
    return t.mul(g, t.add(cdf, t.mul(x, pdf)));
  });
}

/** PyTorch's softplus: log(1 + exp(beta*x)) / beta, linear above `threshold`. */
export function softplus(a: Tensor, beta: number, threshold: number): Tensor {
  return unary('SoftplusBackward', a, (x) => tf().tidy(() => {
    const bx = tf().mul(x, f(beta));
    return tf().where(tf().greater(bx, f(threshold)), x, tf().div(tf().softplus(bx), f(beta)));
  }), (g, x) => {
    const bx = tf().mul(x, f(beta));
    return tf().where(tf().greater(bx, f(threshold)), g, tf().mul(g, tf().sigmoid(bx)));
  });
}

export function softmax(a: Tensor, dim: number): Tensor {
  const d = normDim(dim, a.ndim);
  const axes = normDims(d, a.ndim)!; // [] for a 0-d tensor
  return unary('SoftmaxBackward', a, (x) => onLastAxis(x, d, (y) => tf().softmax(y)), (g, _x, o) =>
    tf().mul(o, tf().sub(g, tf().sum(tf().mul(g, o), axes, true))), true, false, false);
}
export function logSoftmax(a: Tensor, dim: number): Tensor {
  const d = normDim(dim, a.ndim);
  const axes = normDims(d, a.ndim)!; // [] for a 0-d tensor
  return unary('LogSoftmaxBackward', a, (x) => onLastAxis(x, d, (y) => tf().logSoftmax(y)), (g, _x, o) =>
    tf().sub(g, tf().mul(tf().exp(o), tf().sum(g, axes, true))), true, false, false);
}
/** TF's softmax kernels work on the last axis: move `d` there and back. */
function onLastAxis(x: TfTensor, d: number, k: (y: TfTensor) => TfTensor): TfTensor {
  const r = x.rank;
  if (r === 0) return tf().tidy(() => tf().reshape(k(tf().reshape(x, [1])), []));
  if (d === r - 1 || r === 1) return k(x);
  return tf().tidy(() => {
    const perm = [...Array(r).keys()];
    perm[d] = r - 1;
    perm[r - 1] = d;
    return tf().transpose(k(tf().transpose(x, perm)), perm);
  });
}

export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = a instanceof Tensor ? a : null;
  const tb = b instanceof Tensor ? b : null;
  const dt: DType = ta !== null ? resultType(ta, b) : tb !== null ? resultType(tb, a) : 'float32';
  const outShape = broadcastShapes([cond.shape, ta?.shape ?? [], tb?.shape ?? []]); // may throw: before any cast
  const temps: TfTensor[] = [];
  const c = prep(cond, 'bool', temps);
  const x = prep(a, dt, temps);
  const y = prep(b, dt, temps);
  const bx = x.shape.length === outShape.length && x.shape.every((s, i) => s === outShape[i]) ? x : broadcastTo(x, outShape);
  const by = y.shape.length === outShape.length && y.shape.every((s, i) => s === outShape[i]) ? y : broadcastTo(y, outShape);
  const bc = c.shape.length === outShape.length && c.shape.every((s, i) => s === outShape[i]) ? c : broadcastTo(c, outShape);
  const out = new Tensor(tf().where(bc, bx, by));
  for (const t of [bx, by, bc]) if (t !== x && t !== y && t !== c) t.dispose();
  for (const t of temps) t.dispose();
  const inputs: Tensor[] = [];
  if (ta !== null) inputs.push(ta);
  if (tb !== null) inputs.push(tb);
  if (dt !== 'float32' || inputs.length === 0) return out;
  return record(out, 'WhereBackward', inputs, (g) => {
    const t = tf();
    const cv = broadcastTo(t.cast(cond._v(), 'bool'), g.shape);
    const z = t.zerosLike(g);
    const r: TfTensor[] = [];
    if (ta !== null) r.push(unbroadcast(t.where(cv, g, z), ta.shape));
    if (tb !== null) r.push(unbroadcast(t.where(cv, z, g), tb.shape));
    return r;
  });
}

export function broadcastShapes(shapes: (readonly number[])[]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = new Array(n).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = n - s.length + i;
      const d = s[i]!;
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) {
        throw new ShapeError(`shapes ${shapes.map(shapeStr).join(', ')} cannot be broadcast together (dim ${j}: ${out[j]} vs ${d}).`);
      }
    }
  }
  return out;
}

export function maskedFill(a: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedFill: expected a bool mask, received ${mask.dtype}.`);
  const out = where(mask, value, a);
  return out;
}

export function cast(a: Tensor, dtype: DType): Tensor {
  if (a.dtype === dtype) return a;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new DTypeError(`to(): unsupported dtype '${dtype}': expected float32, int32 or bool (TensorFlow's engine through tfjs has no float64/int64/uint8 tensors).`);
  }
  return new Tensor(tf().cast(a._v(), dtype));
}

export function clone(a: Tensor): Tensor {
  const l = opLayout('asStored', a);
  const out = new Tensor(tf().clone(valueIn(l, a)), l.nhwc);
  return record(out, 'CloneBackward', [a], (g) => [g], undefined, l.grad);
}

export function fillLike(a: Tensor, v: number): Tensor {
  return new Tensor(tf().fill(a.shape as number[], v, a.dtype));
}

/** Replace `t`'s values with `fn(t)` in place (same shape and dtype). Not recorded by autograd. */
export function inPlace<X extends Tensor>(t: X, fn: (t: Tensor) => Tensor): X {
  if (isGradEnabled() && t.requiresGrad) {
    throw new AutogradError(
      t.isLeaf
        ? 'a leaf tensor that requires grad is being used in an in-place operation. Wrap the update in noGrad(() => ...).'
        : 'in-place operations on tensors that are part of an autograd graph are not supported; use the out-of-place op (e.g. add instead of add_).',
    );
  }
  const r = noGrad(() => fn(t));
  if (r.shape.length !== t.shape.length || r.shape.some((d, i) => d !== t.shape[i])) {
    throw new ShapeError(`in-place op: the result has shape ${shapeStr(r.shape)}, which does not match the tensor's shape ${shapeStr(t.shape)}.`);
  }
  if (r.dtype !== t.dtype) {
    throw new DTypeError(`in-place op: the result type ${r.dtype} cannot be cast to the tensor's dtype ${t.dtype}.`);
  }
  if (r === t) return t;
  t._setValue(r._moveValue('its value was moved into another tensor by an in-place op'));
  return t;
}
