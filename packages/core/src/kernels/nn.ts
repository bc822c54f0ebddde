/**
 * One native TensorFlow kernel per function, for the nn primitives (their
 * small constant inputs - shapes, perms, index maps, pooling divisors - come
 * from the one constant cache, constants.ts, so a step does not upload them again).
 * Everything here is NHWC with HWIO filters: TF's CPU kernels support no other
 * layout. Error messages from TF are opaque (`Invalid TF_Status: 3`), so the
 * callers validate every shape before they get here.
 */
import { runOp, runOpN, typeAttr, intAttr, floatAttr, stringAttr, boolAttr, tf, type OpAttr, type TfTensor } from '../engine.js';
import { intConst } from './constants.js';
import { unaryKernel, binaryKernel } from './basic.js';
import { customKernel, oneDnnEnabled } from './custom.js';
import { probedPath } from './probe.js';

// Callers use this file as a namespace (`K.conv2d`, `K.reshape`): the shared constants and layout kernels are part of it.
export { intConst, floatConst } from './constants.js';
export { reshapeKernel as reshape, transposeKernel as transpose } from './basic.js';

// ------------------------------------------------------------------ layout
const f32 = (name = 'T') => typeAttr(name, 'float32');
const i32 = (name: string) => typeAttr(name, 'int32');

/** Zero padding; `pads` is [before, after] per dim. */
export function pad(x: TfTensor, pads: readonly (readonly [number, number])[]): TfTensor {
  return runOp('Pad', [f32(), i32('Tpaddings')], [x, intConst(pads.flat(), [pads.length, 2])]);
}
export function slice(x: TfTensor, begin: readonly number[], size: readonly number[]): TfTensor {
  return runOp('Slice', [f32(), i32('Index')], [x, intConst(begin), intConst(size)]);
}
/** `n` equal parts along `axis` (one kernel, n outputs). */
export function split(x: TfTensor, n: number, axis: number): TfTensor[] {
  return runOpN('Split', [f32(), intAttr('num_split', n)], [intConst([axis], []), x], n);
}
/** Join along `axis`; one tensor comes back as a handle copy (no kernel: ConcatV2 needs two or more). */
export function concat(xs: TfTensor[], axis: number): TfTensor {
  if (xs.length === 1) return tf().clone(xs[0]!);
  return runOp('ConcatV2', [f32(), i32('Tidx'), intAttr('N', xs.length)], [...xs, intConst([axis], [])]);
}
export function mul(a: TfTensor, b: TfTensor): TfTensor {
  return runOp('Mul', [f32()], [a, b]);
}

// --------------------------------------------------------- convolutions
/** A sliding window over H and W: stride, dilation, and padding [top, bottom, left, right]. */
export interface Window {
  stride: readonly [number, number];
  dilation: readonly [number, number];
  pads: readonly [number, number, number, number];
}

function windowAttrs(w: Window, dilations: boolean): OpAttr[] {
  const [t, b, l, r] = w.pads;
  const explicit = t !== 0 || b !== 0 || l !== 0 || r !== 0;
  const a: OpAttr[] = [
    f32(),
    intAttr('strides', [1, w.stride[0], w.stride[1], 1]),
    stringAttr('padding', explicit ? 'EXPLICIT' : 'VALID'),
    stringAttr('data_format', 'NHWC'),
  ];
  if (dilations) a.push(intAttr('dilations', [1, w.dilation[0], w.dilation[1], 1]));
  if (explicit) a.push(intAttr('explicit_paddings', [0, 0, t, b, l, r, 0, 0]));
  return a;
}
const convAttrs = (w: Window) => [...windowAttrs(w, true), boolAttr('use_cudnn_on_gpu', true)];

/** Conv2D: x [N, H, W, C], filter [kH, kW, C / groups, O] (TF runs groups natively when C / groups < C). */
export function conv2d(x: TfTensor, filter: TfTensor, w: Window): TfTensor {
  return runOp('Conv2D', convAttrs(w), [x, filter]);
}
/**
 * oneDNN's fused convolution, `_MklNativeFusedConv2D`: Conv2D + BiasAdd (+
 * Relu) in one kernel, the bias and ReLU applied as the convolution writes
 * its output. It is what TensorFlow's graph rewrite gives Keras's compiled
 * steps when oneDNN is on; eager execution runs it only by name, with the
 * kernel label it is registered under. Its numbers are Conv2D's + BiasAdd's +
 * Relu's, bit for bit (tests). TensorFlow's own `_FusedConv2D` (Eigen) was
 * slower than Conv2D + DuetBiasAddRelu on the Keras CNN's first conv and is
 * not used. Its `TArgs: list(type)` attribute needs the binding patch of
 * scripts/patches/tfjs-node-type-list-attr.mjs, so the first call probes once
 * and `conv2d` keeps Conv2D + DuetBiasAddRelu when it cannot run. At
 * [64, 28, 28, 1] x [3, 3, 1, 32] it took ~0.5 ms against ~1.0 ms, at
 * [64, 13, 13, 32] x [3, 3, 32, 64] ~1.05 against ~1.25 ms (bench/README.md).
 */
const fusedConvAttrCache = new Map<string, OpAttr[]>();
function fusedConvAttrs(w: Window, relu: boolean): OpAttr[] {
  const key = `${w.stride}|${w.dilation}|${w.pads}|${relu}`;
  let a = fusedConvAttrCache.get(key);
  if (a === undefined) {
    const [t, b, l, r] = w.pads;
    const explicit = t !== 0 || b !== 0 || l !== 0 || r !== 0;
    a = [
      f32(), typeAttr('TArgs', ['float32']), intAttr('num_args', 1), intAttr('num_host_args', 0),
      intAttr('strides', [1, w.stride[0], w.stride[1], 1]), stringAttr('padding', explicit ? 'EXPLICIT' : 'VALID'),
      intAttr('explicit_paddings', explicit ? [0, 0, t, b, l, r, 0, 0] : []), stringAttr('data_format', 'NHWC'), stringAttr('filter_format', 'HWIO'),
      intAttr('dilations', [1, w.dilation[0], w.dilation[1], 1]), boolAttr('use_cudnn_on_gpu', true),
      stringAttr('fused_ops', relu ? ['BiasAdd', 'Relu'] : ['BiasAdd']), floatAttr('epsilon', 0.0001), floatAttr('leakyrelu_alpha', 0.2),
      stringAttr('_kernel', 'MklNameChangeOp'),
    ];
    fusedConvAttrCache.set(key, a);
  }
  return a;
}
const fusedConvPath = probedPath(() => {
  if (oneDnnEnabled() !== true) return false;
  const t = tf();
  const x = t.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const w = t.tensor4d([1, -1], [1, 1, 1, 2]);
  const b = t.tensor1d([0.5, 2]);
  const y = runOp('_MklNativeFusedConv2D', fusedConvAttrs({ stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0] }, true), [x, w, b]);
  // relu(x + 0.5) and relu(2 - x) per pixel: checks the bias and the Relu ran.
  return Array.from(y.dataSync()).join() === '1.5,1,2.5,0,3.5,0,4.5,0';
});
/** Whether TensorFlow runs oneDNN's fused convolution here (oneDNN on, the binding passes list(type) attributes, the probe's numbers right); probed once per process. */
export function fusedConvSupported(): boolean {
  return fusedConvPath.supported();
}
/** Use oneDNN's fused convolution for a dense conv with a bias where TensorFlow has it (the default); false forces Conv2D + bias (+ ReLU) kernels. Returns whether it is used now. */
export function useFusedConv(enabled?: boolean): boolean {
  return fusedConvPath.use(enabled);
}
/** Conv2D + BiasAdd (+ Relu) as one oneDNN kernel (check `useFusedConv()` first). */
export function fusedConv2d(x: TfTensor, filter: TfTensor, bias: TfTensor, w: Window, relu: boolean): TfTensor {
  return runOp('_MklNativeFusedConv2D', fusedConvAttrs(w, relu), [x, filter, bias]);
}
/** Gradient of Conv2D w.r.t. its input (no groups, no dilation on the CPU). Also the forward of a transposed conv. */
export function conv2dBackpropInput(inShape: readonly number[], filter: TfTensor, dy: TfTensor, w: Window): TfTensor {
  return runOp('Conv2DBackpropInput', convAttrs(w), [intConst(inShape), filter, dy]);
}
/**
 * Gradient of Conv2D w.r.t. its filter (no groups, no dilation on the CPU).
 * With one input channel (a grayscale image's first conv), Duet's
 * DuetConv2DBackpropFilterC1 (native/ops/conv_c1.cc) when it is loaded:
 * the same sums in another order (0.64-0.79 of Conv2DBackpropFilter's time on
 * the Keras CNN's first conv, `pnpm bench cnn_kernels`).
 */
export function conv2dBackpropFilter(x: TfTensor, filterShape: readonly number[], dy: TfTensor, w: Window): TfTensor {
  if (filterShape[2] === 1 && w.dilation[0] === 1 && w.dilation[1] === 1 && useOneChannelConv()) {
    return runOp('DuetConv2DBackpropFilterC1', windowAttrs(w, true), [x, intConst(filterShape), dy]);
  }
  return runOp('Conv2DBackpropFilter', convAttrs(w), [x, intConst(filterShape), dy]);
}
/**
 * Conv2D + BiasAdd (+ Relu) of an input with one channel as Duet's one
 * DuetConv2DC1 (native/ops/conv_c1.cc; check `useOneChannelConv()` and no
 * dilation first): the same values to float rounding.
 */
export function conv2dC1(x: TfTensor, filter: TfTensor, bias: TfTensor, w: Window, relu: boolean): TfTensor {
  return runOp('DuetConv2DC1', [...windowAttrs(w, true), boolAttr('relu', relu)], [x, filter, bias]);
}
let oneChannelOn = true;
/**
 * Run convolutions with one input channel (a grayscale image's first conv)
 * on Duet's DuetConv2DC1 (with a bias) and DuetConv2DBackpropFilterC1 (the
 * default when Duet's kernels are loaded); `useOneChannelConv(false)` keeps
 * TensorFlow's kernels (for comparisons and tests: the sums are formed in
 * another order). Returns whether they are used now.
 */
export function useOneChannelConv(enabled?: boolean): boolean {
  if (enabled !== undefined) oneChannelOn = enabled;
  return oneChannelOn && customKernel('DuetConv2DC1');
}
/** DepthwiseConv2dNative: filter [kH, kW, C, multiplier]; output channel c * multiplier + j (no dilation on the CPU). */
export function depthwise(x: TfTensor, filter: TfTensor, w: Window): TfTensor {
  return runOp('DepthwiseConv2dNative', windowAttrs(w, true), [x, filter]);
}
export function depthwiseBackpropInput(inShape: readonly number[], filter: TfTensor, dy: TfTensor, w: Window): TfTensor {
  return runOp('DepthwiseConv2dNativeBackpropInput', windowAttrs(w, true), [intConst(inShape), filter, dy]);
}
export function depthwiseBackpropFilter(x: TfTensor, filterShape: readonly number[], dy: TfTensor, w: Window): TfTensor {
  return runOp('DepthwiseConv2dNativeBackpropFilter', windowAttrs(w, true), [x, intConst(filterShape), dy]);
}
/** x + bias along the channel dim: the last one ('NHWC') or dim 1 ('NCHW', supported on the CPU). */
export function biasAdd(x: TfTensor, bias: TfTensor, format: 'NHWC' | 'NCHW' = 'NHWC'): TfTensor {
  return runOp('BiasAdd', [f32(), stringAttr('data_format', format)], [x, bias]);
}
/** Sum over every dim but the channel dim. */
export function biasAddGrad(dy: TfTensor, format: 'NHWC' | 'NCHW' = 'NHWC'): TfTensor {
  return runOp('BiasAddGrad', [f32(), stringAttr('data_format', format)], [dy]);
}
/**
 * Relu(x + bias) over the last dim: Duet's one-pass DuetBiasAddRelu
 * (native/ops/bias_relu.cc) when it is loaded, else BiasAdd and Relu.
 */
export function biasAddRelu(x: TfTensor, bias: TfTensor): TfTensor {
  if (customKernel('DuetBiasAddRelu')) return runOp('DuetBiasAddRelu', [], [x, bias]);
  const z = biasAdd(x, bias);
  const y = unaryKernel('Relu', z);
  z.dispose();
  return y;
}
/**
 * The gradients of `biasAddRelu` from its output `y` and output gradient
 * `dy`: [the input's, the bias's]. One DuetBiasAddReluGrad when loaded, else
 * ReluGrad and BiasAddGrad; the same numbers.
 */
export function biasAddReluGrad(dy: TfTensor, y: TfTensor): [TfTensor, TfTensor] {
  if (customKernel('DuetBiasAddReluGrad')) return runOpN('DuetBiasAddReluGrad', [], [dy, y], 2) as [TfTensor, TfTensor];
  const dz = binaryKernel('ReluGrad', dy, y);
  return [dz, biasAddGrad(dz)];
}

/**
 * A dilated filter as a dense one with zeros between the taps: [kH, kW, I, O] ->
 * [dH (kH - 1) + 1, dW (kW - 1) + 1, I, O], one ScatterNd. TF's CPU backprop
 * kernels reject dilation, but accept this equivalent filter.
 */
export function dilateFilter(filter: TfTensor, d: readonly [number, number]): TfTensor {
  const [kh, kw, i, o] = filter.shape as [number, number, number, number];
  const idx: number[] = [];
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) idx.push(a * d[0], b * d[1]);
  const indices = intConst(idx, [kh, kw, 2]);
  return runOp('ScatterNd', [f32(), i32('Tindices')], [indices, filter, intConst([d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1, i, o])]);
}
/** The taps of a dilated filter's gradient (inverse of `dilateFilter`): one StridedSlice. */
export function undilateFilter(g: TfTensor, d: readonly [number, number]): TfTensor {
  const attrs = [f32(), i32('Index'), ...['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'].map((n) => intAttr(n, 0))];
  return runOp('StridedSlice', attrs, [g, intConst([0, 0, 0, 0]), intConst(g.shape), intConst([d[0], d[1], 1, 1])]);
}

// ---------------------------------------------------------------- pooling
function poolAttrs(k: readonly [number, number], w: Window): OpAttr[] {
  return [...windowAttrs(w, false), intAttr('ksize', [1, k[0], k[1], 1])];
}
/**
 * MaxPool; explicit padding acts as -inf. Duet's DuetMaxPool (native/ops/max_pool.cc,
 * MaxPool's numbers) when it is loaded, else TensorFlow's MaxPool.
 */
export function maxPool(x: TfTensor, k: readonly [number, number], w: Window): TfTensor {
  return runOp(customKernel('DuetMaxPool') ? 'DuetMaxPool' : 'MaxPool', poolAttrs(k, w), [x]);
}
/**
 * The gradient goes to the first maximum of each window (row-major scan), as in PyTorch.
 * Duet's DuetMaxPoolGrad (native/ops/max_pool.cc: MaxPoolGrad's numbers, ~8x
 * faster) when it is loaded, else TensorFlow's MaxPoolGrad; `y` (MaxPool's
 * output) is only the stock kernel's input.
 */
export function maxPoolGrad(x: TfTensor, y: TfTensor, dy: TfTensor, k: readonly [number, number], w: Window): TfTensor {
  if (customKernel('DuetMaxPoolGrad')) return runOp('DuetMaxPoolGrad', poolAttrs(k, w), [x, dy]);
  return runOp('MaxPoolGrad', poolAttrs(k, w), [x, y, dy]);
}
/**
 * Duet's max pooling for training with the argmax kept (native/ops/max_pool.cc):
 * DuetMaxPoolArgmax gives MaxPool's output and, per output element, a byte
 * saying where MaxPoolGrad would send its gradient and whether that input is
 * > 0; DuetMaxPoolGradArgmax scatters the gradient through it, with `relu`
 * also through the ReLU that made the pooled input (ReluGrad's numbers), and
 * returns the sum of the result per channel (the gradient of that ReLU's
 * bias). Used when the pooled tensor is a conv + ReLU output (pool.ts,
 * conv.ts): one pass instead of MaxPoolGrad, ReluGrad and BiasAddGrad.
 * Windows of at most 126 positions.
 */
export function argmaxPooling(k: readonly [number, number]): boolean {
  return argmaxOn && k[0] * k[1] <= 126 && customKernel('DuetMaxPoolArgmax');
}
let argmaxOn = true;
/**
 * Run max pooling of a conv + ReLU output, in training, on Duet's argmax
 * kernels, its gradient through the ReLU and the bias in one pass (the
 * default when Duet's kernels are loaded); `useArgmaxPooling(false)` keeps
 * the separate kernels (for comparisons and tests). Returns whether it is used now.
 */
export function useArgmaxPooling(enabled?: boolean): boolean {
  if (enabled !== undefined) argmaxOn = enabled;
  return argmaxOn && customKernel('DuetMaxPoolArgmax');
}
/** DuetMaxPoolArgmax: [MaxPool's output, the uint8 argmax]. */
export function maxPoolArgmax(x: TfTensor, k: readonly [number, number], w: Window): [TfTensor, TfTensor] {
  return runOpN('DuetMaxPoolArgmax', poolAttrs(k, w), [x], 2) as [TfTensor, TfTensor];
}
/** DuetMaxPoolGradArgmax: [the pooled input's gradient (through the ReLU with `relu`), its sum per channel]. */
export function maxPoolGradArgmax(argmax: TfTensor, dy: TfTensor, inShape: readonly number[], k: readonly [number, number], w: Window, relu: boolean): [TfTensor, TfTensor] {
  return runOpN('DuetMaxPoolGradArgmax', [...poolAttrs(k, w), boolAttr('relu', relu)], [argmax, dy, intConst(inShape)], 2) as [TfTensor, TfTensor];
}

/**
 * oneDNN's max pooling with a workspace: TensorFlow's `_MklNativeMaxPool`
 * (the output and, per output element, the offset of its window's maximum)
 * and `_MklNativeMaxPoolGrad`, which scatters the gradient through those
 * offsets instead of searching every window again. These are the kernels
 * TensorFlow's graph rewrite gives Keras's compiled steps when oneDNN is on;
 * eager execution picks them only by name, with the kernel label they are
 * registered under. Forward numbers are MaxPool's; the gradient goes to the
 * first maximum of each window, as MaxPoolGrad's (a window holding a NaN
 * differs: TensorFlow's kernel sends it to the NaN, oneDNN's to the first
 * number; docs/design/custom-ops.md). At [64, 26, 26, 32] under a 2x2 window
 * the gradient took ~0.34 ms against DuetMaxPoolGrad's ~0.8 ms and
 * MaxPoolGrad's ~3 ms (bench/README.md).
 */
const mklPoolAttrs = new Map<string, OpAttr[]>();
function mklAttrs(k: readonly [number, number], s: readonly [number, number]): OpAttr[] {
  const key = `${k}|${s}`;
  let a = mklPoolAttrs.get(key);
  if (a === undefined) {
    a = [f32(), intAttr('ksize', [1, k[0], k[1], 1]), intAttr('strides', [1, s[0], s[1], 1]), stringAttr('padding', 'VALID'), stringAttr('data_format', 'NHWC'),
      boolAttr('workspace_enabled', true), stringAttr('_kernel', 'MklNameChangeOp')];
    mklPoolAttrs.set(key, a);
  }
  return a;
}
const poolingPath = probedPath(() => {
  if (oneDnnEnabled() !== true) return false;
  const t = tf();
  const x = t.tensor4d([1, 5, 2, 3], [1, 2, 2, 1]);
  const [y, ws] = runOpN('_MklNativeMaxPool', mklAttrs([2, 2], [2, 2]), [x], 2);
  const g = runOp('_MklNativeMaxPoolGrad', mklAttrs([2, 2], [2, 2]), [x, y!, t.tensor4d([7], [1, 1, 1, 1]), ws!]);
  return y!.dataSync()[0] === 5 && Array.from(g.dataSync()).join() === '0,7,0,0';
});
/** Whether this TensorFlow runs the workspace kernels (oneDNN on, and the probe's numbers are MaxPool's); probed once per process. */
export function oneDnnPoolingSupported(): boolean {
  return poolingPath.supported();
}
/**
 * Use oneDNN's workspace pooling for max pooling with gradients when
 * TensorFlow has it (the default); `useOneDnnPooling(false)` keeps Duet's /
 * TensorFlow's MaxPool kernels (for comparisons and tests). Returns whether it is used now.
 */
export function useOneDnnPooling(enabled?: boolean): boolean {
  return poolingPath.use(enabled);
}
/** True when a max pool with this window runs on oneDNN's workspace kernels (no padding: TensorFlow's 'VALID'). */
export function workspacePooling(w: Window): boolean {
  const [t, b, l, r] = w.pads;
  return t === 0 && b === 0 && l === 0 && r === 0 && useOneDnnPooling();
}
/** `_MklNativeMaxPool`: [output, workspace] (the workspace only feeds `maxPoolGradWorkspace`). */
export function maxPoolWorkspace(x: TfTensor, k: readonly [number, number], w: Window): [TfTensor, TfTensor] {
  return runOpN('_MklNativeMaxPool', mklAttrs(k, w.stride), [x], 2) as [TfTensor, TfTensor];
}
/** `_MklNativeMaxPoolGrad` from the forward's input, output and workspace. */
export function maxPoolGradWorkspace(x: TfTensor, y: TfTensor, dy: TfTensor, ws: TfTensor, k: readonly [number, number], w: Window): TfTensor {
  return runOp('_MklNativeMaxPoolGrad', mklAttrs(k, w.stride), [x, y, dy, ws]);
}

/** AvgPool without padding (TF's AvgPool has no explicit padding): divides by kH * kW. */
export function avgPool(x: TfTensor, k: readonly [number, number], w: Window): TfTensor {
  return runOp('AvgPool', poolAttrs(k, w), [x]);
}
export function avgPoolGrad(inShape: readonly number[], dy: TfTensor, k: readonly [number, number], w: Window): TfTensor {
  return runOp('AvgPoolGrad', poolAttrs(k, w), [intConst(inShape), dy]);
}

// ------------------------------------------------------------------- misc
export function mean(x: TfTensor, axes: readonly number[], keepDims: boolean): TfTensor {
  return runOp('Mean', [f32(), i32('Tidx'), boolAttr('keep_dims', keepDims)], [x, intConst(axes)]);
}
export function sum(x: TfTensor, axes: readonly number[], keepDims = false): TfTensor {
  return runOp('Sum', [f32(), i32('Tidx'), boolAttr('keep_dims', keepDims)], [x, intConst(axes)]);
}
export function broadcastTo(x: TfTensor, shape: readonly number[]): TfTensor {
  return runOp('BroadcastTo', [f32(), i32('Tidx')], [x, intConst(shape)]);
}
/** a @ b over the last two dims, batch dims broadcast (BatchMatMulV2). */
export function batchMatMul(a: TfTensor, b: TfTensor, adjA = false, adjB = false): TfTensor {
  return runOp('BatchMatMulV2', [f32(), boolAttr('adj_x', adjA), boolAttr('adj_y', adjB)], [a, b]);
}

/** Uniform [0, 1) float32 of `shape` from a counter-based (Philox) generator: the same seed gives the same values. */
export function statelessUniform(shape: readonly number[], seed: TfTensor): TfTensor {
  return runOp('StatelessRandomUniform', [typeAttr('dtype', 'float32'), i32('T'), i32('Tseed')], [intConst(shape), seed]);
}
export function greaterEqual(a: TfTensor, b: TfTensor): TfTensor {
  return runOp('GreaterEqual', [f32()], [a, b]);
}
/** cond ? a : b, broadcasting. */
export function select(cond: TfTensor, a: TfTensor, b: TfTensor): TfTensor {
  return runOp('SelectV2', [f32()], [cond, a, b]);
}
/** Rows `indices` of `params` (axis 0); an index out of range is an IndexError (engine.ts maps TF's error). */
export function gatherRows(params: TfTensor, indices: TfTensor): TfTensor {
  return runOp('GatherV2', [typeAttr('Tparams', params.dtype), i32('Tindices'), i32('Taxis'), intAttr('batch_dims', 0)], [params, indices, intConst([0], [])]);
}
/** Sum the slices of `data` into `n` rows by `ids` (a prefix of data's shape); negative ids are dropped. */
export function segmentSum(data: TfTensor, ids: TfTensor, n: number): TfTensor {
  return runOp('UnsortedSegmentSum', [f32(), i32('Tindices'), i32('Tnumsegments')], [data, ids, intConst([n], [])]);
}
