/**
 * examples/custom-training-loop.ts: a keras.Sequential trained by an nn
 * loop. On 1280 MNIST images for 2 epochs: the loss falls, the learning rate
 * follows the cosine schedule (starts at LR, never rises, ends near 0), clipping engaged, Keras's evaluate sees the trained weights, and
 * the loop leaks no native tensors. One step on its own: after clipGradNorm_
 * the gradients' total norm is at most MAX_GRAD_NORM.
 */
import { describe, expect, it } from 'vitest';
import { noGrad, stack, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { nn, optim } from '@duet/nn';
import { MAX_GRAD_NORM, LR, buildModel, main, trainStep } from '../examples/custom-training-loop.js';

const quiet = () => {};

describe('examples/custom-training-loop', () => {
  it('trains a Keras model with an nn loop, CosineAnnealingLR and clipping', async () => {
    const r = await main({ quick: true, epochs: 2, limit: 1280 }, quiet);
    expect(r.epochLoss).toHaveLength(2);
    expect(r.epochLoss[1]!).toBeLessThan(r.epochLoss[0]!);
    expect(r.lrs).toHaveLength(2 * 20);
    expect(r.lrs[0]).toBe(LR);
    for (let i = 1; i < r.lrs.length; i++) expect(r.lrs[i]!).toBeLessThan(r.lrs[i - 1]!);
    expect(r.lrs.at(-1)!).toBeLessThan(LR / 100);
    expect(r.gradNorms.some((g) => g > MAX_GRAD_NORM)).toBe(true);
    expect(r.testAccuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(r.tensorsPerEpoch[1]).toBe(r.tensorsPerEpoch[0]);
  }, 30_000);

  it('one step: the applied gradients have a total norm of at most MAX_GRAD_NORM', async () => {
    keras.utils.setRandomSeed(3);
    const [[x0, y0]] = await keras.datasets.mnist.loadData();
    const x = x0.narrow(0, 0, 64).reshape([-1, 784]).div(255);
    const y = y0.narrow(0, 0, 64);
    const model = buildModel();
    const optimizer = new optim.SGD(model.trainableWeights, { lr: 0.01 });
    const { gradNorm } = trainStep(model, optimizer, new nn.CrossEntropyLoss(), x, y);
    expect(gradNorm).toBeGreaterThan(MAX_GRAD_NORM); // so clipping had work to do
    const after = noGrad(() => stack(model.trainableWeights.map((w) => (w.grad as Tensor).norm())).norm().item());
    expect(after).toBeLessThanOrEqual(MAX_GRAD_NORM * (1 + 1e-5));
    expect(after).toBeGreaterThan(MAX_GRAD_NORM * 0.99);
  }, 30_000);
});
