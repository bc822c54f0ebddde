/**
 * Convolutions in PyTorch's layouts (and channels-last for the Keras front
 * end), forward and backward on TF's native kernels. TF's CPU kernels are
 * NHWC only, so an NCHW result is stored NHWC (docs/design/layout.md) and an
 * NCHW input is read in NHWC (converted once, or not at all when it is stored
 * so); the padding, PyTorch's 'same' included, goes to the kernels as explicit
 * padding (no Pad kernel).
 * TF's CPU backprop kernels reject groups and dilation: dilated gradients use
 * the equivalent zero-filled dense filter, depthwise convs use TF's depthwise
 * kernels, other groups run one backprop kernel per group. A 1x1 conv of a
 * logical NCHW input is a batched matmul instead (pointwise.ts): no transposes.
 */
import { tf, unaryKernel, binaryKernel, type TfTensor } from '../../kernels/index.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { record, takeAlong } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { pointwiseConv } from './pointwise.js';
import { batched, checkFloat, pair, spatial, type IntPair, type Pair } from './args.js';
import { dataFormat, opLayout, valueIn, type DataFormat, type DataFormat1dLike, type DataFormat2dLike } from '../../layout.js';

export interface Conv2dOptions {
  /** Step of the window, for both dims or [h, w]. Default 1. */
  stride?: IntPair;
  /**
   * Zeros added on both sides, for both dims or [h, w]; or 'valid' (none); or
   * 'same' (output size = input size, stride 1 only; an odd total puts the
   * extra zero on the bottom/right, like PyTorch); or, beyond PyTorch,
   * [[top, bottom], [left, right]] (e.g. TF's 'same' for a strided conv, for
   * the Keras front end; still no Pad kernel). Default 0.
   */
  padding?: IntPair | ExplicitPadding | 'same' | 'valid';
  /** Spacing between kernel taps. Default 1. */
  dilation?: IntPair;
  /** Split channels into groups convolved separately; in and out channels must divide by it. Default 1. */
  groups?: number;
  /**
   * 'NCHW' (default, PyTorch): input [N, C, H, W], weight [out, in / groups, kH, kW].
   * 'NHWC' (channels last, Keras): input [N, H, W, C], weight [kH, kW, in / groups, out]
   * (Keras's Conv2D kernel). The output has the input's layout. Bias is [out] in both.
   */
  dataFormat?: DataFormat2dLike;
  /**
   * 'relu': the ReLU of the result, in the same op (for Keras's
   * `activation: 'relu'`). With a bias it runs as Duet's one-pass
   * DuetBiasAddRelu / DuetBiasAddReluGrad kernels when they are loaded
   * (the same numbers as BiasAdd + Relu and ReluGrad + BiasAddGrad).
   */
  activation?: 'relu';
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  /** 'NCL' (default, PyTorch): input [N, C, L], weight [out, in / groups, k]. 'NLC' (Keras): input [N, L, C], weight [k, in / groups, out]. */
  dataFormat?: DataFormat1dLike;
}

export interface ConvTranspose2dOptions {
  stride?: IntPair;
  /**
   * PyTorch's padding: rows/cols cropped from each side of the full output, for both dims or [h, w];
   * or, beyond PyTorch, [[top, bottom], [left, right]] (TF's 'same' crops one more at the bottom/right
   * when the total is odd, for the Keras front end). Default 0.
   */
  padding?: IntPair | ExplicitPadding;
  /** Extra rows/cols added to the bottom/right of the output (each < max(stride, dilation)). Default 0. */
  outputPadding?: IntPair;
  /** Only 1 is supported. */
  groups?: number;
  dilation?: IntPair;
  /**
   * 'NCHW' (default, PyTorch): input [N, Cin, H, W], weight [Cin, Cout, kH, kW].
   * 'NHWC' (Keras): input [N, H, W, Cin], weight [kH, kW, Cout, Cin] (Keras's Conv2DTranspose kernel).
   */
  dataFormat?: DataFormat2dLike;
}

/** [[top, bottom], [left, right]]. */
export type ExplicitPadding = readonly [readonly [number, number], readonly [number, number]];

const OIHW_TO_HWIO = [2, 3, 1, 0];
const HWIO_TO_OIHW = [3, 2, 0, 1];

type ConvKind = 'dense' | 'grouped' | 'depthwise';
interface ConvPlan {
  win: K.Window;
  kind: ConvKind;
  groups: number;
  /** NHWC shape of the input, HWIO shape of the filter. */
  xShape: number[];
  wShape: [number, number, number, number];
}

const isDilated = (w: K.Window) => w.dilation[0] > 1 || w.dilation[1] > 1;
const undilated = (w: K.Window): K.Window => ({ ...w, dilation: [1, 1] });
const dilatedSize = (k: number, d: number) => d * (k - 1) + 1;

/** 2-d convolution (cross-correlation, like PyTorch's conv2d). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const fmt = dataFormat(op, options.dataFormat);
  const layout = fmt === 'channelsFirst' ? '[N, C, H, W]' : '[N, H, W, C]';
  return batched(x, 4, op, layout, (xb) => convForward(op, xb, weight, bias ?? null, options, fmt, layout));
}

function convForward(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, o: Conv2dOptions, fmt: DataFormat, layout: string): Tensor {
  checkFloat(op, 'input', x);
  checkFloat(op, 'weight', weight);
  if (weight.ndim !== 4) {
    throw new ShapeError(`${op}: expected a 4-d weight ${fmt === 'channelsFirst' ? '[out, in / groups, kH, kW]' : '[kH, kW, in / groups, out]'}, received shape ${shapeStr(weight.shape)}.`);
  }
  const nchw = fmt === 'channelsFirst';
  const [outC, inG, kh, kw] = (nchw ? weight.shape : [weight.shape[3], weight.shape[2], weight.shape[0], weight.shape[1]]) as number[] as [number, number, number, number];
  const groups = groupsOf(op, o.groups);
  if (outC % groups !== 0) throw new ArgumentError(`${op}: out-channels (${outC}) must be divisible by groups (${groups}).`);
  const { n, c, hw } = spatial(x.shape, fmt);
  if (c !== inG * groups) {
    throw new ShapeError(`${op}: expected input of shape ${layout} with C = ${inG * groups} (weight's in-channels * groups), received ${shapeStr(x.shape)}.`);
  }
  checkBias(op, bias, outC);
  if (o.activation !== undefined && o.activation !== 'relu') throw new ArgumentError(`${op}: activation must be 'relu' or left out, received ${JSON.stringify(o.activation)}.`);
  const stride = pair(op, 'stride', o.stride ?? 1, 1);
  const dilation = pair(op, 'dilation', o.dilation ?? 1, 1);
  const pads = convPads(op, o.padding ?? 0, stride, dilation, [kh, kw]);
  const out = [0, 1].map((i) => Math.floor((hw[i]! + pads[2 * i]! + pads[2 * i + 1]! - dilatedSize(i ? kw : kh, dilation[i]!)) / stride[i]!) + 1);
  if (out[0]! < 1 || out[1]! < 1) {
    throw new ShapeError(`${op}: the input's spatial size ${shapeStr(hw)} with padding ${shapeStr(pads)} is smaller than the (dilated) kernel [${dilatedSize(kh, dilation[0])}, ${dilatedSize(kw, dilation[1])}].`);
  }
  const kind: ConvKind = groups === 1 ? 'dense' : inG === 1 && groups === c ? 'depthwise' : 'grouped';
  // A 1x1 conv of a logical NCHW tensor is a batched matmul (no layout change); an NHWC-stored one takes the Conv2D path.
  if (nchw && !opLayout('asStored', x).nhwc && kind === 'dense' && kh === 1 && kw === 1 && stride[0] === 1 && stride[1] === 1 && pads.every((q) => q === 0)) {
    const y = pointwiseConv(x, weight, bias);
    return o.activation === 'relu' ? y.relu() : y;
  }
  const plan: ConvPlan = { win: { stride, dilation, pads }, kind, groups, xShape: [n, hw[0], hw[1], c], wShape: [kh, kw, inG, outC] };
  // NCHW tensors go in and come out stored as NHWC (docs/design/layout.md): only the weight is transposed here.
  const l = opLayout('nhwcKernel', x, fmt);
  const xValue = () => valueIn(l, x);
  const relu = o.activation === 'relu';
  const { y, wH } = tf().tidy(() => {
    const wH = nchw ? K.transpose(weight._v(), OIHW_TO_HWIO) : weight._v();
    // A dense conv with a bias and one input channel: Duet's one-kernel DuetConv2DC1 (the bias and ReLU inside).
    if (bias !== null && kind === 'dense' && inG === 1 && !isDilated(plan.win) && K.useOneChannelConv()) return { y: K.conv2dC1(xValue(), wH, bias._v(), plan.win, relu), wH };
    // A dense conv with a bias: one _FusedConv2D (the bias and ReLU inside the convolution) where the binding runs it.
    if (bias !== null && kind === 'dense' && K.useFusedConv()) return { y: K.fusedConv2d(xValue(), wH, bias._v(), plan.win, relu), wH };
    let y = forwardRaw(xValue(), wH, plan);
    if (bias !== null) y = relu ? K.biasAddRelu(y, bias._v()) : K.biasAdd(y, bias._v());
    else if (relu) y = unaryKernel('Relu', y);
    return { y, wH };
  });
  const inputs = bias !== null ? [x, weight, bias] : [x, weight];
  const result = new Tensor(y, l.nhwc);
  return record(result, relu ? 'ConvolutionReluBackward' : 'ConvolutionBackward', inputs, (gOut) => {
    // Through the ReLU first: the bias's gradient comes with it (one kernel with Duet's kernels).
    let gN = gOut;
    let gBias: TfTensor | null = null;
    // Max pooling of this output may have sent its gradient through the ReLU already, with the bias's (pool.ts);
    // without activation, a relu() of this output may pass the bias's on (elementwise.ts).
    const along = takeAlong(gOut);
    if (along !== undefined) {
      if (bias?.requiresGrad === true) gBias = along;
      else along.dispose();
    } else if (relu && bias !== null) [gN, gBias] = K.biasAddReluGrad(gOut, valueIn(l, result));
    else if (relu) gN = binaryKernel('ReluGrad', gOut, valueIn(l, result));
    const wv = nchw ? wH : weight._v();
    let parts: TfTensor[] | undefined; // gN split by group, shared by both gradients
    const gParts = () => (parts ??= K.split(gN, plan.groups, 3));
    let dx: TfTensor | null = null;
    let dw: TfTensor | null = null;
    if (x.requiresGrad) dx = gradInputRaw(wv, gN, gParts, plan);
    if (weight.requiresGrad) {
      dw = gradFilterRaw(xValue(), gN, gParts, plan);
      if (nchw) dw = K.transpose(dw, HWIO_TO_OIHW);
    }
    const grads = [dx, dw];
    if (bias !== null) grads.push(bias.requiresGrad ? (gBias ?? K.biasAddGrad(gN)) : null);
    return grads;
  }, savedWeight(nchw, x, wH), l.grad);
}

/** The NCHW path's transposed weight, kept for the input's gradient (freed now if that is not needed). */
function savedWeight(nchw: boolean, x: Tensor, wH: TfTensor): TfTensor[] {
  if (!nchw) return [];
  if (x.requiresGrad) return [wH];
  wH.dispose();
  return [];
}

function groupsOf(op: string, groups: number | undefined): number {
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new ArgumentError(`${op}: groups must be a positive integer, received ${JSON.stringify(groups)}.`);
  return g;
}

function checkBias(op: string, bias: Tensor | null, outC: number): void {
  if (bias === null) return;
  checkFloat(op, 'bias', bias);
  if (bias.ndim !== 1 || bias.shape[0] !== outC) {
    throw new ShapeError(`${op}: expected bias of shape [${outC}] (the out-channels), received ${shapeStr(bias.shape)}.`);
  }
}

/** [top, bottom, left, right] from PyTorch's padding argument. */
function convPads(op: string, padding: IntPair | ExplicitPadding | 'same' | 'valid', stride: Pair, dilation: Pair, k: Pair): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ArgumentError(`${op}: padding='same' is not supported for strided convolutions (as in PyTorch); received stride ${shapeStr(stride)}.`);
    }
    const th = dilation[0] * (k[0] - 1);
    const tw = dilation[1] * (k[1] - 1);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  if (typeof padding === 'string') throw new ArgumentError(`${op}: padding must be a number, a pair, 'same' or 'valid', received '${padding}'.`);
  if (Array.isArray(padding) && Array.isArray(padding[0])) {
    const [[t, b], [l, r]] = padding as ExplicitPadding;
    const all = [t, b, l, r];
    if (padding.length !== 2 || !all.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ArgumentError(`${op}: explicit padding must be [[top, bottom], [left, right]] of integers >= 0, received ${JSON.stringify(padding)}.`);
    }
    return all as [number, number, number, number];
  }
  const [ph, pw] = pair(op, 'padding', padding as IntPair, 0);
  return [ph, ph, pw, pw];
}

/**
 * Whether this TF library's CPU Conv2D runs groups natively (TF 2.21 does; the
 * check keeps older libraries working with one conv per group). Unknown until
 * the first grouped conv.
 */
let nativeGroups: boolean | undefined;

/** The forward on NHWC / HWIO tensors: 1 kernel (2 for depthwise: the filter reshape; 3 if also dilated). */
function forwardRaw(xN: TfTensor, wH: TfTensor, p: ConvPlan): TfTensor {
  if (p.kind === 'dense') return K.conv2d(xN, wH, p.win);
  if (p.kind === 'grouped') {
    if (nativeGroups !== false) {
      try {
        const y = K.conv2d(xN, wH, p.win);
        nativeGroups = true;
        return y;
      } catch (e) {
        if (nativeGroups === true) throw e;
        nativeGroups = false;
      }
    }
    const ws = K.split(wH, p.groups, 3);
    return K.concat(K.split(xN, p.groups, 3).map((xi, i) => K.conv2d(xi, ws[i]!, p.win)), 3);
  }
  let f = depthwiseFilter(wH, p);
  if (isDilated(p.win)) f = K.dilateFilter(f, p.win.dilation);
  return K.depthwise(xN, f, undilated(p.win));
}

/** HWIO [kH, kW, 1, C * m] -> TF's depthwise [kH, kW, C, m] (output channel c * m + j in both). */
function depthwiseFilter(wH: TfTensor, p: ConvPlan): TfTensor {
  const [kh, kw, , outC] = p.wShape;
  const c = p.xShape[3]!;
  return K.reshape(wH, [kh, kw, c, outC / c]);
}

type GroupParts = () => TfTensor[];

function gradInputRaw(wH: TfTensor, gN: TfTensor, gParts: GroupParts, p: ConvPlan): TfTensor {
  const win = undilated(p.win);
  const dil = isDilated(p.win);
  if (p.kind === 'depthwise') {
    const f = depthwiseFilter(wH, p);
    return K.depthwiseBackpropInput(p.xShape, dil ? K.dilateFilter(f, p.win.dilation) : f, gN, win);
  }
  const f = dil ? K.dilateFilter(wH, p.win.dilation) : wH;
  if (p.kind === 'dense') return K.conv2dBackpropInput(p.xShape, f, gN, win);
  const G = p.groups;
  const fs = K.split(f, G, 3);
  const gs = gParts();
  const part = [p.xShape[0]!, p.xShape[1]!, p.xShape[2]!, p.xShape[3]! / G];
  return K.concat(fs.map((fi, i) => K.conv2dBackpropInput(part, fi, gs[i]!, win)), 3);
}

function gradFilterRaw(xN: TfTensor, gN: TfTensor, gParts: GroupParts, p: ConvPlan): TfTensor {
  const win = undilated(p.win);
  const [kh, kw, inG, outC] = p.wShape;
  const kH = dilatedSize(kh, p.win.dilation[0]);
  const kW = dilatedSize(kw, p.win.dilation[1]);
  let dw: TfTensor;
  if (p.kind === 'depthwise') {
    const c = p.xShape[3]!;
    dw = K.reshape(K.depthwiseBackpropFilter(xN, [kH, kW, c, outC / c], gN, win), [kH, kW, 1, outC]);
  } else if (p.kind === 'dense') {
    dw = K.conv2dBackpropFilter(xN, [kH, kW, inG, outC], gN, win);
  } else {
    const G = p.groups;
    const xs = K.split(xN, G, 3);
    const gs = gParts();
    dw = K.concat(xs.map((xi, i) => K.conv2dBackpropFilter(xi, [kH, kW, inG, outC / G], gs[i]!, win)), 3);
  }
  return isDilated(p.win) ? K.undilateFilter(dw, p.win.dilation) : dw;
}

/** 1-d convolution: conv2d over [N, C, 1, L] (the unit dim costs one Reshape per tensor). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  const fmt = dataFormat(op, options.dataFormat, 1);
  const ncl = fmt === 'channelsFirst';
  if (weight.ndim !== 3) throw new ShapeError(`${op}: expected a 3-d weight ${ncl ? '[out, in / groups, k]' : '[k, in / groups, out]'}, received shape ${shapeStr(weight.shape)}.`);
  // The unit dim gets stride 1, dilation 1, padding 0.
  const lift = (v: number | undefined, name: string, unit: number): IntPair | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number') throw new ArgumentError(`${op}: ${name} must be a number, received ${JSON.stringify(v)}.`);
    return [unit, v];
  };
  const padding = options.padding === 'same' || options.padding === 'valid' ? options.padding : lift(options.padding, 'padding', 0);
  const o2: Conv2dOptions = { stride: lift(options.stride, 'stride', 1), dilation: lift(options.dilation, 'dilation', 1), padding, groups: options.groups, dataFormat: fmt };
  const layout = ncl ? '[N, C, L]' : '[N, L, C]';
  return batched(x, 3, op, layout, (xb) => {
    const c = xb.shape[ncl ? 1 : 2]!;
    const inC = weight.shape[1]! * (options.groups ?? 1);
    if (c !== inC) throw new ShapeError(`${op}: expected input of shape ${layout} with C = ${inC} (weight's in-channels * groups), received ${shapeStr(xb.shape)}.`);
    const y = conv2d(xb.unsqueeze(ncl ? 2 : 1), weight.unsqueeze(ncl ? 2 : 0), bias, o2);
    return y.squeeze(ncl ? 2 : 1);
  });
}

/** [top, left] and [bottom, right] crops of a transposed conv's padding argument. */
function transposePads(op: string, padding: IntPair | ExplicitPadding): [Pair, Pair] {
  if (Array.isArray(padding) && Array.isArray(padding[0])) {
    const [[t, b], [l, r]] = padding as ExplicitPadding;
    if (padding.length !== 2 || ![t, b, l, r].every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ArgumentError(`${op}: explicit padding must be [[top, bottom], [left, right]] of integers >= 0, received ${JSON.stringify(padding)}.`);
    }
    return [[t, l], [b, r]];
  }
  const p = pair(op, 'padding', padding as IntPair, 0);
  return [p, p];
}

/** 2-d transposed convolution (PyTorch's conv_transpose2d, the gradient of conv2d w.r.t. its input). */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  const fmt = dataFormat(op, options.dataFormat);
  const layout = fmt === 'channelsFirst' ? '[N, C, H, W]' : '[N, H, W, C]';
  return batched(x, 4, op, layout, (xb) => convTransposeForward(op, xb, weight, bias ?? null, options, fmt, layout));
}

function convTransposeForward(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, o: ConvTranspose2dOptions, fmt: DataFormat, layout: string): Tensor {
  checkFloat(op, 'input', x);
  checkFloat(op, 'weight', weight);
  const nchw = fmt === 'channelsFirst';
  if (weight.ndim !== 4) throw new ShapeError(`${op}: expected a 4-d weight ${nchw ? '[in, out, kH, kW]' : '[kH, kW, out, in]'}, received shape ${shapeStr(weight.shape)}.`);
  if (groupsOf(op, o.groups) !== 1) throw new ArgumentError(`${op}: only groups = 1 is supported, received groups = ${o.groups}.`);
  const [inC, outC, kh, kw] = (nchw ? weight.shape : [weight.shape[3], weight.shape[2], weight.shape[0], weight.shape[1]]) as number[] as [number, number, number, number];
  const { n, c, hw } = spatial(x.shape, fmt);
  if (c !== inC) throw new ShapeError(`${op}: expected input of shape ${layout} with C = ${inC} (weight's in-channels), received ${shapeStr(x.shape)}.`);
  checkBias(op, bias, outC);
  const stride = pair(op, 'stride', o.stride ?? 1, 1);
  const dilation = pair(op, 'dilation', o.dilation ?? 1, 1);
  const [padding, padAfter] = transposePads(op, o.padding ?? 0);
  const outPad = pair(op, 'outputPadding', o.outputPadding ?? 0, 0);
  // The output is the input-gradient of a conv over it with the same window. Padding
  // [p, b] with b in [p - op, p - op + s) makes that conv's output exactly H; when
  // no b >= 0 fits (op >= p + s, only with dilation > stride), the last rows get no
  // contribution: compute without them and pad zeros (`extra`).
  const full: number[] = [];
  const after: number[] = [];
  const extra: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [s, d, p, pb, q, k] = [stride[i]!, dilation[i]!, padding[i]!, padAfter[i]!, outPad[i]!, i ? kw : kh];
    if (q >= Math.max(s, d)) throw new ArgumentError(`${op}: outputPadding must be smaller than either stride or dilation, received outputPadding ${shapeStr(outPad)}, stride ${shapeStr(stride)}, dilation ${shapeStr(dilation)}.`);
    const size = (hw[i]! - 1) * s - p - pb + dilatedSize(k, d) + q;
    if (size < 1) throw new ShapeError(`${op}: the output size would be ${size} (input ${shapeStr(hw)}, padding ${JSON.stringify(o.padding ?? 0)}): padding is too large.`);
    const e = q >= pb + s ? q - pb : 0;
    full.push(size);
    extra.push(e);
    after.push(e > 0 ? 0 : Math.max(0, pb - q));
  }
  const win: K.Window = { stride, dilation, pads: [padding[0], after[0]!, padding[1], after[1]!] };
  const dil = isDilated(win);
  const ySize = [n, full[0]! - extra[0]!, full[1]! - extra[1]!, outC];
  const wShape = [dilatedSize(kh, dilation[0]), dilatedSize(kw, dilation[1]), outC, inC];
  const hasExtra = extra[0]! > 0 || extra[1]! > 0;

  const l = opLayout('nhwcKernel', x, fmt);
  const xValue = () => valueIn(l, x);
  const { y, wH } = tf().tidy(() => {
    const wH = nchw ? K.transpose(weight._v(), OIHW_TO_HWIO) : weight._v();
    let y = K.conv2dBackpropInput(ySize, dil ? K.dilateFilter(wH, dilation) : wH, xValue(), undilated(win));
    if (hasExtra) y = K.pad(y, [[0, 0], [0, extra[0]!], [0, extra[1]!], [0, 0]]);
    if (bias !== null) y = K.biasAdd(y, bias._v());
    return { y, wH };
  });
  const inputs = bias !== null ? [x, weight, bias] : [x, weight];
  return record(new Tensor(y, l.nhwc), 'ConvolutionBackward', inputs, (gN) => {
    const gIn = hasExtra ? K.slice(gN, [0, 0, 0, 0], ySize) : gN;
    let dx: TfTensor | null = null;
    let dw: TfTensor | null = null;
    if (x.requiresGrad) dx = K.conv2d(gIn, nchw ? wH : weight._v(), win);
    if (weight.requiresGrad) {
      dw = K.conv2dBackpropFilter(gIn, wShape, xValue(), undilated(win));
      if (dil) dw = K.undilateFilter(dw, dilation);
      if (nchw) dw = K.transpose(dw, HWIO_TO_OIHW);
    }
    const grads = [dx, dw];
    if (bias !== null) grads.push(bias.requiresGrad ? K.biasAddGrad(gN) : null);
    return grads;
  }, savedWeight(nchw, x, wH), l.grad);
}
