/**
 * Fused kernels for the hot path of training: fewer native kernels per step
 * is what makes Duet's speed (every kernel costs ~20 us of fixed overhead).
 *
 * - linear: one `_FusedMatMul` kernel (MatMul + BiasAdd (+ Relu), what
 *   TensorFlow's grappler fuses for Keras) forward for small MatMuls (see
 *   FUSED_MATMUL_MAX_MACS), no reshapes for 2-d input; backward: 2 MatMuls + 1 BiasAddGrad (+ 1 ReluGrad), as unfused.
 *   `_FusedMatMul` needs a list(string) attribute that tfjs-node's binding
 *   only passes once Duet's provisioning has patched it
 *   (scripts/patches/tfjs-node-string-list-attr.mjs), so the first linear
 *   probes the binding once and falls back to MatMul + BiasAdd (+ Relu)
 *   when it cannot (docs/design/performance.md).
 * - softmaxCrossEntropy: one `SparseSoftmaxCrossEntropyWithLogits` gives the
 *   per-example loss AND its gradient; + 1 reduction. Backward: 2 kernels.
 */
import { runKernel, runKernelN, typeAttr, boolAttr, intAttr, stringAttr, type OpAttr, tf, scalarConst, biasAdd, biasAddGrad, unaryKernel, binaryKernel, matMul2d, reduceKernel, reshapeKernel, type TfTensor } from '../../kernels/index.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../../errors.js';
import { isGradEnabled, record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { requireFloat, shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { probedPath } from '../../kernels/probe.js';


/** Does this binding run `_FusedMatMul` (it passes list(string) attributes)? Probed once per process. */
const fusedMatMulPath = probedPath(() => {
  const t = tf();
  const y = fusedMatMul(t.tensor2d([[1, 2]]), t.tensor2d([[3, 4]]), t.tensor1d([-20]), false, true, true);
  // relu(1*3 + 2*4 - 20) = relu(-9) = 0: checks that the Relu ran too.
  return y.shape.length === 2 && y.dataSync()[0] === 0;
});
export function fusedKernelsSupported(): boolean {
  return fusedMatMulPath.supported();
}

/**
 * Use TensorFlow's fused kernels in `linear` when the binding supports them
 * (the default); `useFusedKernels(false)` forces the unfused kernels (for
 * benchmarks and tests that compare the two). Returns whether they are used now.
 */
export function useFusedKernels(enabled?: boolean): boolean {
  return fusedMatMulPath.use(enabled);
}

/**
 * The largest MatMul (rows x in x out multiply-adds) that runs fused. TF's
 * `_FusedMatMul` is Eigen's kernel, while eager `MatMul` is oneDNN's when
 * TensorFlow turns oneDNN on: at 32x784x128 the fused kernel took 325-403 us
 * against 170-189 us for MatMul + BiasAdd (oneDNN off: equal). Below ~0.3M
 * multiply-adds the kernel saved (~20-35 us of fixed cost) wins: 32x128x10
 * ran in 16 us fused against 29-61 us unfused. bench/README.md, issue 8.
 */
export const FUSED_MATMUL_MAX_MACS = 2 ** 18;

const fusedAttrs = new Map<string, OpAttr[]>();
/** `_FusedMatMul`: MatMul(a, b) + bias (+ Relu), one kernel. */
function fusedMatMul(a: TfTensor, b: TfTensor, bias: TfTensor, transposeA: boolean, transposeB: boolean, relu: boolean): TfTensor {
  const key = `${transposeA}${transposeB}${relu}`;
  let attrs = fusedAttrs.get(key);
  if (attrs === undefined) {
    attrs = [
      typeAttr('T', 'float32'), boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB),
      intAttr('num_args', 1), stringAttr('fused_ops', relu ? ['BiasAdd', 'Relu'] : ['BiasAdd']),
    ];
    fusedAttrs.set(key, attrs);
  }
  return runKernel('_FusedMatMul', attrs, [a, b, bias]);
}

export interface LinearOptions {
  /** Fuse an activation into the same kernel. */
  activation?: 'none' | 'relu';
  /** 'out_in' = PyTorch's weight [out, in] (default); 'in_out' = Keras's kernel [in, out]. */
  weightLayout?: 'out_in' | 'in_out';
}

/** y = x W^T + b (PyTorch's F.linear), optionally with a fused relu. x: [..., in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: LinearOptions = {}): Tensor {
  requireFloat(x, 'linear');
  const keras = options.weightLayout === 'in_out';
  if (weight.ndim !== 2) throw new ShapeError(`linear: expected a 2-d weight, received ${shapeStr(weight.shape)}.`);
  const inF = keras ? weight.shape[0]! : weight.shape[1]!;
  const outF = keras ? weight.shape[1]! : weight.shape[0]!;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`linear: input's last dim must equal in_features = ${inF} (weight ${shapeStr(weight.shape)}), received input ${shapeStr(x.shape)}.`);
  }
  if (bias != null && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`linear: expected bias of shape [${outF}], received ${shapeStr(bias.shape)}.`);
  }
  const relu = options.activation === 'relu';
  const t = tf();
  const xv = x._v();
  const x2 = x.ndim === 2 ? xv : t.reshape(xv, [-1, inF]);
  const rows = x.numel() / inF;
  const fused = bias != null && rows * inF * outF <= FUSED_MATMUL_MAX_MACS && useFusedKernels();
  let y: TfTensor;
  if (fused) y = fusedMatMul(x2, weight._v(), bias._v(), false, !keras, relu);
  else {
    const mm = matMul2d(x2, weight._v(), false, !keras);
    // The bias and ReLU in one pass when Duet's kernel is loaded (the conv's path too: kernels/nn.ts).
    y = bias == null ? (relu ? unaryKernel('Relu', mm) : mm) : relu ? K.biasAddRelu(mm, bias._v()) : biasAdd(mm, bias._v());
    if (y !== mm) mm.dispose();
  }
  if (x2 !== xv) x2.dispose();
  if (x.ndim !== 2) {
    const r = t.reshape(y, [...x.shape.slice(0, -1), outF]);
    y.dispose();
    y = r;
  }
  const out = new Tensor(y);
  const inputs = bias != null ? [x, weight, bias] : [x, weight];
  return record(out, relu ? 'LinearReluBackward' : 'LinearBackward', inputs, (g) => {
    const flat = x.ndim === 2;
    // ReLU's and the bias's gradients in one pass when Duet's kernel is loaded (kernels/nn.ts; any rank [..., out]).
    const [g0, gbRelu] = relu && bias != null && bias.requiresGrad ? K.biasAddReluGrad(g, out._v()) : [relu ? binaryKernel('ReluGrad', g, out._v()) : g, null];
    const g2 = flat ? g0 : reshapeKernel(g0, [-1, outF]);
    const xs = flat ? x._v() : reshapeKernel(x._v(), [-1, inF]);
    const gx2 = x.requiresGrad ? matMul2d(g2, weight._v(), false, keras) : null;
    const gx = gx2 === null || flat ? gx2 : reshapeKernel(gx2, x.shape);
    const gw = weight.requiresGrad ? (keras ? matMul2d(xs, g2, true, false) : matMul2d(g2, xs, true, false)) : null;
    const gb = gbRelu ?? (bias != null && bias.requiresGrad ? biasAddGrad(g2) : null);
    return bias != null ? [gx, gw, gb] : [gx, gw];
  });
}

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy of raw logits [N, C] against int32 class indices [N] in one
 * TF kernel (`SparseSoftmaxCrossEntropyWithLogits`), the fast path behind
 * `nn.CrossEntropyLoss` and Keras's `sparse_categorical_crossentropy`.
 */
export function softmaxCrossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  requireFloat(logits, 'softmaxCrossEntropy');
  if (target.dtype !== 'int32') throw new DTypeError(`softmaxCrossEntropy: expected int32 class indices as target, received ${target.dtype}.`);
  if (logits.ndim !== 2 || target.ndim !== 1 || target.shape[0] !== logits.shape[0]) {
    throw new ShapeError(`softmaxCrossEntropy: expected logits [N, C] and target [N], received logits ${shapeStr(logits.shape)} and target ${shapeStr(target.shape)}.`);
  }
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new ArgumentError(`reduction must be 'mean', 'sum' or 'none', received '${reduction}'.`);
  let outs: TfTensor[];
  try {
    outs = runKernelN('SparseSoftmaxCrossEntropyWithLogits', [typeAttr('T', 'float32'), typeAttr('Tlabels', 'int32')], [logits._v(), target._v()], 2);
  } catch (e) {
    if (!(e instanceof IndexError)) throw e;
    // TF: "Received a label value of 10 which is outside the valid range of [0, 10)."
    const value = /label value of (-?\d+)/.exec(e.message)?.[1];
    throw new IndexError(`softmaxCrossEntropy: target values must be class indices in [0, ${logits.shape[1]! - 1}] (logits ${shapeStr(logits.shape)}), received ${value ?? 'one outside that range'}.`, { cause: e });
  }
  const [lossVec, backprop] = outs as [TfTensor, TfTensor];
  const n = logits.shape[0]!;
  let out: Tensor;
  if (reduction === 'none') out = new Tensor(lossVec);
  else {
    out = new Tensor(reduceKernel(reduction === 'mean' ? 'Mean' : 'Sum', lossVec, [0]));
    lossVec.dispose();
  }
  if (!logits.requiresGrad || !isGradEnabled()) {
    backprop.dispose();
    return out;
  }
  return record(out, 'CrossEntropyBackward', [logits], (g) => {
    const t = tf();
    if (reduction === 'none') return [binaryKernel('Mul', backprop, t.reshape(g, [n, 1]))];
    const scale = reduction === 'mean' ? binaryKernel('RealDiv', g, scalarConst(n, 'float32')) : g;
    return [binaryKernel('Mul', backprop, scale)];
  }, [backprop]);
}
