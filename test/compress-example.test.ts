/**
 * examples/compress-mnist.ts end to end in a child process, as a user runs
 * it (TRAIN_LIMIT=2000 into a temporary folder): the int8 file is under 0.3
 * of the float file with accuracy within 0.5 points, the pruned layers have
 * the sparsity asked for overall, and the Keras part runs. Nothing here
 * reads timings or TensorFlow's stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('examples/compress-mnist.ts: int8 file < 0.3 of float within 0.5 points; pruning; distillation in both styles', () => {
  const out = mkdtempSync(join(tmpdir(), 'duet-compress-ex-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', 'examples/compress-mnist.ts'], {
      cwd: ROOT,
      env: { ...process.env, TRAIN_LIMIT: '2000', OUT_DIR: out },
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stdout).toBe(0);
    const num = (re: RegExp) => Number(re.exec(r.stdout)?.[1]);
    const floatAcc = num(/float: .*test accuracy ([\d.]+)%/);
    const int8Ratio = num(/int8: .*\(([\d.]+) of float\)/);
    const int8Acc = num(/int8: .*accuracy ([\d.]+)%/);
    expect(int8Ratio).toBeLessThan(0.3);
    expect(Math.abs(int8Acc - floatAcc)).toBeLessThanOrEqual(0.5);
    expect(floatAcc).toBeGreaterThan(50);
    expect(r.stdout).toMatch(/pruned: +sparsity per layer/);
    expect(r.stdout).toMatch(/keras distilled student accuracy [\d.]+%/);
    expect(num(/keras pruned: ([\d.]+)% of kernel weights zero/)).toBeGreaterThanOrEqual(80);
    expect(existsSync(join(out, 'mlp.int8.safetensors'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
