import { describe, expect, it } from 'vitest';
import { TensorReleasedError, arange, markStep, memory, noGrad, tensor } from '@duet/core';
import { DataLoader } from './dataloader.js';
import { TensorDataset } from './dataset.js';
import { MNIST } from './datasets/mnist.js';
import { Subset } from './dataset.js';
import { ToTensor } from './transforms/basic.js';

describe('DataLoader memory', () => {
  it('leaks no tensor across epochs (MNIST + ToTensor, a forward pass per batch, no backward)', () => {
    const ds = new Subset(new MNIST({ train: true, transform: new ToTensor() }), Array.from({ length: 640 }, (_, i) => i));
    const loader = new DataLoader(ds, { batchSize: 32, shuffle: true, seed: 0 });
    const w = tensor(new Float32Array(784 * 10).fill(0.01), { shape: [784, 10] }).keep();
    const epoch = (): number => {
      let correct = 0;
      noGrad(() => {
        for (const [x, y] of loader) correct += x.reshape([-1, 784]).matmul(w).argmax(1).eq(y).sum().item();
      });
      return correct;
    };
    epoch(); // warm up (constant caches)
    const after1 = memory().numTensors;
    epoch();
    const after2 = memory().numTensors;
    epoch();
    expect(memory().numTensors).toBe(after1);
    expect(after2).toBe(after1);
    w.dispose();
  });

  it('releases a batch two batches after it was handed out; kept dataset tensors stay', () => {
    const ds = new TensorDataset(arange(0, 8).reshape([8, 1]));
    const seen: any[] = [];
    for (const [x] of new DataLoader(ds, { batchSize: 2 })) seen.push(x);
    expect(seen[0].isDisposed).toBe(true);
    expect(() => seen[0].toArray()).toThrow(TensorReleasedError);
    expect(seen[3].toArray()).toEqual([[6], [7]]); // the last batch is alive until the loop moves on
    markStep();
    markStep();
    expect(seen[3].isDisposed).toBe(true);
    expect(ds.tensors[0]!.isDisposed).toBe(false);
  });
});
