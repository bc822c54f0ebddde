/**
 * The seed's PyTorch-style program, as written in SEED_PROGRAMS.md, plus a
 * test-set evaluation and a check that the saved file reads back.
 *
 *   pnpm tsx examples/nn-mnist.ts   (5 epochs; EPOCHS=1 for a quick run)
 *   (`pnpm mnist` runs it side by side with the Keras program: examples/mnist/)
 */
import { nn, optim, save, load } from '@duet/nn';
import { Tensor, noGrad, backendInfo } from '@duet/core';
import { DataLoader, datasets, transforms } from '@duet/data';

const EPOCHS = Number(process.env.EPOCHS ?? 5);

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

const info = backendInfo();
console.log(`Duet on TensorFlow ${info.tfVersion} (${info.device})`);
const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
const trainLoader = new DataLoader(trainSet, { batchSize: 32, shuffle: true });
const model = new MyModel();
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });

function evaluate(): number {
  const testSet = new datasets.MNIST({ train: false, transform: new transforms.ToTensor() });
  const testLoader = new DataLoader(testSet, { batchSize: 1000 });
  let correct = 0;
  noGrad(() => {
    for (const [x, y] of testLoader) correct += model.forward(x).argmax(1).eq(y).sum().item();
  });
  return correct / testSet.length;
}

for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const t0 = performance.now();
  let total = 0;
  let n = 0;
  for (const [x, y] of trainLoader) {
    const yPred = model.forward(x);
    const loss = lossFn.forward(yPred, y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    total += loss.item();
    n++;
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`epoch ${epoch + 1}/${EPOCHS}: loss ${(total / n).toFixed(4)}, ${secs.toFixed(1)} s, test accuracy ${(evaluate() * 100).toFixed(2)}%`);
}

await save(model.stateDict(), 'mnist-mlp.safetensors');
const back = await load('mnist-mlp.safetensors');
console.log(`saved mnist-mlp.safetensors: ${Object.keys(back).join(', ')} (load it in PyTorch with safetensors.torch.load_file)`);
