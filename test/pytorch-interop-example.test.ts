/**
 * examples/pytorch-interop.ts: an MLP defined and saved in PyTorch
 * (test/golden/gen_interop.py) loads in Duet from safetensors and from
 * torch.save, and gives PyTorch's outputs; the example also runs as a program.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compare } from '../examples/pytorch-interop.js';

describe('examples/pytorch-interop.ts', () => {
  it.each(['mlp.safetensors', 'mlp.pt'] as const)('%s gives PyTorch\'s outputs within 1e-5', async (file) => {
    const { output, maxDiff } = await compare(file);
    expect(output.length).toBe(5);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it('runs as a program', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const out = execFileSync('pnpm', ['exec', 'tsx', '--conditions=source', 'examples/pytorch-interop.ts'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/mlp\.safetensors: .* max \|Duet - PyTorch\| = /);
    expect(out).toMatch(/mlp\.pt: .* max \|Duet - PyTorch\| = /);
  });
});
