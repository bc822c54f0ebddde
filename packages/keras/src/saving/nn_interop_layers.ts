/**
 * Weights between the two front ends for convolutions, batch
 * normalization, embeddings and recurrent layers (the Dense <-> Linear pair
 * is in nn_interop.ts). Each pair copies the weights with the layout change
 * and checks the shapes; after it, both layers compute the same outputs
 * (the Keras one channels-last, the nn one in its `dataFormat`).
 *
 * - Conv1D / Conv2D kernel `[...k, in / groups, out]` <-> nn.Conv1d / Conv2d
 *   weight `[out, in / groups, ...k]` (channels-first; a channels-last nn
 *   convolution already keeps Keras's layout). Biases are the same.
 * - DepthwiseConv2D kernel `[kh, kw, C, M]` <-> nn.Conv2d(C, C * M, k,
 *   { groups: C }) weight `[C * M, 1, kh, kw]` (output channel `c * M + m`
 *   in both).
 * - BatchNormalization gamma, beta, moving_mean, moving_variance <->
 *   BatchNorm weight, bias, running_mean, running_var. The epsilons must be
 *   equal (Keras 1e-3, PyTorch 1e-5 by default), as they change the
 *   outputs. The momenta are not checked (they only matter in training):
 *   Keras's `momentum` m is PyTorch's `1 - m`, and PyTorch updates the
 *   running variance with the unbiased batch variance (nn's
 *   `unbiasedRunningVar: false` does as Keras).
 * - Embedding embeddings `[inputDim, outputDim]` = nn.Embedding weight.
 * - LSTM: both use the gates i, f, c(g), o in that order, so the kernels
 *   are transposed; Keras's one bias becomes `bias_ih` (with `bias_hh` 0),
 *   and back it is `bias_ih + bias_hh`.
 * - GRU: Keras orders the gates z, r, h and PyTorch r, z, n; with Keras's
 *   `resetAfter: true` (its default) the formulas are the same (r multiplies
 *   `h U_h + b'_h`), Keras's bias `[2, 3u]` being PyTorch's `bias_ih` and
 *   `bias_hh`. `resetAfter: false` (r applied to h before the matmul) has
 *   no PyTorch counterpart and is refused.
 */
import { cat, noGrad, scope, zeros, type Tensor } from '@duet/core';
import type { nn } from '@duet/nn';
import { sigmoid, tanh } from '../activations/activations.js';
import { KerasValueError } from '../errors.js';
import type { Conv1D } from '../layers/convolutional/conv1d.js';
import type { Conv2D } from '../layers/convolutional/conv2d.js';
import type { DepthwiseConv2D } from '../layers/convolutional/depthwise_conv2d.js';
import type { Embedding } from '../layers/core/embedding.js';
import type { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import type { GRU } from '../layers/rnn/gru.js';
import type { LSTM } from '../layers/rnn/lstm.js';
import type { Layer } from '../layers/layer.js';

function shape(t: { shape: readonly number[] }): string {
  return `[${t.shape.join(', ')}]`;
}

function built(layer: Layer, what: string): void {
  if (layer.weights.length === 0) throw new KerasValueError(`${what}: ${layer.constructor.name} layer "${layer.name}" has no weights yet: call it on data, or layer.maybeBuild(inputShape).`);
}

function sameShape(what: string, kerasSide: string, expected: readonly number[], nnSide: string, received: Tensor): void {
  if (expected.length !== received.shape.length || expected.some((d, i) => d !== received.shape[i])) {
    throw new KerasValueError(`${what}: ${kerasSide} needs ${nnSide} of shape [${expected.join(', ')}]; received ${shape(received)}.`);
  }
}

function sameBias(what: string, kerasBias: boolean, nnBias: boolean): void {
  if (kerasBias !== nnBias) throw new KerasValueError(`${what}: one layer has a bias and the other has none (Keras useBias=${kerasBias}, nn bias=${nnBias}).`);
}

/** Copy `source` into `target` in place, without autograd; frees `source` if `owned`. */
function put(target: Tensor, source: Tensor, owned: boolean): void {
  noGrad(() => target.copy_(source));
  if (owned) source.dispose();
}

// ------------------------------------------------------------ convolution
type KerasConv = Conv1D | Conv2D;
type NnConv = nn.Conv1d | nn.Conv2d;

/** Keras kernel `[...k, in, out]` -> the nn weight's layout (channels-first `[out, in, ...k]`, or the same for channels-last). */
function kernelToNn(kernel: Tensor, channelsLast: boolean): Tensor {
  if (channelsLast) return kernel.clone();
  const r = kernel.ndim - 2;
  return kernel.permute([r + 1, r, ...Array.from({ length: r }, (_, i) => i)]).contiguous();
}

function weightToKeras(weight: Tensor, channelsLast: boolean): Tensor {
  if (channelsLast) return weight.clone();
  const r = weight.ndim - 2;
  return weight.permute([...Array.from({ length: r }, (_, i) => i + 2), 1, 0]).contiguous();
}

function checkConv(what: string, conv: KerasConv, module: NnConv): void {
  built(conv, what);
  const k = conv.kernel.shape;
  const last = module.dataFormat === 'channelsLast';
  const r = k.length - 2;
  const expected = last ? [...k] : [k[r + 1]!, k[r]!, ...k.slice(0, r)];
  sameShape(what, `${conv.constructor.name} "${conv.name}" with kernel ${shape(conv.kernel)}`, expected, `an nn ${module.constructor.name} weight`, module.weight);
  if (module.groups !== conv.groups) throw new KerasValueError(`${what}: groups differ (Keras ${conv.groups}, nn ${module.groups}).`);
  sameBias(what, conv.bias !== null, module.bias !== null);
}

/** Set an nn.Conv1d / nn.Conv2d's weight from a Keras Conv1D / Conv2D kernel (`[...k, in, out]` -> `[out, in, ...k]`) and copy the bias. */
export function convToNn(conv: KerasConv, module: NnConv): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkConv('convToNn', conv, module);
    put(module.weight, kernelToNn(conv.kernel, module.dataFormat === 'channelsLast'), true);
    if (conv.bias !== null) put(module.bias!, conv.bias, false);
  });
}

/** Set a Keras Conv1D / Conv2D's kernel from an nn.Conv1d / nn.Conv2d's weight (`[out, in, ...k]` -> `[...k, in, out]`) and copy the bias. */
export function nnToConv(module: NnConv, conv: KerasConv): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkConv('nnToConv', conv, module);
    put(conv.kernel, weightToKeras(module.weight, module.dataFormat === 'channelsLast'), true);
    if (module.bias !== null) put(conv.bias!, module.bias, false);
  });
}

function checkDepthwise(what: string, layer: DepthwiseConv2D, module: nn.Conv2d): void {
  built(layer, what);
  const [kh, kw, c, m] = layer.kernel.shape as [number, number, number, number];
  if (module.groups !== c || module.inChannels !== c || module.outChannels !== c * m) {
    throw new KerasValueError(`${what}: DepthwiseConv2D "${layer.name}" with kernel [${kh}, ${kw}, ${c}, ${m}] needs nn.Conv2d(${c}, ${c * m}, [${kh}, ${kw}], { groups: ${c} }); received nn.Conv2d(${module.inChannels}, ${module.outChannels}, [${module.kernelSize.join(', ')}], { groups: ${module.groups} }).`);
  }
  const expected = module.dataFormat === 'channelsLast' ? [kh, kw, 1, c * m] : [c * m, 1, kh, kw];
  sameShape(what, `DepthwiseConv2D "${layer.name}"`, expected, 'an nn.Conv2d weight', module.weight);
  sameBias(what, layer.bias !== null, module.bias !== null);
}

/** Set a grouped nn.Conv2d(C, C * M, k, { groups: C })'s weight from a Keras DepthwiseConv2D kernel `[kh, kw, C, M]`, and the bias. */
export function depthwiseToNn(layer: DepthwiseConv2D, module: nn.Conv2d): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkDepthwise('depthwiseToNn', layer, module);
    const [kh, kw, c, m] = layer.kernel.shape as [number, number, number, number];
    noGrad(() => {
      const flat = layer.kernel.reshape([kh, kw, 1, c * m]); // channel c * M + m, as both number them
      put(module.weight, kernelToNn(flat, module.dataFormat === 'channelsLast'), true);
      flat.dispose();
    });
    if (layer.bias !== null) put(module.bias!, layer.bias, false);
  });
}

/** Set a Keras DepthwiseConv2D's kernel `[kh, kw, C, M]` from a grouped nn.Conv2d(C, C * M, k, { groups: C }), and the bias. */
export function nnToDepthwise(module: nn.Conv2d, layer: DepthwiseConv2D): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkDepthwise('nnToDepthwise', layer, module);
    noGrad(() => {
      const k = weightToKeras(module.weight, module.dataFormat === 'channelsLast'); // [kh, kw, 1, C * M]
      put(layer.kernel, k.reshape([...layer.kernel.shape]), true);
      k.dispose();
    });
    if (module.bias !== null) put(layer.bias!, module.bias, false);
  });
}

// ------------------------------------------------------ batch normalization
function checkBatchNorm(what: string, layer: BatchNormalization, module: nn.BatchNorm1d | nn.BatchNorm2d): void {
  built(layer, what);
  const c = layer.movingMean.shape[0]!;
  if (module.numFeatures !== c) throw new KerasValueError(`${what}: BatchNormalization "${layer.name}" has ${c} channels; received an nn BatchNorm of ${module.numFeatures} features.`);
  if (!module.trackRunningStats) throw new KerasValueError(`${what}: the nn BatchNorm must keep running statistics (trackRunningStats: true), as Keras's moving statistics.`);
  if (Math.abs(module.eps - layer.epsilon) > 1e-12 * Math.max(module.eps, layer.epsilon)) {
    throw new KerasValueError(`${what}: the epsilons differ (Keras ${layer.epsilon}, nn ${module.eps}) and would change the outputs: build nn.${module.constructor.name}(${c}, { eps: ${layer.epsilon} }) or BatchNormalization({ epsilon: ${module.eps} }).`);
  }
  const kerasAffine = [layer.gamma !== null, layer.beta !== null];
  const nnAffine = [module.weight !== null, module.bias !== null];
  if (kerasAffine[0] !== nnAffine[0] || kerasAffine[1] !== nnAffine[1]) {
    throw new KerasValueError(`${what}: the learned scale/offset differ (Keras scale=${kerasAffine[0]} center=${kerasAffine[1]}, nn weight=${nnAffine[0]} bias=${nnAffine[1]}).`);
  }
}

/** Copy gamma, beta, moving mean and variance into an nn BatchNorm's weight, bias, running_mean, running_var (epsilons must match). */
export function batchNormToNn(layer: BatchNormalization, module: nn.BatchNorm1d | nn.BatchNorm2d): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkBatchNorm('batchNormToNn', layer, module);
    if (layer.gamma !== null) put(module.weight!, layer.gamma, false);
    if (layer.beta !== null) put(module.bias!, layer.beta, false);
    put(module.runningMean!, layer.movingMean, false);
    put(module.runningVar!, layer.movingVariance, false);
  });
}

/** Copy an nn BatchNorm's weight, bias, running_mean, running_var into gamma, beta, moving mean and variance (epsilons must match). */
export function nnToBatchNorm(module: nn.BatchNorm1d | nn.BatchNorm2d, layer: BatchNormalization): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkBatchNorm('nnToBatchNorm', layer, module);
    if (module.weight !== null) put(layer.gamma!, module.weight, false);
    if (module.bias !== null) put(layer.beta!, module.bias, false);
    put(layer.movingMean, module.runningMean!, false);
    put(layer.movingVariance, module.runningVar!, false);
  });
}

// ---------------------------------------------------------------- embedding
function checkEmbedding(what: string, layer: Embedding, module: nn.Embedding): void {
  built(layer, what);
  sameShape(what, `Embedding "${layer.name}" (${layer.inputDim} x ${layer.outputDim})`, [layer.inputDim, layer.outputDim], 'an nn.Embedding weight', module.weight);
}

/** Copy the embeddings table `[inputDim, outputDim]` into an nn.Embedding (same layout). `maskZero` and `paddingIdx` are not carried: set them yourself. */
export function embeddingToNn(layer: Embedding, module: nn.Embedding): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkEmbedding('embeddingToNn', layer, module);
    put(module.weight, layer.embeddings!, false);
  });
}

/** Copy an nn.Embedding's table into a Keras Embedding. */
export function nnToEmbedding(module: nn.Embedding, layer: Embedding): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkEmbedding('nnToEmbedding', layer, module);
    put(layer.embeddings!, module.weight, false);
  });
}

// ---------------------------------------------------------------- recurrent
function checkRecurrent(what: string, layer: LSTM | GRU, module: nn.LSTM | nn.GRU, gates: number): Tensor[] {
  built(layer, what);
  const name = `${layer.constructor.name} "${layer.name}"`;
  if (module.numLayers !== 1 || module.bidirectional) {
    throw new KerasValueError(`${what}: ${name} is one unidirectional layer; received an nn.${module.constructor.name} with numLayers=${module.numLayers}, bidirectional=${module.bidirectional} (convert each layer and direction separately; for Bidirectional, its forwardLayer and backwardLayer).`);
  }
  if (layer.activation !== tanh || layer.recurrentActivation !== sigmoid) {
    throw new KerasValueError(`${what}: ${name} must use activation 'tanh' and recurrentActivation 'sigmoid', as nn.${module.constructor.name} does.`);
  }
  const [inF, g] = layer.kernel.shape as [number, number];
  if (g !== gates * layer.units || module.hiddenSize !== layer.units || module.inputSize !== inF) {
    throw new KerasValueError(`${what}: ${name} has ${inF} input features and ${layer.units} units, which needs nn.${module.constructor.name}(${inF}, ${layer.units}); received nn.${module.constructor.name}(${module.inputSize}, ${module.hiddenSize}).`);
  }
  sameBias(what, layer.bias !== null, module.bias);
  return module.allWeights[0]!;
}

/** Columns `[a | b | c]` (each `u` wide) reordered to `[b | a | c]`: Keras's GRU z, r, h <-> PyTorch's r, z, n (the swap is its own inverse). */
function swapFirstTwo(t: Tensor, u: number, axis: number): Tensor {
  const parts = [t.narrow(axis, u, u), t.narrow(axis, 0, u), t.narrow(axis, 2 * u, u)];
  const out = cat(parts, axis);
  for (const p of parts) p.dispose();
  return out;
}

/** Set an nn.LSTM (one layer, one direction) from a Keras LSTM: kernels transposed (same gate order i, f, c, o), `bias_ih` = bias, `bias_hh` = 0. */
export function lstmToNn(layer: LSTM, module: nn.LSTM): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    const [wIh, wHh, bIh, bHh] = checkRecurrent('lstmToNn', layer, module, 4);
    noGrad(() => {
      put(wIh!, layer.kernel.t(), true);
      put(wHh!, layer.recurrentKernel.t(), true);
      if (layer.bias !== null) {
        put(bIh!, layer.bias, false);
        put(bHh!, zeros([...bHh!.shape]), true);
      }
    });
  });
}

/** Set a Keras LSTM from an nn.LSTM (one layer, one direction): kernels transposed, bias = `bias_ih + bias_hh`. */
export function nnToLstm(module: nn.LSTM, layer: LSTM): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    const [wIh, wHh, bIh, bHh] = checkRecurrent('nnToLstm', layer, module, 4);
    noGrad(() => {
      put(layer.kernel, wIh!.t(), true);
      put(layer.recurrentKernel, wHh!.t(), true);
      if (layer.bias !== null) put(layer.bias, bIh!.add(bHh!), true);
    });
  });
}

function checkGru(what: string, layer: GRU): void {
  if (!layer.resetAfter) {
    throw new KerasValueError(`${what}: GRU "${layer.name}" has resetAfter=false (the reset gate applied to h before the recurrent matmul), which PyTorch's GRU cannot express; use resetAfter: true (Keras's default).`);
  }
}

/** Set an nn.GRU (one layer, one direction) from a Keras GRU with `resetAfter: true`: gates z, r, h -> r, z, n, kernels transposed, bias `[2, 3u]` -> `bias_ih`, `bias_hh`. */
export function gruToNn(layer: GRU, module: nn.GRU): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkGru('gruToNn', layer);
    const [wIh, wHh, bIh, bHh] = checkRecurrent('gruToNn', layer, module, 3);
    const u = layer.units;
    noGrad(() => {
      for (const [target, source] of [[wIh!, layer.kernel], [wHh!, layer.recurrentKernel]] as const) {
        const s = swapFirstTwo(source, u, 1);
        put(target, s.t(), true);
        s.dispose();
      }
      if (layer.bias !== null) {
        const b = swapFirstTwo(layer.bias, u, 1); // [2, 3u]
        const [bi, bh] = [b.select(0, 0), b.select(0, 1)];
        put(bIh!, bi, true);
        put(bHh!, bh, true);
        b.dispose();
      }
    });
  });
}

/** Set a Keras GRU (`resetAfter: true`) from an nn.GRU (one layer, one direction): gates r, z, n -> z, r, h, kernels transposed, `bias_ih`, `bias_hh` -> bias `[2, 3u]`. */
export function nnToGru(module: nn.GRU, layer: GRU): void {
  // One scope: the layout copies made on the way are freed, whatever the path.
  scope(() => {
    checkGru('nnToGru', layer);
    const [wIh, wHh, bIh, bHh] = checkRecurrent('nnToGru', layer, module, 3);
    const u = layer.units;
    noGrad(() => {
      for (const [target, source] of [[layer.kernel, wIh!], [layer.recurrentKernel, wHh!]] as const) {
        const t = source.t();
        put(target, swapFirstTwo(t, u, 1), true);
        t.dispose();
      }
      if (layer.bias !== null) {
        const parts = [bIh!.unsqueeze(0), bHh!.unsqueeze(0)];
        const b = cat(parts, 0);
        put(layer.bias, swapFirstTwo(b, u, 1), true);
        for (const p of [...parts, b]) p.dispose();
      }
    });
  });
}
