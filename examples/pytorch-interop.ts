/**
 * Weights trained in PyTorch, run in Duet. test/golden/gen_interop.py defines
 * this MLP in PyTorch and saves one state dict twice, with
 * `safetensors.torch.save_file` (mlp.safetensors) and with `torch.save`
 * (mlp.pt), next to fixed inputs and PyTorch's outputs (interop.json).
 * The same architecture in Duet loads either file and gives PyTorch's outputs.
 *
 *   pnpm tsx --conditions=source examples/pytorch-interop.ts
 *
 * The PyTorch side (gen_interop.py):
 *
 *   class MLP(torch.nn.Module):
 *       def __init__(self):
 *           super().__init__()
 *           self.fc1 = torch.nn.Linear(4, 16)
 *           self.fc2 = torch.nn.Linear(16, 3)
 *       def forward(self, x):
 *           return self.fc2(torch.relu(self.fc1(x)))
 *   save_file(model.state_dict(), 'mlp.safetensors')
 *   torch.save(model.state_dict(), 'mlp.pt')
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noGrad, tensor, type Tensor } from '@duet/core';
import { load, nn } from '@duet/nn';

export class MLP extends nn.Module {
  fc1 = new nn.Linear(4, 16);
  fc2 = new nn.Linear(16, 3);
  forward(x: Tensor): Tensor {
    return this.fc2(this.fc1(x).relu());
  }
}

const FIXTURES = fileURLToPath(new URL('../test/interop/', import.meta.url));

interface Golden {
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}

/** Load `file` (from test/interop) into a fresh MLP and return the largest difference from PyTorch's output. */
export async function compare(file: 'mlp.safetensors' | 'mlp.pt'): Promise<{ output: number[][]; maxDiff: number }> {
  const golden = (JSON.parse(readFileSync(FIXTURES + 'interop.json', 'utf8')) as { mlp: Golden }).mlp;
  const model = new MLP();
  model.loadStateDict(await load(FIXTURES + file)); // strict: every key and shape must match
  model.eval();
  using _ = noGrad();
  const x = tensor(Float32Array.from(golden.input.data), { shape: golden.input.shape });
  const y = model(x);
  const got = y.dataSync();
  let maxDiff = 0;
  golden.output.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - got[i]!))));
  return { output: y.toArray() as number[][], maxDiff };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of ['mlp.safetensors', 'mlp.pt'] as const) {
    const { output, maxDiff } = await compare(file);
    console.log(`${file}: output[0] = [${output[0]!.map((v) => v.toFixed(6)).join(', ')}], max |Duet - PyTorch| = ${maxDiff.toExponential(2)}`);
    if (maxDiff > 1e-5) throw new Error(`${file}: Duet's output differs from PyTorch's by ${maxDiff}`);
  }
}
