/**
 * PyTorch's official MNIST example as ported in examples/nn-mnist-cnn.ts
 * (Conv2d(1, 32, 3, 1), model(data), flatten(x, 1), Adadelta(lr=1.0) with
 * StepLR(gamma=0.7), `using _ = noGrad()` in test()), on a slice of MNIST:
 * two epochs with a test pass between them (the test pass reads parameters
 * the optimizer just updated, inside no-grad kernels), learning and flat memory.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, markStep, memory } from '@duet/core';
import { optim } from '@duet/nn';
import { DataLoader, Subset, datasets, transforms } from '@duet/data';
import { Net, test, train } from '../examples/nn-mnist-cnn.js';

describe("PyTorch's MNIST example, ported", () => {
  it('trains two short epochs with Adadelta and StepLR, testing in between', () => {
    manualSeed(1);
    const transform = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize([0.1307], [0.3081])]);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    const trainLoader = new DataLoader(new Subset(new datasets.MNIST({ train: true, transform }), range(1280)), { batchSize: 64, shuffle: true });
    const testLoader = new DataLoader(new Subset(new datasets.MNIST({ train: false, transform }), range(1000)), { batchSize: 500 });
    const model = new Net().to('cpu');
    const optimizer = new optim.Adadelta(model.parameters(), { lr: 1.0 });
    const scheduler = new optim.lrScheduler.StepLR(optimizer, 1, { gamma: 0.7 });
    const quiet = () => {};
    const results = [];
    const counts: number[] = [];
    for (let epoch = 1; epoch <= 2; epoch++) {
      train(model, 'cpu', trainLoader, optimizer, epoch, 10, quiet);
      results.push(test(model, 'cpu', testLoader, quiet));
      scheduler.step();
      for (let i = 0; i < 3; i++) markStep();
      counts.push(memory().numTensors);
    }
    expect(optimizer.paramGroups[0]!.lr).toBeCloseTo(0.49, 12);
    expect(results[1]!.loss).toBeLessThan(results[0]!.loss);
    expect(results[1]!.accuracy).toBeGreaterThan(0.8);
    expect(counts[1]).toBe(counts[0]);
    optimizer.dispose();
  });
});
