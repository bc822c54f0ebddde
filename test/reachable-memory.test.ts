/**
 * Issue 7 §2b: a tensor the user can still reach stays valid, with no keep().
 * The PyTorch nn tutorial's training and validation loops
 * (pytorch.org/tutorials/beginner/nn_tutorial.html), ported line by line, with a
 * real DataLoader and nn modules; results held across loops (running sums, the
 * last batch, the best loss, per-epoch outputs) are checked against the same
 * numbers read with .item() inside the loops.
 */
import { describe, expect, it } from 'vitest';
import { AutogradError, Tensor, manualSeed, memory, noGrad, tensor } from '@duet/core';
import { F, nn, optim } from '@duet/nn';
import { DataLoader, Subset, datasets, transforms } from '@duet/data';

class MnistLogistic extends nn.Module {
  lin = new nn.Linear(784, 10);
  forward(xb: Tensor): Tensor {
    return this.lin.forward(xb.flatten(1));
  }
}

const lossFunc = (input: Tensor, target: Tensor) => F.crossEntropy(input, target);
const accuracy = (out: Tensor, yb: Tensor) => out.argmax(1).eq(yb).float().mean();

function loaders() {
  const train = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
  const valid = new datasets.MNIST({ train: false, transform: new transforms.ToTensor() });
  const trainDl = new DataLoader(new Subset(train, Array.from({ length: 640 }, (_, i) => i)), { batchSize: 64, shuffle: true, seed: 0 });
  const validDl = new DataLoader(new Subset(valid, Array.from({ length: 640 }, (_, i) => i)), { batchSize: 128 });
  return { trainDl, validDl };
}

describe('the nn tutorial, ported line by line: held results stay valid (issue 7 §2b)', () => {
  it('running sums over the validation set, accumulated across two loops, then read', () => {
    manualSeed(0);
    const { validDl } = loaders();
    const model = new MnistLogistic();
    const losses: number[] = [];
    const accs: number[] = [];
    for (const [xb, yb] of validDl) {
      losses.push(lossFunc(model.forward(xb), yb).item());
      accs.push(accuracy(model.forward(xb), yb).item());
    }

    let vl = tensor(0);
    for (const [xb, yb] of validDl) vl = vl.add(lossFunc(model.forward(xb), yb));
    let ac = tensor(0);
    for (const [xb, yb] of validDl) ac = ac.add(accuracy(model.forward(xb), yb));
    expect(vl.div(validDl.length).item()).toBeCloseTo(losses.reduce((a, b) => a + b) / validDl.length, 4);
    expect(ac.div(validDl.length).item()).toBeCloseTo(accs.reduce((a, b) => a + b) / validDl.length, 5);
  });

  it('trains, and keeps the last batch, the best loss and a list of per-epoch outputs valid', () => {
    manualSeed(0);
    const { trainDl, validDl } = loaders();
    const model = new MnistLogistic();
    const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
    const epochLosses: Tensor[] = [];
    const epochPreds: Tensor[] = [];
    const seenLosses: number[] = [];
    let best: Tensor | null = null;
    let bestSeen = Infinity;
    let lastX: Tensor | null = null;
    let lastXSum = 0;
    for (let epoch = 0; epoch < 3; epoch++) {
      model.train();
      for (const [xb, yb] of trainDl) {
        const loss = lossFunc(model.forward(xb), yb);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        lastX = xb;
        lastXSum = xb.sum().item();
        if (loss.item() < bestSeen) {
          bestSeen = loss.item();
          best = loss;
        }
      }
      model.eval();
      noGrad(() => {
        let validLoss = tensor(0);
        for (const [xb, yb] of validDl) validLoss = validLoss.add(lossFunc(model.forward(xb), yb));
        epochLosses.push(validLoss.div(validDl.length));
        seenLosses.push(epochLosses[epoch]!.item());
        const [xb] = validDl[Symbol.iterator]().next().value as [Tensor, Tensor];
        epochPreds.push(model.forward(xb));
      });
    }
    for (let i = 0; i < 10; i++) for (const _ of trainDl) void _; // many more boundaries
    expect(epochLosses.map((t) => t.item())).toEqual(seenLosses);
    expect(seenLosses[2]!).toBeLessThan(seenLosses[0]!);
    expect(epochPreds.map((t) => t.shape)).toEqual([[128, 10], [128, 10], [128, 10]]);
    expect(epochPreds[2]!.argmax(1).shape).toEqual([128]);
    expect(best!.item()).toBe(bestSeen);
    expect(lastX!.sum().item()).toBe(lastXSum);
    expect(() => best!.backward()).toThrow(AutogradError); // its graph is gone (its step used it), its value is not
  });

  it('the training loop stays flat and frees, not spills, what module calls make', () => {
    manualSeed(0);
    const { trainDl } = loaders();
    const model = new MnistLogistic();
    const lossFn = new nn.CrossEntropyLoss();
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const counts: number[] = [];
    const spilled: number[] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      for (const [x, y] of trainDl) {
        const loss = lossFn.forward(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }
      counts.push(memory().numTensors);
      spilled.push(memory().numSpilled);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    // Per step only the batch, the model output and the loss are spilled (and the batch keeps the array it was made from); the intermediates are freed.
    expect((spilled[3]! - spilled[2]!) / trainDl.length).toBeLessThanOrEqual(4);
  });
});
