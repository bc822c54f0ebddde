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

  it('for await leaks no tensor across epochs either (the same epoch generator as for...of), also when left early', async () => {
    const loader = new DataLoader(new TensorDataset(arange(0, 64).reshape([32, 2]), arange(0, 32)), { batchSize: 4, shuffle: true, seed: 1 });
    const epoch = async (stopAt = Infinity): Promise<void> => {
      let i = 0;
      for await (const [x, y] of loader) {
        noGrad(() => x.sum().add(y.sum()).item());
        if (++i >= stopAt) break;
      }
      markStep();
      markStep();
    };
    await epoch(); // warm up (constant caches)
    const after1 = memory().numTensors;
    await epoch();
    await epoch(3);
    expect(memory().numTensors).toBe(after1);
  });

  it('moves a batch out of native memory two batches after it was handed out; it stays valid, kept dataset tensors stay', () => {
    const ds = new TensorDataset(arange(0, 8).reshape([8, 1]));
    const seen: any[] = [];
    for (const [x] of new DataLoader(ds, { batchSize: 2 })) seen.push(x);
    expect(seen[0]._tf).toBe(null); // no longer native ...
    expect(seen[0].isDisposed).toBe(false);
    expect(seen[3]._tf).not.toBe(null); // the last batch is native until the loop moves on
    const before = memory().numTensors;
    markStep();
    markStep();
    expect(seen[3]._tf).toBe(null);
    expect(memory().numTensors).toBeLessThan(before);
    expect(seen.map((x) => x.toArray())).toEqual([[[0], [1]], [[2], [3]], [[4], [5]], [[6], [7]]]); // ... and still holds its values
    expect(ds.tensors[0]!.isDisposed).toBe(false);
    expect(() => seen[0].add(1)).not.toThrow(TensorReleasedError);
  });

  it('TensorDataset batches are gathered from a JavaScript copy that follows in-place changes', () => {
    const x = arange(0, 12).reshape([6, 2]).float();
    const flag = tensor([true, false, true, false, true, false]);
    const ds = new TensorDataset(x, flag);
    const [xb, fb] = ds.getBatch([4, 1]);
    expect(xb!.toArray()).toEqual([[8, 9], [2, 3]]);
    expect(fb!.dtype).toBe('bool');
    expect(fb!.toArray()).toEqual([true, false]);
    noGrad(() => x.add_(100));
    expect(ds.getBatch([4])[0]!.toArray()).toEqual([[108, 109]]);
  });
});
