/**
 * The seed's PyTorch-style MNIST program, data-parallel (issue 13): PyTorch's
 * DDP recipe with Duet's names. Each worker reads its own shard of MNIST
 * (DistributedSampler), gradients are averaged by TensorFlow's collective
 * runtime (DistributedDataParallel), rank 0 evaluates, checkpoints and saves.
 *
 *   pnpm duet-run --nproc 2 examples/ddp-mnist.ts      (EPOCHS=1 for a quick run)
 *   BATCH=64 sets the global batch (split across workers; default 32 per worker).
 *   On several machines, start one process per machine with DUET_CLUSTER and
 *   DUET_RANK set (docs/distributed.md).
 */
import { nn, optim, save } from '@duet/nn';
import { Tensor, distributed, noGrad } from '@duet/core';
import { DataLoader, DistributedSampler, datasets, transforms } from '@duet/data';
import { existsSync } from 'node:fs';

const EPOCHS = Number(process.env.EPOCHS ?? 5);
const CHECKPOINT = process.env.CHECKPOINT ?? 'ddp-mnist.ckpt.safetensors';

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

distributed.init(); // DUET_CLUSTER / DUET_RANK from pnpm duet-run (or TF_CONFIG)
const rank = distributed.getRank();
const world = distributed.getWorldSize();
const batchSize = process.env.BATCH ? Number(process.env.BATCH) / world : 32;
const log = (s: string): void => {
  if (rank === 0) console.log(s);
};
log(`${world} workers, ${batchSize} samples each per step (global batch ${batchSize * world})`);

const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
const sampler = new DistributedSampler(trainSet, { shuffle: true, seed: 0 });
const trainLoader = new DataLoader(trainSet, { batchSize, sampler });
const inner = new MyModel();
const model = new nn.parallel.DistributedDataParallel(inner);
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });

let first = 0;
if (existsSync(CHECKPOINT)) {
  first = Number(nn.parallel.loadCheckpoint(CHECKPOINT, { model: inner, optimizer }).epoch);
  log(`resumed from ${CHECKPOINT} after epoch ${first}`);
}

function evaluate(): number {
  const testSet = new datasets.MNIST({ train: false, transform: new transforms.ToTensor() });
  const testLoader = new DataLoader(testSet, { batchSize: 1000 });
  let correct = 0;
  noGrad(() => {
    for (const [x, y] of testLoader) correct += inner.forward(x).argmax(1).eq(y).sum().item();
  });
  return correct / testSet.length;
}

for (let epoch = first; epoch < EPOCHS; epoch++) {
  sampler.setEpoch(epoch);
  const t0 = performance.now();
  let total = 0;
  let n = 0;
  for (const [x, y] of trainLoader) {
    const yPred = model.forward(x);
    const loss = lossFn.forward(yPred, y);
    optimizer.zeroGrad();
    loss.backward(); // gradients are averaged across workers here
    optimizer.step();
    total += loss.item();
    n++;
  }
  // the mean loss over all workers' batches
  const mean = distributed.allReduceArray(Float32Array.of(total / n), 'mean')[0]!;
  const secs = (performance.now() - t0) / 1000;
  nn.parallel.saveCheckpoint(CHECKPOINT, { model: inner, optimizer, extra: { epoch: epoch + 1 } }); // rank 0 writes
  if (rank === 0) console.log(`epoch ${epoch + 1}/${EPOCHS}: loss ${mean.toFixed(4)}, ${secs.toFixed(1)} s, ${n} steps per worker, test accuracy ${(evaluate() * 100).toFixed(2)}%`);
}

if (rank === 0) {
  await save(inner.stateDict(), 'mnist-mlp-ddp.safetensors');
  console.log('saved mnist-mlp-ddp.safetensors (same keys and shapes as the single-process program)');
}
distributed.destroy();
