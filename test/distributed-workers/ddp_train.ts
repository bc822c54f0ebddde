/**
 * The seed MLP (784-128-10, Adam lr 1e-3, cross-entropy) trained for
 * `--steps` steps of a global batch of 64, either by one process (`single`)
 * or data-parallel (`ddp`, under pnpm duet-run: 64 / world per rank through
 * DistributedSampler and DistributedDataParallel). Used by
 * test/distributed-ddp.test.ts and bench/distributed.
 *
 *   ddp_train.ts <single|ddp> --steps N --out weights.json
 *       [--save-at K --ckpt file [--stop-after-save]] [--resume file]
 *
 * Rank 0 (or the single process) writes the final weights and a few facts as
 * JSON (temporary file, then rename). Data: a fixed synthetic set drawn from
 * Generator(1234), identical in every process; the model's initial weights
 * come from manualSeed(0) on rank 0 and another seed on other ranks, so only
 * DDP's initial broadcast makes them agree.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Generator, Tensor, distributed, manualSeed, memory, tensor } from '@duet/core';
import { DataLoader, DistributedSampler, TensorDataset } from '@duet/data';
import { nn, optim } from '@duet/nn';

const argv = process.argv.slice(2);
const mode = argv[0];
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? undefined : argv[i + 1];
};
const steps = Number(opt('steps') ?? 5);
const out = opt('out');
const saveAt = opt('save-at') === undefined ? undefined : Number(opt('save-at'));
const ckpt = opt('ckpt');
const resume = opt('resume');
const GLOBAL_BATCH = 64;

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

const ddp = mode === 'ddp';
if (!ddp && mode !== 'single') throw new Error(`mode must be single or ddp, received ${mode}`);
if (ddp) distributed.init();
const rank = ddp ? distributed.getRank() : 0;
const world = ddp ? distributed.getWorldSize() : 1;

// the data: the same in every process
const n = GLOBAL_BATCH * steps;
const gen = new Generator(1234);
const xs = Float32Array.from({ length: n * 784 }, () => gen.random());
const ys = Int32Array.from({ length: n }, () => gen.randint(10));
const dataset = new TensorDataset(tensor(xs, { shape: [n, 784] }), tensor(ys, { shape: [n] }));
const sampler = new DistributedSampler(dataset, { numReplicas: world, rank, shuffle: true, seed: 5 });
const loader = new DataLoader(dataset, { batchSize: GLOBAL_BATCH / world, sampler });

manualSeed(rank === 0 ? 0 : 1000 + rank);
const inner = new MyModel();
const model = ddp ? new nn.parallel.DistributedDataParallel(inner) : inner;
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });

let start = 0;
if (resume !== undefined) start = Number(nn.parallel.loadCheckpoint(resume, { model: inner, optimizer }).step);

sampler.setEpoch(0);
let step = 0;
const tensorsAfter: number[] = [];
for (const [x, y] of loader) {
  if (step >= start) {
    const yPred = model.forward(x!);
    const loss = lossFn.forward(yPred, y!);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    tensorsAfter.push(memory().numTensors);
  }
  step++;
  if (saveAt !== undefined && step === saveAt && ckpt !== undefined) {
    nn.parallel.saveCheckpoint(ckpt, { model: inner, optimizer, extra: { step } });
    if (argv.includes('--stop-after-save')) break;
  }
}

if (rank === 0 && out !== undefined) {
  const weights = Object.fromEntries(Object.entries(inner.stateDict()).map(([k, v]) => [k, Array.from(v.dataSync())]));
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ world, steps: step, trained: tensorsAfter.length, tensorsAfter, weights }));
  renameSync(tmp, out);
}
if (ddp) distributed.destroy();
