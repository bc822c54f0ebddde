/**
 * PyTorch's official MNIST example (pytorch/examples, mnist/main.py), ported
 * line by line: a CNN with `nn.Conv2d(1, 32, 3, 1)`, `model(data)`,
 * `torch.flatten(x, 1)`, `optim.Adadelta(lr=1.0)` with `StepLR(gamma=0.7)`,
 * `with torch.no_grad():` and `data.to(device)`.
 *
 *   pnpm tsx examples/nn-mnist-cnn.ts            # 14 epochs, as the original
 *   EPOCHS=1 TRAIN_LIMIT=6400 pnpm tsx examples/nn-mnist-cnn.ts
 */
import { cuda, flatten, manualSeed, noGrad, type Tensor } from '@duet/core';
import { F, nn, optim } from '@duet/nn';
import { DataLoader, Subset, datasets, transforms } from '@duet/data';

/** Python's `len(loader.dataset)`. */
const len = (loader: DataLoader<any>): number => (loader.dataset as { length: number }).length;

export class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, 1);
  conv2 = new nn.Conv2d(32, 64, 3, 1);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    x = this.conv1(x);
    x = F.relu(x);
    x = this.conv2(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1(x);
    x = flatten(x, 1);
    x = this.fc1(x);
    x = F.relu(x);
    x = this.dropout2(x);
    x = this.fc2(x);
    const output = F.logSoftmax(x, 1);
    return output;
  }
}

export function train(model: Net, device: string, trainLoader: DataLoader<any>, optimizer: optim.Optimizer<any>, epoch: number, logInterval = 10, log = console.log): number[] {
  model.train();
  const losses: number[] = [];
  let batchIdx = 0;
  for (let [data, target] of trainLoader as Iterable<[Tensor, Tensor]>) {
    [data, target] = [data.to(device as 'cpu'), target.to(device as 'cpu')];
    optimizer.zeroGrad();
    const output = model(data);
    const loss = F.nllLoss(output, target);
    loss.backward();
    optimizer.step();
    if (batchIdx % logInterval === 0) {
      losses.push(loss.item());
      log(`Train Epoch: ${epoch} [${batchIdx * data.shape[0]!}/${len(trainLoader)}]\tLoss: ${loss.item().toFixed(6)}`);
    }
    batchIdx++;
  }
  return losses;
}

export function test(model: Net, device: string, testLoader: DataLoader<any>, log = console.log): { loss: number; accuracy: number } {
  model.eval();
  let testLoss = 0;
  let correct = 0;
  {
    using _ = noGrad();
    for (let [data, target] of testLoader as Iterable<[Tensor, Tensor]>) {
      [data, target] = [data.to(device as 'cpu'), target.to(device as 'cpu')];
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

function main(): void {
  const epochs = Number(process.env.EPOCHS ?? 14);
  const limit = process.env.TRAIN_LIMIT === undefined ? undefined : Number(process.env.TRAIN_LIMIT);
  manualSeed(1);
  const device = cuda.isAvailable() ? 'cuda' : 'cpu';
  const transform = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize([0.1307], [0.3081])]);
  const dataset1 = new datasets.MNIST({ train: true, transform });
  const dataset2 = new datasets.MNIST({ train: false, transform });
  const trainSet = limit === undefined ? dataset1 : new Subset(dataset1, Array.from({ length: limit }, (_, i) => i));
  const trainLoader = new DataLoader(trainSet, { batchSize: 64, shuffle: true });
  const testLoader = new DataLoader(dataset2, { batchSize: 1000 });
  const model = new Net().to(device);
  const optimizer = new optim.Adadelta(model.parameters(), { lr: 1.0 });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, 1, { gamma: 0.7 });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    train(model, device, trainLoader, optimizer, epoch);
    test(model, device, testLoader);
    scheduler.step();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
