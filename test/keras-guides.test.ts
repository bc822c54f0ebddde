/**
 * examples/keras-guides/: each ported guide runs end to end on a small
 * subset. (test/golden/keras_guides.test.ts checks their numbers against
 * Keras 3.15, and runs the callbacks guide in full.)
 */
import { describe, expect, it } from 'vitest';
import { main as subclassing } from '../examples/keras-guides/subclassing.js';
import { main as customTrainStep } from '../examples/keras-guides/custom-train-step.js';

const quiet = () => {};

describe('examples/keras-guides', () => {
  it('subclassing: the guide\'s printed numbers, and the VAE trains on MNIST', async () => {
    const r = await subclassing({ quick: true, epochs: 2, limit: 1280 }, quiet);
    expect(r.sums).toEqual([[2, 2], [4, 4]]);
    expect(r.counts).toEqual({ weights: 1, nonTrainableWeights: 1, trainableWeights: 0, mlpWeights: 6, mlpTrainableWeights: 6 });
    expect(r.lossesAfterCalls).toEqual([0, 1, 1]);
    expect(r.linearOutput).toHaveLength(2);
    expect(r.kernelRegularization).toBeGreaterThan(0);
    expect(r.configs[0]).toEqual({ units: 64 });
    expect(r.configs[1]).toEqual({ units: 64 });
    expect(r.configs[2]).toMatchObject({ units: 64, trainable: true });
    expect(r.configs[3]).toEqual(r.configs[2]);
    expect(r.addLossFitLoss.every(Number.isFinite)).toBe(true);
    expect(r.vaeLoss).toHaveLength(2);
    expect(r.vaeLoss[1]!).toBeLessThan(r.vaeLoss[0]!);
  }, 60_000);

  it('custom train step: the four custom models train / evaluate, and the GAN takes its steps', async () => {
    const r = await customTrainStep({ quick: true, epochs: 1, limit: 2 }, quiet);
    expect(r.histories.map((h) => h.length)).toEqual([3, 5, 3]);
    for (const h of r.histories) {
      expect(Object.keys(h[0]!).sort()).toEqual(['loss', 'mae']);
      expect(h.at(-1)!.loss!).toBeLessThan(h[0]!.loss!);
    }
    expect((r.evaluate as number[]).length).toBe(2);
    expect(Object.keys(r.gan).sort()).toEqual(['d_loss', 'g_loss']);
    expect(Number.isFinite(r.gan.d_loss!) && Number.isFinite(r.gan.g_loss!)).toBe(true);
  }, 120_000);
});
