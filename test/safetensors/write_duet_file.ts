/**
 * Writes test/safetensors/duet_written.safetensors: the state dict of a small
 * Duet model (Linear + BatchNorm1d + Linear, after three training-mode
 * forward passes) that test/golden/gen_nn_train.py loads into the same
 * PyTorch model with `load_state_dict(strict=True)`.
 *
 *   pnpm exec tsx --conditions=source test/safetensors/write_duet_file.ts
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, randn, type Tensor } from '@duet/core';
import { nn, save } from '../../packages/nn/src/index.js';

/** The same architecture as `Small` in gen_nn_train.py. */
export class Small extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  bn = new nn.BatchNorm1d(3);
  fc2 = new nn.Linear(3, 2);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.bn.forward(this.fc1.forward(x)).relu());
  }
}

async function main(): Promise<void> {
  manualSeed(7);
  const model = new Small();
  for (let i = 0; i < 3; i++) model.forward(randn([8, 4]));
  const path = join(dirname(fileURLToPath(import.meta.url)), 'duet_written.safetensors');
  await save(model.stateDict(), path, { metadata: { format: 'pt', writer: 'duet' } });
  console.log(`wrote ${path}: ${Object.keys(model.stateDict()).join(', ')}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
