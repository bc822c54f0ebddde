import { describe, expect, it, vi } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, countKernels, memory, randint, randn, tensor, type Tensor } from '@duet/core';
import { disposeWithGrads, expectNoLeaks } from '../../../../test/helpers.js';
import * as F from '../functional/losses.js';
import { Linear } from '../layers/linear.js';
import { BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, MSELoss } from './index.js';

const int = (v: number[]) => tensor(v, { dtype: 'int32' });

describe('crossEntropy', () => {
  it('runs the fused kernel and one reduction when nothing needs the general path', () => {
    const x = randn([32, 10], { requiresGrad: true });
    const y = randint(0, 10, [32]);
    const { result: loss, byName, kernels } = countKernels(() => F.crossEntropy(x, y));
    expect(byName.SparseSoftmaxCrossEntropyWithLogits).toBe(1);
    expect(kernels).toBeLessThanOrEqual(2);
    expect(countKernels(() => loss.backward()).kernels).toBeLessThanOrEqual(3);
    disposeWithGrads([x]);
  });

  it('checks targets: range, dtype, shape', () => {
    const x = randn([2, 3]);
    expect(() => F.crossEntropy(x, int([0, 3]))).toThrow(/target 3 is out of bounds: class indices must be in \[0, 2\] or equal ignoreIndex \(-100\)/);
    expect(() => F.crossEntropy(x, int([0, -1]))).toThrow(ArgumentError);
    expect(() => F.crossEntropy(x, tensor([0, 1]))).toThrow(DTypeError);
    expect(() => F.crossEntropy(x, tensor([0, 1]))).toThrow(/convert with .int\(\)/);
    expect(() => F.crossEntropy(x, int([0, 1, 2]))).toThrow(ShapeError);
    expect(() => F.crossEntropy(x, int([0, 1]), { weight: tensor([1, 2]) })).toThrow(/weight must be a 1-d tensor of 3 values/);
    expect(() => F.crossEntropy(x, int([0, 1]), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => F.crossEntropy(x, int([0, 1]), { reduction: 'avg' as never })).toThrow(/"avg" is not a valid value for reduction/);
    expect(F.crossEntropy(x, int([-100, -100])).item()).toBeNaN(); // PyTorch: 0 / 0 when every target is ignored
  });
});

describe('loss modules', () => {
  it('register weight and pos_weight as buffers, like PyTorch', () => {
    const ce = new CrossEntropyLoss({ weight: tensor([1, 2, 3]), ignoreIndex: 1 });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expect(ce.weight!.toArray()).toEqual([1, 2, 3]);
    expect(ce.ignoreIndex).toBe(1);
    const bce = new BCEWithLogitsLoss({ posWeight: tensor([3]) });
    expect(Object.keys(bce.stateDict())).toEqual(['pos_weight']);
    expect(bce.posWeight!.toArray()).toEqual([3]);
    expect(Object.keys(new CrossEntropyLoss().stateDict())).toEqual([]);
    expect(String(new MSELoss())).toBe('MSELoss()');
  });

  it('validate reduction in the constructor', () => {
    expect(() => new MSELoss({ reduction: 'batchmean' as never })).toThrow(/not a valid value for reduction/);
    expect(new KLDivLoss({ reduction: 'batchmean' }).reduction).toBe('batchmean');
  });

  it('warn once when an elementwise loss broadcasts the target', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    F.mseLoss(randn([4, 1]), randn([4]));
    F.mseLoss(randn([4, 1]), randn([4]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/different to the input size/);
    warn.mockRestore();
    expect(() => F.binaryCrossEntropy(randn([4, 1]).sigmoid(), randn([4]))).toThrow(/must be the same as input size/);
  });
});

const X = () => randn([6, 5], { requiresGrad: true });
const CASES: [string, () => Tensor[], (x: Tensor[]) => Tensor][] = [
  ['crossEntropy fast', () => [X()], ([x]) => F.crossEntropy(x!, int([0, 1, 2, 3, 4, 0]))],
  ['crossEntropy weight+ignore+smoothing', () => [X()], ([x]) => F.crossEntropy(x!, int([0, -100, 2, 3, 4, 0]), { weight: tensor([1, 2, 3, 4, 5]), labelSmoothing: 0.1 })],
  ['crossEntropy probabilities', () => [X()], ([x]) => F.crossEntropy(x!, randn([6, 5]).softmax(1))],
  ['crossEntropy [N, C, d]', () => [randn([2, 5, 3], { requiresGrad: true })], ([x]) => F.crossEntropy(x!, int([0, 1, 2, 3, 4, 0]).reshape([2, 3]), { reduction: 'none' }).sum()],
  ['nllLoss', () => [X()], ([x]) => F.nllLoss(x!.logSoftmax(1), int([0, 1, -100, 3, 4, 0]), { weight: tensor([1, 2, 3, 4, 5]) })],
  ['mseLoss', () => [X(), X()], ([a, b]) => F.mseLoss(a!, b!)],
  ['l1Loss', () => [X(), X()], ([a, b]) => F.l1Loss(a!, b!, { reduction: 'sum' })],
  ['smoothL1Loss', () => [X(), X()], ([a, b]) => F.smoothL1Loss(a!, b!, { beta: 0.5 })],
  ['huberLoss', () => [X(), X()], ([a, b]) => F.huberLoss(a!, b!, { delta: 0.5 })],
  ['binaryCrossEntropy', () => [X()], ([x]) => F.binaryCrossEntropy(x!.sigmoid(), randn([6, 5]).gt(0).float(), { weight: tensor([1, 2, 3, 4, 5]) })],
  ['binaryCrossEntropyWithLogits', () => [X()], ([x]) => F.binaryCrossEntropyWithLogits(x!, randn([6, 5]).gt(0).float(), { posWeight: tensor([1, 2, 3, 4, 5]) })],
  ['klDiv', () => [X()], ([x]) => F.klDiv(x!.logSoftmax(1), randn([6, 5]).softmax(1), { reduction: 'batchmean' })],
  ['cosineEmbeddingLoss', () => [X(), X()], ([a, b]) => F.cosineEmbeddingLoss(a!, b!, tensor([1, -1, 1, -1, 1, -1]), { margin: 0.2 })],
  ['marginRankingLoss', () => [X(), X()], ([a, b]) => F.marginRankingLoss(a!, b!, tensor([[1, -1, 1, -1, 1]]), { margin: 0.2 })],
];

describe('losses release every native tensor', () => {
  it.each(CASES)('%s (forward + backward in scope())', (_n, make, run) => {
    expectNoLeaks(() => {
      const inputs = make();
      run(inputs).backward();
      disposeWithGrads(inputs);
    });
  });

  it('a training loop with the general cross-entropy path stays flat over 50 steps', () => {
    const model = new Linear(10, 4);
    const lossFn = new CrossEntropyLoss({ weight: tensor([1, 2, 1, 0.5]), labelSmoothing: 0.1, ignoreIndex: 3 });
    const x = randn([16, 10]);
    const y = randint(0, 4, [16]);
    const step = () => {
      for (const p of model.parameters()) p.grad = null;
      lossFn.forward(model.forward(x), y).backward();
    };
    for (let i = 0; i < 5; i++) step();
    const before = memory().numTensors;
    for (let i = 0; i < 50; i++) step();
    expect(memory().numTensors).toBe(before);
  });
});
