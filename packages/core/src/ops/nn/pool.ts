/**
 * Pooling in PyTorch's layouts (and channels-last for Keras), forward and
 * backward on TF's native pooling kernels. TF's CPU pooling is NHWC only
 * (pooling [N * C, H, W, 1] instead measured 10-30x slower): NCHW tensors are
 * read in NHWC and the result is stored NHWC (docs/design/layout.md). Max
 * pooling pads with -inf through the kernel's explicit padding; TF's AvgPool
 * has none, so avg pooling pads zeros and rescales by PyTorch's divisor where
 * it differs from kH * kW.
 */
import { tf, scalarConst, type TfTensor } from '../../kernels/index.js';
import { ArgumentError } from '../../errors.js';
import { gradObserved, isGradEnabled, passAlong, record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { avgDivisors, batched, checkFlag, checkFloat, pair, poolWindow, spatial, type IntPair, type Pair } from './args.js';
import { dataFormat, opLayout, valueIn, type DataFormat, type DataFormat2dLike, type OpLayout } from '../../layout.js';

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  /**
   * -inf added on both sides (at most half the kernel); or, for the Keras
   * front end, 'same' (TensorFlow's: output ceil(size / stride), the odd
   * extra row/column of padding at the bottom/right). Default 0.
   */
  padding?: IntPair | 'same';
  /** Only 1: TF's MaxPool has no dilation. */
  dilation?: IntPair;
  /** Use ceil instead of floor for the output size. Default false. */
  ceilMode?: boolean;
  /** 'NCHW' (default) or 'NHWC'; the output has the input's layout. */
  dataFormat?: DataFormat2dLike;
}

export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  /**
   * Zeros added on both sides (at most half the kernel); or 'same'
   * (TensorFlow's, as for max pooling: set `countIncludePad: false` for its divisor). Default 0.
   */
  padding?: IntPair | 'same';
  ceilMode?: boolean;
  /** Count the zero padding in the divisor. Default true (PyTorch's default). */
  countIncludePad?: boolean;
  /** Divide every window by this instead. */
  divisorOverride?: number;
  dataFormat?: DataFormat2dLike;
}

export interface MaxPool1dOptions {
  stride?: number | null;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
}
export interface AvgPool1dOptions {
  stride?: number | null;
  padding?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const layoutName = (f: DataFormat) => (f === 'channelsFirst' ? '[N, C, H, W]' : '[N, H, W, C]');

interface PoolPlan {
  k: Pair;
  win: K.Window;
  /** Window geometry before TF's padding is chosen (PyTorch's arguments). */
  stride: Pair;
  padding: Pair;
  out: Pair;
  hw: Pair;
  shape: number[]; // NHWC input shape
}

function plan(op: string, x: Tensor, fmt: DataFormat, kernelSize: IntPair, stride: IntPair | null | undefined, padding: IntPair | 'same' | undefined, ceilMode: boolean | undefined): PoolPlan {
  checkFloat(op, 'input', x);
  const k = pair(op, 'kernelSize', kernelSize, 1);
  const s = stride == null ? k : pair(op, 'stride', stride, 1);
  const { n, c, hw } = spatial(x.shape, fmt);
  if (padding === 'same') {
    const { out, pads } = tfSameWindow(hw, k, s);
    return { k, stride: s, padding: [pads[0], pads[2]], out, hw, shape: [n, hw[0], hw[1], c], win: { stride: s, dilation: [1, 1], pads } };
  }
  const p = pair(op, 'padding', padding ?? 0, 0);
  const { out, pads } = poolWindow(op, hw, k, s, p, checkFlag(op, 'ceilMode', ceilMode ?? false));
  return { k, stride: s, padding: p, out, hw, shape: [n, hw[0], hw[1], c], win: { stride: s, dilation: [1, 1], pads } };
}

/** TensorFlow's 'SAME' window: output ceil(n / s), padding total max((out - 1) * s + k - n, 0), the odd one after. */
function tfSameWindow(hw: Pair, k: Pair, s: Pair): { out: Pair; pads: [number, number, number, number] } {
  const out: number[] = [];
  const pads: number[] = [];
  for (let i = 0; i < 2; i++) {
    const o = Math.ceil(hw[i]! / s[i]!);
    const total = Math.max((o - 1) * s[i]! + k[i]! - hw[i]!, 0);
    out.push(o);
    pads.push(Math.floor(total / 2), total - Math.floor(total / 2));
  }
  return { out: out as unknown as Pair, pads: pads as [number, number, number, number] };
}

/** 2-d max pooling: one MaxPool kernel each way (plus the input's conversion to NHWC if it is stored NCHW). */
export function maxPool2d(x: Tensor, kernelSize: IntPair, options: MaxPool2dOptions = {}): Tensor {
  const op = 'maxPool2d';
  const fmt = dataFormat(op, options.dataFormat);
  const dil = pair(op, 'dilation', options.dilation ?? 1, 1);
  if (dil[0] !== 1 || dil[1] !== 1) throw new ArgumentError(`${op}: dilation > 1 is not supported (TensorFlow's MaxPool kernel has none); received dilation ${shapeStr(dil)}.`);
  return batched(x, 4, op, layoutName(fmt), (xb) => {
    const p = plan(op, xb, fmt, kernelSize, options.stride, options.padding, options.ceilMode);
    // NCHW tensors go in and come out stored as NHWC (docs/design/layout.md).
    const l = opLayout('nhwcKernel', xb, fmt);
    const training = xb.requiresGrad && isGradEnabled();
    // Training on a ReLU's output (a conv's with activation 'relu', or relu()'s): keep each window's argmax, and send
    // the gradient back through the ReLU too, with its sum per channel (the conv's bias's gradient), in one kernel
    // (kernels/nn.ts); the ReLU's rule (conv.ts, elementwise.ts) takes both.
    const producer = xb._node?.name;
    if (training && (producer === 'ConvolutionReluBackward' || producer === 'ReluBackward') && K.argmaxPooling(p.k)) {
      const [y, argmax] = K.maxPoolArgmax(valueIn(l, xb), p.k, p.win);
      const out = new Tensor(y, l.nhwc);
      return record(out, 'MaxPool2DWithIndicesBackward', [xb], (g) => {
        // A gradients() call that returns the conv's output gets its true gradient (not through the ReLU).
        const relu = !gradObserved(xb);
        const [dx, db] = K.maxPoolGradArgmax(argmax, g, p.shape, p.k, p.win, relu);
        if (relu) passAlong(dx, db);
        return [dx];
      }, [argmax], l.grad);
    }
    // Training: oneDNN's kernels keep each window's argmax for the backward (kernels/nn.ts), where TensorFlow has them.
    if (training && K.workspacePooling(p.win)) {
      const [y, ws] = K.maxPoolWorkspace(valueIn(l, xb), p.k, p.win);
      const out = new Tensor(y, l.nhwc);
      return record(out, 'MaxPool2DWithIndicesBackward', [xb], (g) => [K.maxPoolGradWorkspace(valueIn(l, xb), valueIn(l, out), g, ws, p.k, p.win)], [ws], l.grad);
    }
    const out = new Tensor(K.maxPool(valueIn(l, xb), p.k, p.win), l.nhwc);
    return record(out, 'MaxPool2DWithIndicesBackward', [xb], (g) => [K.maxPoolGrad(valueIn(l, xb), valueIn(l, out), g, p.k, p.win)], undefined, l.grad);
  });
}

/**
 * 2-d average pooling: AvgPool (plus the input's conversion to NHWC if it is
 * stored NCHW), Pad with padding or ceilMode, and Mul when PyTorch's divisor is
 * not kH * kW somewhere; backward mirrors it (Slice for Pad).
 */
export function avgPool2d(x: Tensor, kernelSize: IntPair, options: AvgPool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  const fmt = dataFormat(op, options.dataFormat);
  const include = checkFlag(op, 'countIncludePad', options.countIncludePad ?? true);
  const override = options.divisorOverride;
  if (override !== undefined && !(Number.isInteger(override) && override > 0)) {
    throw new ArgumentError(`${op}: divisorOverride must be a positive integer, received ${JSON.stringify(override)}.`);
  }
  return batched(x, 4, op, layoutName(fmt), (xb) => {
    const p = plan(op, xb, fmt, kernelSize, options.stride, options.padding, options.ceilMode);
    return avgPoolPlanned(xb, p, opLayout('nhwcKernel', xb, fmt), include, override);
  });
}

function avgPoolPlanned(x: Tensor, p: PoolPlan, layout: OpLayout, include: boolean, override: number | undefined): Tensor {
  const [n, h, w, c] = p.shape as [number, number, number, number];
  const [t, b, l, r] = p.win.pads;
  const padded = t + b + l + r > 0;
  const paddedShape = [n, h + t + b, w + l + r, c];
  const valid: K.Window = { stride: p.stride, dilation: [1, 1], pads: [0, 0, 0, 0] };
  const corr = divisorCorrection(p, include, override);
  const y = tf().tidy(() => {
    const xN = valueIn(layout, x);
    const y = K.avgPool(padded ? K.pad(xN, [[0, 0], [t, b], [l, r], [0, 0]]) : xN, p.k, valid);
    return corr !== null ? K.mul(y, corr()) : y;
  });
  return record(new Tensor(y, layout.nhwc), 'AvgPool2DBackward', [x], (g) => {
    const gc = corr !== null ? K.mul(g, corr()) : g;
    const dx = K.avgPoolGrad(paddedShape, gc, p.k, valid);
    return [padded ? K.slice(dx, [0, t, l, 0], p.shape) : dx];
  }, undefined, layout.grad);
}

/** kH * kW / PyTorch's divisor per output position, as a cached [Ho, Wo, 1] constant; null where it is 1 everywhere. */
function divisorCorrection(p: PoolPlan, include: boolean, override: number | undefined): (() => TfTensor) | null {
  const area = p.k[0] * p.k[1];
  const [ho, wo] = p.out;
  const dh = avgDivisors(p.hw[0], p.k[0], p.stride[0], p.padding[0], ho, include);
  const dw = avgDivisors(p.hw[1], p.k[1], p.stride[1], p.padding[1], wo, include);
  const factor = (i: number, j: number) => area / (override ?? dh[i]! * dw[j]!);
  let trivial = true;
  for (let i = 0; i < ho && trivial; i++) for (let j = 0; j < wo; j++) if (factor(i, j) !== 1) trivial = false;
  if (trivial) return null;
  const key = `avgdiv:${p.hw}:${p.k}:${p.stride}:${p.padding}:${p.out}:${include}:${override}`;
  return () => K.floatConst(key, [ho, wo, 1], () => Float32Array.from({ length: ho * wo }, (_, q) => factor(Math.floor(q / wo), q % wo)));
}

/**
 * PyTorch's adaptive average pooling (bin i covers [floor(i * H / Ho), ceil((i + 1) * H / Ho))), NCHW.
 * Output 1x1: one Mean kernel (backward 2). Sizes that divide: avgPool2d with
 * kernel = stride = H / Ho (3 kernels each way). Otherwise the pooling is
 * linear and separable: Ah @ x @ Aw^T with constant bin-averaging matrices,
 * two BatchMatMul kernels each way and no transposes.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  return batched(x, 4, op, '[N, C, H, W]', (xb) => {
    checkFloat(op, 'input', xb);
    const [h, w] = [xb.shape[2]!, xb.shape[3]!];
    const raw = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
    if (!Array.isArray(raw) || raw.length !== 2) throw new ArgumentError(`${op}: outputSize must be a number or a pair, received ${JSON.stringify(outputSize)}.`);
    const [ho, wo] = pair(op, 'outputSize', [raw[0] ?? h, raw[1] ?? w], 1);
    if (ho === 1 && wo === 1) {
      // The mean over H and W of the tensor as stored: an NHWC-stored input gives an NHWC-stored output.
      const l = opLayout('asStored', xb);
      const xs = valueIn(l, xb);
      const out = new Tensor(K.mean(xs, l.nhwc ? [1, 2] : [2, 3], true), l.nhwc);
      return record(out, 'MeanBackward', [xb], (g) => [K.broadcastTo(K.mul(g, scalarConst(1 / (h * w), 'float32')), xs.shape)], undefined, l.grad);
    }
    if (h % ho === 0 && w % wo === 0) {
      const k: Pair = [h / ho, w / wo];
      return avgPoolPlanned(xb, plan(op, xb, 'channelsFirst', k, k, 0, false), opLayout('nhwcKernel', xb, 'channelsFirst'), true, undefined);
    }
    const ah = ho === h ? null : () => binMatrix(h, ho);
    const aw = wo === w ? null : () => binMatrix(w, wo);
    const out = new Tensor(tf().tidy(() => {
      const y = aw === null ? xb._v() : K.batchMatMul(xb._v(), aw(), false, true);
      return ah === null ? y : K.batchMatMul(ah(), y);
    }));
    return record(out, 'AdaptiveAvgPool2DBackward', [xb], (g) => {
      const gy = ah === null ? g : K.batchMatMul(ah(), g, true, false);
      return [aw === null ? gy : K.batchMatMul(gy, aw())];
    });
  });
}

/** [out, n]: row i averages PyTorch's adaptive bin i. */
function binMatrix(n: number, out: number): TfTensor {
  return K.floatConst(`adaptive:${n}:${out}`, [out, n], () => {
    const m = new Float32Array(out * n);
    for (let i = 0; i < out; i++) {
      const start = Math.floor((i * n) / out);
      const end = Math.ceil(((i + 1) * n) / out);
      for (let j = start; j < end; j++) m[i * n + j] = 1 / (end - start);
    }
    return m;
  });
}

// -------------------------------------------------------------------- 1-d
/** A 1-d argument as the pair of the 2-d op over [N, C, 1, L]: [unit, v]. */
function lift(op: string, name: string, v: number, min: number, unit: number): Pair {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(`${op}: ${name} must be an integer >= ${min}, received ${JSON.stringify(v)}.`);
  return [unit, v];
}

/** 1-d max pooling over [N, C, L]: maxPool2d over [N, C, 1, L] (one Reshape per tensor extra). */
export function maxPool1d(x: Tensor, kernelSize: number, options: MaxPool1dOptions = {}): Tensor {
  const op = 'maxPool1d';
  return batched(x, 3, op, '[N, C, L]', (xb) =>
    maxPool2d(xb.unsqueeze(2), lift(op, 'kernelSize', kernelSize, 1, 1), {
      stride: options.stride == null ? null : lift(op, 'stride', options.stride, 1, 1),
      padding: lift(op, 'padding', options.padding ?? 0, 0, 0),
      dilation: lift(op, 'dilation', options.dilation ?? 1, 1, 1),
      ceilMode: options.ceilMode,
    }).squeeze(2),
  );
}

/** 1-d average pooling over [N, C, L]: avgPool2d over [N, C, 1, L]. */
export function avgPool1d(x: Tensor, kernelSize: number, options: AvgPool1dOptions = {}): Tensor {
  const op = 'avgPool1d';
  return batched(x, 3, op, '[N, C, L]', (xb) =>
    avgPool2d(xb.unsqueeze(2), lift(op, 'kernelSize', kernelSize, 1, 1), {
      stride: options.stride == null ? null : lift(op, 'stride', options.stride, 1, 1),
      padding: lift(op, 'padding', options.padding ?? 0, 0, 0),
      ceilMode: options.ceilMode,
      countIncludePad: options.countIncludePad,
    }).squeeze(2),
  );
}
