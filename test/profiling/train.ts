/**
 * The program test/profiling.test.ts runs under `node --cpu-prof`: the seed
 * MLP (Linear 784-128, ReLU, Linear 10, CrossEntropyLoss, Adam) for `steps`
 * steps, then a Keras Dense(128, relu) / Dense(10, softmax) `fit` for one
 * epoch, on random data. Its last stdout line is JSON: the final losses and
 * the native tensor count after the tenth and the last nn step.
 *
 *   node --cpu-prof --import tsx --conditions=source test/profiling/train.ts [steps]
 */
import { nn, optim } from '@duet/nn';
import * as keras from '@duet/keras';
import { Tensor, manualSeed, memory, randint, randn } from '@duet/core';

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2(this.fc1(x).relu());
  }
}

const steps = Number(process.argv[2] ?? 300);
manualSeed(0);
const model = new MyModel();
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
const x = randn([32, 784]);
const y = randint(0, 10, [32]);
let nnLoss = NaN;
let tensorsAfterTenth = 0;
for (let i = 0; i < steps; i++) {
  const loss = lossFn(model(x), y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  if (i === 9) tensorsAfterTenth = memory().numTensors;
  if (i === steps - 1) nnLoss = loss.item();
}
const tensorsAfterLast = memory().numTensors;

const k = new keras.Sequential([new keras.layers.Dense(128, { activation: 'relu' }), new keras.layers.Dense(10, { activation: 'softmax' })]);
k.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
const history = await k.fit(randn([1024, 784]), randint(0, 10, [1024]), { epochs: 1, batchSize: 32, verbose: 0 });
const kerasLoss = history.history.loss![0];

console.log(JSON.stringify({ nnLoss, kerasLoss, tensorsAfterTenth, tensorsAfterLast }));
