/**
 * examples/keras-guides/: each ported guide runs end to end on a small
 * subset. (test/golden/keras_guides.test.ts and keras_training_guide.test.ts
 * check their numbers against Keras 3.15, and the former runs the callbacks
 * guide in full.)
 */
import { describe, expect, it } from 'vitest';
import { main as subclassing } from '../examples/keras-guides/subclassing.js';
import { main as customTrainStep } from '../examples/keras-guides/custom-train-step.js';
import {
  ExamplePyDataset, ExampleTorchDataset, SlicesDataset, getCompiledModel, main as trainingGuide,
} from '../examples/keras-guides/training-with-built-in-methods.js';
import { manualSeed, memory, randn, tensor } from '@duet/core';
import { DataLoader } from '@duet/data';

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

  it('training & evaluation with the built-in methods: every section trains, evaluates, checkpoints and logs on 4000 digits', async () => {
    const r = await trainingGuide({ quick: true, epochs: 2, limit: undefined }, quiet);
    const keys = (h: Record<string, number[]>) => Object.keys(h).sort();
    expect(keys(r.history)).toEqual(['loss', 'sparse_categorical_accuracy', 'val_loss', 'val_sparse_categorical_accuracy']);
    expect(r.history.loss![1]!).toBeLessThan(r.history.loss![0]!);
    expect(r.testResults).toHaveLength(2);
    expect(r.testResults[1]!).toBeGreaterThan(0.7);
    expect(r.predictionsShape).toEqual([3, 10]);
    const F = r.fits;
    expect(keys(F.customMetric!)).toEqual(['categorical_true_positives', 'loss']);
    // Most of the 4000 digits are classified right by the second epoch.
    expect(F.customMetric!.categorical_true_positives![1]!).toBeGreaterThan(3000);
    expect(F.activityRegularization!.loss![0]!).toBeGreaterThan(F.customMetric!.loss![0]!);
    for (const k of ['validationSplit', 'validationDataset', 'validationSteps', 'pyDataset', 'pyDatasetWorkers', 'torchDataLoader']) {
      expect(keys(F[k]!), k).toEqual(['loss', 'sparse_categorical_accuracy', 'val_loss', 'val_sparse_categorical_accuracy']);
    }
    for (const k of ['multiLists', 'multiDicts', 'multiDataset']) expect(keys(F[k]!), k).toEqual(['class_output_loss', 'loss', 'score_output_loss']);
    expect(F.stepsPerEpoch!.loss).toHaveLength(2);
    expect(Object.keys(r.evaluations.dataset as object)).toEqual(['loss', 'sparse_categorical_accuracy']);
    expect(r.earlyStoppingEpochs).toBeGreaterThanOrEqual(1);
    expect(r.perBatchLosses).toHaveLength(63);
    // Two saveBestOnly checkpoints, then a model saved at batch 100, restored by the second run, which saves again.
    expect(r.checkpoints.filter((c) => c.startsWith('mymodel_'))).toEqual(['mymodel_1.keras', 'mymodel_2.keras']);
    expect(r.checkpoints.filter((c) => c.startsWith('ckpt/model-loss='))).toHaveLength(2);
    expect(r.restoredFrom).toMatch(/ckpt\/model-loss=\d\.\d\d\.keras$/);
    expect(r.scheduledRates).toEqual([0.10000000149011612, 0.10000000149011612, 0.09600000083446503, 0.09216000139713287]);
    expect(r.tensorboardFiles.some((f) => f.startsWith('train/events.out.tfevents.'))).toBe(true);
  }, 240_000);

  it('training guide: fits on its PyDataset, its PyTorch-style Dataset and a dataset of dicts leak no native tensors', async () => {
    manualSeed(0);
    const x = randn([96, 784]);
    const y = tensor(Float32Array.from({ length: 96 }, (_, i) => i % 10));
    const model = getCompiledModel();
    const sources = [
      new ExamplePyDataset(x, y, 32),
      new DataLoader(new ExampleTorchDataset(x, y), { batchSize: 32, shuffle: true }),
      new DataLoader(new SlicesDataset([{ digits: x }, y]), { batchSize: 32 }),
    ];
    const run = async (source: (typeof sources)[number]) => {
      await model.fit(source, { epochs: 2, verbose: 0, validationData: source });
      await model.evaluate(source, { verbose: 0 });
    };
    for (const source of sources) {
      await run(source); // warm-up: what the first fit and evaluate build once
      const before = memory().numTensors;
      await run(source);
      await run(source);
      expect(memory().numTensors, source.constructor.name).toBe(before);
    }
  }, 60_000);
});
