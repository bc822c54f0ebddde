import { describe, expect, it } from 'vitest';
import { manualSeed, memory, noGrad, rand, randn, type Tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '../index.js';
import {
  batchNormToNn, convToNn, depthwiseToNn, embeddingToNn, gruToNn, lstmToNn,
  nnToBatchNorm, nnToConv, nnToDepthwise, nnToEmbedding, nnToGru, nnToLstm,
} from './nn_interop_layers.js';
import { expectClose } from '../../../../test/helpers.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };

/**
 * Run `convert` twice, checking the second run leaves no native tensor
 * behind (the first may create core's one-time caches, e.g. for the first
 * `select` of a tensor; a leak would show on every run).
 */
function leakFree(convert: () => void): void {
  convert();
  const before = memory().numTensors;
  convert();
  expect(memory().numTensors).toBe(before);
}

/** NHWC / NLC <-> NCHW / NCL. */
const toFirst = (x: Tensor): Tensor => (x.ndim === 4 ? x.permute([0, 3, 1, 2]) : x.permute([0, 2, 1]));
const toLast = (x: Tensor): Tensor => (x.ndim === 4 ? x.permute([0, 2, 3, 1]) : x.permute([0, 2, 1]));

function randomize(layer: keras.layers.Layer): void {
  layer.setWeights(layer.getWeights().map((w) => randn([...w.shape])));
}

function nnForward(m: nn.Module, x: Tensor): Tensor {
  return noGrad(() => (m as unknown as { forward(x: Tensor): Tensor }).forward(x));
}

describe('Conv1D / Conv2D <-> nn.Conv1d / nn.Conv2d', () => {
  const cases = [
    { name: 'Conv2D 3x3 same', keras: () => new keras.layers.Conv2D(5, 3, { padding: 'same', biasInitializer: 'random_normal' }), nn: () => new nn.Conv2d(4, 5, 3, { padding: 'same' }), x: () => randn([2, 7, 6, 4]) },
    { name: 'Conv2D 2x3 valid, stride 2, groups 2, no bias', keras: () => new keras.layers.Conv2D(6, [2, 3], { strides: 2, groups: 2, useBias: false }), nn: () => new nn.Conv2d(4, 6, [2, 3], { stride: 2, groups: 2, bias: false }), x: () => randn([2, 8, 9, 4]) },
    { name: 'Conv2D into a channels-last nn.Conv2d', keras: () => new keras.layers.Conv2D(3, 3, { biasInitializer: 'random_normal' }), nn: () => new nn.Conv2d(4, 3, 3, { dataFormat: 'channelsLast' }), x: () => randn([2, 6, 6, 4]), last: true },
    { name: 'Conv1D k=5 dilation 2', keras: () => new keras.layers.Conv1D(3, 5, { dilationRate: 2, biasInitializer: 'random_normal' }), nn: () => new nn.Conv1d(4, 3, 5, { dilation: 2 }), x: () => randn([3, 20, 4]) },
  ];
  for (const c of cases) {
    it(`${c.name}: equal outputs after the copy, both ways`, () => {
      manualSeed(1);
      const x = c.x();
      const xin = c.last ? x : toFirst(x);
      const conv = c.keras();
      conv.maybeBuild([null, ...x.shape.slice(1)]);
      const m = c.nn();
      leakFree(() => convToNn(conv, m));
      const nnOut = nnForward(m, xin);
      expectClose(c.last ? nnOut : toLast(nnOut), conv.apply(x), TOL);

      const m2 = c.nn();
      const conv2 = c.keras();
      conv2.maybeBuild([null, ...x.shape.slice(1)]);
      leakFree(() => nnToConv(m2, conv2));
      const nnOut2 = nnForward(m2, xin);
      expectClose(conv2.apply(x), c.last ? nnOut2 : toLast(nnOut2), TOL);
    });
  }

  it('says what shape is needed', () => {
    const conv = new keras.layers.Conv2D(5, 3);
    expect(() => convToNn(conv, new nn.Conv2d(4, 5, 3))).toThrow(/no weights yet/);
    conv.maybeBuild([null, 8, 8, 4]);
    expect(() => convToNn(conv, new nn.Conv2d(5, 4, 3))).toThrow(/kernel \[3, 3, 4, 5\] needs an nn Conv2d weight of shape \[5, 4, 3, 3\]; received \[4, 5, 3, 3\]/);
    expect(() => convToNn(conv, new nn.Conv2d(4, 5, 3, { bias: false }))).toThrow(/bias/);
  });
});

describe('DepthwiseConv2D <-> grouped nn.Conv2d', () => {
  it('kernel [kh, kw, C, M] <-> weight [C * M, 1, kh, kw]: equal outputs, both ways', () => {
    manualSeed(2);
    const x = randn([2, 7, 7, 3]);
    const make = () => new keras.layers.DepthwiseConv2D(3, { depthMultiplier: 2, padding: 'same', biasInitializer: 'random_normal' });
    const layer = make();
    layer.maybeBuild([null, 7, 7, 3]);
    const m = new nn.Conv2d(3, 6, 3, { padding: 'same', groups: 3 });
    leakFree(() => depthwiseToNn(layer, m));
    expectClose(toLast(nnForward(m, toFirst(x))), layer.apply(x), TOL);

    const m2 = new nn.Conv2d(3, 6, 3, { padding: 'same', groups: 3 });
    const layer2 = make();
    layer2.maybeBuild([null, 7, 7, 3]);
    leakFree(() => nnToDepthwise(m2, layer2));
    expectClose(layer2.apply(x), toLast(nnForward(m2, toFirst(x))), TOL);
    expect(() => depthwiseToNn(layer, new nn.Conv2d(3, 6, 3))).toThrow(/needs nn\.Conv2d\(3, 6, \[3, 3\], \{ groups: 3 \}\); received nn\.Conv2d\(3, 6, \[3, 3\], \{ groups: 1 \}\)/);
  });
});

describe('BatchNormalization <-> nn.BatchNorm2d / BatchNorm1d', () => {
  it('gamma, beta, moving statistics <-> weight, bias, running statistics: equal inference outputs, both ways', () => {
    manualSeed(3);
    const x = randn([4, 5, 5, 6]);
    const layer = new keras.layers.BatchNormalization();
    layer.maybeBuild([null, 5, 5, 6]);
    const [g, b, mean] = [randn([6]), randn([6]), randn([6])];
    layer.setWeights([g, b, mean, rand([6]).add(0.5)]);
    const m = new nn.BatchNorm2d(6, { eps: 1e-3 });
    m.eval();
    leakFree(() => batchNormToNn(layer, m));
    expectClose(toLast(nnForward(m, toFirst(x))), layer.apply(x, { training: false }), TOL);

    const m2 = new nn.BatchNorm2d(6, { eps: 1e-3 });
    noGrad(() => {
      m2.weight!.copy_(randn([6]));
      m2.bias!.copy_(randn([6]));
      m2.runningMean!.copy_(randn([6]));
      m2.runningVar!.copy_(rand([6]).add(0.5));
    });
    m2.eval();
    const layer2 = new keras.layers.BatchNormalization();
    layer2.maybeBuild([null, 5, 5, 6]);
    leakFree(() => nnToBatchNorm(m2, layer2));
    expectClose(layer2.apply(x, { training: false }), toLast(nnForward(m2, toFirst(x))), TOL);
  });

  it('BatchNorm1d on features [N, C]', () => {
    manualSeed(4);
    const x = randn([8, 5]);
    const layer = new keras.layers.BatchNormalization({ epsilon: 1e-5 });
    layer.maybeBuild([null, 5]);
    randomize(layer);
    layer.setWeights([...layer.getWeights().slice(0, 3), rand([5]).add(0.5)]);
    const m = new nn.BatchNorm1d(5);
    m.eval();
    batchNormToNn(layer, m);
    expectClose(nnForward(m, x), layer.apply(x, { training: false }), TOL);
  });

  it('refuses different epsilons, naming the fix', () => {
    const layer = new keras.layers.BatchNormalization();
    layer.maybeBuild([null, 4, 4, 6]);
    expect(() => batchNormToNn(layer, new nn.BatchNorm2d(6))).toThrow(/epsilons differ \(Keras 0\.001, nn 0\.00001\).*nn\.BatchNorm2d\(6, \{ eps: 0\.001 \}\)/);
    expect(() => batchNormToNn(layer, new nn.BatchNorm2d(5, { eps: 1e-3 }))).toThrow(/has 6 channels; received an nn BatchNorm of 5 features/);
    const noScale = new keras.layers.BatchNormalization({ scale: false });
    noScale.maybeBuild([null, 6]);
    expect(() => batchNormToNn(noScale, new nn.BatchNorm1d(6, { eps: 1e-3 }))).toThrow(/scale=false/);
  });
});

describe('Embedding <-> nn.Embedding', () => {
  it('same table, same rows, both ways', () => {
    manualSeed(5);
    const ids = randn([3, 7]).abs().mul(3).floor().int();
    const layer = new keras.layers.Embedding(10, 4);
    layer.maybeBuild([null, 7]);
    const m = new nn.Embedding(10, 4);
    leakFree(() => embeddingToNn(layer, m));
    expectClose(nnForward(m, ids), layer.apply(ids), { atol: 0 });
    const m2 = new nn.Embedding(10, 4);
    const layer2 = new keras.layers.Embedding(10, 4);
    layer2.maybeBuild([null, 7]);
    leakFree(() => nnToEmbedding(m2, layer2));
    expectClose(layer2.apply(ids), nnForward(m2, ids), { atol: 0 });
    expect(() => embeddingToNn(layer, new nn.Embedding(4, 10))).toThrow(/needs an nn\.Embedding weight of shape \[10, 4\]; received \[4, 10\]/);
  });
});

describe('LSTM / GRU <-> nn.LSTM / nn.GRU', () => {
  const x = () => randn([3, 6, 5]);
  it('LSTM: gates i, f, c, o = i, f, g, o; equal sequences, both ways', () => {
    manualSeed(6);
    const xs = x();
    const layer = new keras.layers.LSTM(4, { returnSequences: true, biasInitializer: 'random_normal' });
    layer.maybeBuild([null, 6, 5]);
    const m = new nn.LSTM(5, 4, { batchFirst: true });
    leakFree(() => lstmToNn(layer, m));
    const [out] = noGrad(() => m.forward(xs));
    expectClose(out, layer.apply(xs), TOL);

    const m2 = new nn.LSTM(5, 4, { batchFirst: true });
    const layer2 = new keras.layers.LSTM(4, { returnSequences: true });
    layer2.maybeBuild([null, 6, 5]);
    leakFree(() => nnToLstm(m2, layer2));
    const [out2] = noGrad(() => m2.forward(xs));
    expectClose(layer2.apply(xs), out2, TOL);
  });

  it('GRU (resetAfter): gates z, r, h <-> r, z, n; equal sequences, both ways', () => {
    manualSeed(7);
    const xs = x();
    const layer = new keras.layers.GRU(4, { returnSequences: true, biasInitializer: 'random_normal' });
    layer.maybeBuild([null, 6, 5]);
    const m = new nn.GRU(5, 4, { batchFirst: true });
    leakFree(() => gruToNn(layer, m));
    const [out] = noGrad(() => m.forward(xs));
    expectClose(out, layer.apply(xs), TOL);

    const m2 = new nn.GRU(5, 4, { batchFirst: true });
    const layer2 = new keras.layers.GRU(4, { returnSequences: true });
    layer2.maybeBuild([null, 6, 5]);
    leakFree(() => nnToGru(m2, layer2));
    const [out2] = noGrad(() => m2.forward(xs));
    expectClose(layer2.apply(xs), out2, TOL);
  });

  it('refuses what the other side cannot compute', () => {
    const gru = new keras.layers.GRU(4, { resetAfter: false });
    gru.maybeBuild([null, 6, 5]);
    expect(() => gruToNn(gru, new nn.GRU(5, 4))).toThrow(/resetAfter=false .* PyTorch's GRU cannot express/);
    const lstm = new keras.layers.LSTM(4);
    lstm.maybeBuild([null, 6, 5]);
    expect(() => lstmToNn(lstm, new nn.LSTM(5, 4, { numLayers: 2 }))).toThrow(/numLayers=2/);
    expect(() => lstmToNn(lstm, new nn.LSTM(3, 4))).toThrow(/needs nn\.LSTM\(5, 4\); received nn\.LSTM\(3, 4\)/);
    const relu = new keras.layers.LSTM(4, { activation: 'relu' });
    relu.maybeBuild([null, 6, 5]);
    expect(() => lstmToNn(relu, new nn.LSTM(5, 4))).toThrow(/activation 'tanh'/);
  });
});
