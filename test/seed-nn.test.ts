/**
 * The seed's PyTorch-style program (shared SEED_PROGRAMS.md), as written, for
 * one epoch: it learns MNIST, keeps native memory flat with no dispose in the
 * loop, and saves a state dict with PyTorch's keys and shapes.
 * (5 epochs to >= 97% is `pnpm mnist`; see the README for the measured run.)
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nn, optim, save, load } from '@duet/nn';
import { Tensor, memory, noGrad, manualSeed } from '@duet/core';
import { DataLoader, datasets, transforms } from '@duet/data';

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

describe('the seed PyTorch-style program', () => {
  it('trains one MNIST epoch with flat memory, then saves PyTorch keys', async () => {
    manualSeed(0);
    const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
    const trainLoader = new DataLoader(trainSet, { batchSize: 32, shuffle: true });
    const model = new MyModel();
    const lossFn = new nn.CrossEntropyLoss();
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
    const counts: number[] = [];
    let step = 0;
    for (let epoch = 0; epoch < 1; epoch++) {
      for (const [x, y] of trainLoader) {
        const yPred = model.forward(x);
        const loss = lossFn.forward(yPred, y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        if (++step % 200 === 0) counts.push(memory().numTensors);
      }
    }
    expect(step).toBe(1875);
    expect(new Set(counts.slice(1)).size).toBe(1); // flat after warm-up

    const testSet = new datasets.MNIST({ train: false, transform: new transforms.ToTensor() });
    let correct = 0;
    noGrad(() => {
      for (const [x, y] of new DataLoader(testSet, { batchSize: 1000 })) correct += model.forward(x).argmax(1).eq(y).sum().item();
    });
    expect(correct / testSet.length).toBeGreaterThan(0.94);

    const path = join(mkdtempSync(join(tmpdir(), 'duet-seed-')), 'mnist-mlp.safetensors');
    await save(model.stateDict(), path);
    const sd = await load(path);
    expect(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, (v as Tensor).shape]))).toEqual({
      'fc1.weight': [128, 784],
      'fc1.bias': [128],
      'fc2.weight': [10, 128],
      'fc2.bias': [10],
    });
  });
});
