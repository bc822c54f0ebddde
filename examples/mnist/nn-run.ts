/**
 * The seed's PyTorch-style program (shared SEED_PROGRAMS.md): its model,
 * loader, loss, optimizer and loop as written, plus what the side-by-side
 * report needs: the epoch's mean loss and accuracy (summed on the device, so
 * the loop reads nothing back per step), times, memory samples and Ctrl-C.
 */
import { nn, optim, save } from '@duet/nn';
import { Tensor, countKernels, noGrad, zeros } from '@duet/core';
import { DataLoader, Subset, datasets, transforms } from '@duet/data';
import { TEST_QUICK, TRAIN_QUICK, type MnistOptions } from './options.js';
import { PeakMemory, yieldToSignals, type RunResult, type StopFlag } from './run.js';

export class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

function mnist(train: boolean, quick: boolean): datasets.MNIST | Subset<[any, any]> {
  const set = new datasets.MNIST({ train, transform: new transforms.ToTensor() });
  const n = train ? TRAIN_QUICK : TEST_QUICK;
  return quick ? new Subset(set, Array.from({ length: n }, (_, i) => i)) : set;
}

/**
 * Kernels of one training step (forward, loss, zeroGrad, backward, step) on a
 * fresh model and optimizer, after two warm-up steps (the first one creates
 * the optimizer's slots).
 */
function kernelsPerStep(x: Tensor, y: Tensor): number {
  const model = new MyModel();
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const step = () => {
    const loss = lossFn.forward(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  };
  step();
  step();
  return countKernels(step).kernels;
}

function testAccuracy(model: MyModel, quick: boolean): number {
  const testSet = mnist(false, quick);
  let correct = 0;
  noGrad(() => {
    for (const [x, y] of new DataLoader(testSet, { batchSize: 1000 })) correct += model.forward(x).argmax(1).eq(y).sum().item();
  });
  return correct / testSet.length;
}

export interface NnRun {
  result: RunResult;
  /** Writes the state dict as safetensors (atomically: a temporary file renamed over the target). */
  save(path: string): Promise<void>;
}

export async function runNn(options: MnistOptions, stop: StopFlag, log: (line: string) => void): Promise<NnRun> {
  const trainSet = mnist(true, options.quick);
  const trainLoader = new DataLoader(trainSet, { batchSize: options.batchSize, shuffle: true });
  const [x0, y0] = trainLoader[Symbol.iterator]().next().value as [Tensor, Tensor];
  const kernels = kernelsPerStep(x0, y0);

  const model = new MyModel();
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const peak = new PeakMemory();
  const result: RunResult = {
    style: 'nn.Module', params: model.parameters().reduce((n, p) => n + p.numel(), 0), epochs: options.epochs,
    loss: [], accuracy: [], seconds: [], kernelsPerStep: kernels, testAccuracy: null, peak, interrupted: false,
  };
  peak.sample();
  for (let epoch = 0; epoch < options.epochs && !result.interrupted; epoch++) {
    const t0 = performance.now();
    let lossSum = zeros([]);
    let correct = zeros([]);
    let seen = 0;
    let steps = 0;
    for (const [x, y] of trainLoader) {
      const yPred = model.forward(x);
      const loss = lossFn.forward(yPred, y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      noGrad(() => {
        lossSum = lossSum.add(loss);
        correct = correct.add(yPred.argmax(1).eq(y).float().sum());
      });
      seen += (y as Tensor).shape[0]!;
      if (++steps % PeakMemory.SAMPLE_EVERY === 0) {
        peak.sample();
        await yieldToSignals();
        if (stop.requested) {
          result.interrupted = true;
          break;
        }
      }
    }
    peak.sample();
    if (result.interrupted) break;
    const secs = (performance.now() - t0) / 1000;
    result.seconds.push(secs);
    result.loss.push(lossSum.item() / steps);
    result.accuracy.push(correct.item() / seen);
    log(`Epoch ${epoch + 1}/${options.epochs} - ${secs.toFixed(1)}s - accuracy: ${result.accuracy.at(-1)!.toFixed(4)} - loss: ${result.loss.at(-1)!.toFixed(4)}`);
  }
  if (!result.interrupted) result.testAccuracy = testAccuracy(model, options.quick);
  return { result, save: (path) => save(model.stateDict(), path) };
}
