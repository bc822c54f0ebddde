/**
 * PyTorch's per-sample Dataset idiom: `get(i)` returns rows of two tensors
 * the dataset holds (`[this.x.select(0, i), this.y.select(0, i)]`, x
 * [N, 784] float32, y [N] int32), through `DataLoader({ batchSize: 32,
 * shuffle: true })` on the main thread; against a `TensorDataset` over the
 * same tensors (which gathers a batch at once) and against PyTorch's
 * DataLoader over the same Dataset (bench/data/per_sample_loader.py, run
 * as a child process when .venv-ref exists). Epoch seconds, medians of
 * REPS (default 3), with the native kernels of one batch.
 *
 *   pnpm exec tsx --conditions=source bench/data/per_sample_loader.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Tensor, countKernels, randint, randn, scope } from '@duet/core';
import { DataLoader, Dataset, TensorDataset } from '@duet/data';

const ROWS = Number(process.env.ROWS ?? 20000);
const REPS = Number(process.env.REPS ?? 3);
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;

class Rows extends Dataset<[Tensor, Tensor]> {
  constructor(readonly x: Tensor, readonly y: Tensor) {
    super();
  }
  get length(): number {
    return this.x.shape[0]!;
  }
  get(i: number): [Tensor, Tensor] {
    return [this.x.select(0, i), this.y.select(0, i)];
  }
}

const x = randn([ROWS, 784]).keep();
const y = randint(0, 10, [ROWS]).keep();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function epochs(ds: Dataset<Tensor[]>): number[] {
  const out: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    let n = 0;
    for (const [xb] of new DataLoader(ds, { batchSize: 32, shuffle: true })) n += xb!.shape[0]!;
    if (n !== ROWS) throw new Error(`expected ${ROWS} rows, got ${n}`);
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}
const kernelsOf = (ds: Dataset<Tensor[]>) =>
  countKernels(() => scope(() => {
    const it = new DataLoader(ds, { batchSize: 32, shuffle: true })[Symbol.iterator]();
    it.next();
    it.return?.();
  })).byName;

const rows = new Rows(x, y);
const td = new TensorDataset(x, y);
epochs(rows); // warm-up
const perSample = epochs(rows);
const tensorDs = epochs(td);
let torch: { torch: string; seconds: number[] } | null = null;
if (process.env.SKIP_TORCH !== '1' && existsSync(py)) {
  const out = execFileSync(py, [new URL('./per_sample_loader.py', import.meta.url).pathname, String(ROWS), String(REPS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  torch = JSON.parse(out.trim().split('\n').pop()!);
}
console.log(`${ROWS} rows of [784] float32 + a label, batch 32, shuffle, main thread; medians of ${REPS} epochs`);
console.table([
  { loader: 'Duet, per-sample Dataset (select rows)', seconds: median(perSample).toFixed(3), runs: perSample.map((s) => s.toFixed(3)).join(' '), 'kernels/batch': JSON.stringify(kernelsOf(rows)) },
  { loader: 'Duet, TensorDataset', seconds: median(tensorDs).toFixed(3), runs: tensorDs.map((s) => s.toFixed(3)).join(' '), 'kernels/batch': JSON.stringify(kernelsOf(td)) },
  { loader: `PyTorch ${torch?.torch ?? '(not run)'}, per-sample Dataset`, seconds: torch ? median(torch.seconds).toFixed(3) : '-', runs: torch ? torch.seconds.map((s) => s.toFixed(3)).join(' ') : '-', 'kernels/batch': '-' },
]);
console.log(`per-sample Dataset / PyTorch: ${torch ? (median(perSample) / median(torch.seconds)).toFixed(2) : '-'} (lower is better); / Duet TensorDataset: ${(median(perSample) / median(tensorDs)).toFixed(2)}`);
x.dispose();
y.dispose();
