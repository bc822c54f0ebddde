/**
 * Data-parallel throughput on this machine (issue 13): the seed MLP under
 * DistributedDataParallel with 32 samples per worker per step, for 1, 2 and
 * 4 worker processes on localhost (duet-run's `launch`), with the same
 * training in PyTorch DDP (gloo) as the peer when .venv-ref exists; then
 * the cost of one all-reduce (mean) per size, Duet (TensorFlow's
 * CollectiveReduceV2 over gRPC, plus the host copies) vs gloo.
 *
 *   pnpm exec tsx --conditions=source bench/distributed/ddp.ts
 *   NPROCS=1,2 STEPS=300 ROUNDS=3 to change; PyTorch runs 1 thread per
 *   process (TORCH_THREADS to change); the load average is printed
 *   before each run (the machine has 2 cores: no speed-up is expected).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JavaScript module without types
import { launch } from '../../scripts/duet-run.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPROCS = (process.env.NPROCS ?? '1,2,4').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PY = `${ROOT}.venv-ref/bin/python`;

interface Bench {
  world: number;
  stepsPerSec: number;
  samplesPerSec: number;
  gradMB?: number;
  allReduce: { mb: number; msMedian: number }[];
}

async function duet(n: number): Promise<Bench> {
  let line = '';
  let err = '';
  const run = await launch({
    nproc: n, script: 'bench/distributed/worker.ts', cwd: ROOT, timeoutMs: 300_000,
    onLine: (_r: number, stream: string, l: string) => {
      if (l.startsWith('BENCH ')) line = l.slice(6);
      else if (stream === 'stderr') err += `${l}\n`;
    },
  });
  if (run.exitCode !== 0 || line === '') throw new Error(`duet workers failed (${run.exitCode}): ${err.slice(-2000)}`);
  return JSON.parse(line);
}

function torch(n: number): Bench | null {
  if (!existsSync(PY)) return null;
  const r = spawnSync(PY, [`${ROOT}bench/distributed/ddp_torch.py`, String(n)], { encoding: 'utf8', env: process.env });
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (line === undefined) throw new Error(`torch peer failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(6));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

const rows: { n: number; duet: Bench[]; torch: Bench[]; loads: string[] }[] = NPROCS.map((n) => ({ n, duet: [], torch: [], loads: [] }));
for (let round = 0; round < ROUNDS; round++) {
  for (const row of rows) {
    row.loads.push(load());
    console.error(`round ${round + 1}/${ROUNDS}, ${row.n} worker(s), load ${load()}`);
    row.duet.push(await duet(row.n));
    const t = torch(row.n);
    if (t !== null) row.torch.push(t);
  }
}

const base = median(rows[0]!.duet.map((b) => b.samplesPerSec));
const tbase = rows[0]!.torch.length ? median(rows[0]!.torch.map((b) => b.samplesPerSec)) : NaN;
console.log(`\nSeed MLP, 32 samples per worker per step; medians of ${ROUNDS} rounds (runs interleaved)`);
console.log('| workers | Duet steps/s | Duet samples/s | scaling eff. | PyTorch DDP (gloo) samples/s | scaling eff. | Duet / PyTorch | load avg at start |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  const d = median(row.duet.map((b) => b.samplesPerSec));
  const ds = median(row.duet.map((b) => b.stepsPerSec));
  const t = row.torch.length ? median(row.torch.map((b) => b.samplesPerSec)) : NaN;
  const eff = (x: number, b: number) => (x / (b * row.n)).toFixed(2);
  console.log(`| ${row.n} | ${ds.toFixed(1)} | ${d.toFixed(0)} | ${eff(d, base)} | ${Number.isNaN(t) ? 'n/a' : t.toFixed(0)} | ${Number.isNaN(t) ? 'n/a' : eff(t, tbase)} | ${Number.isNaN(t) ? 'n/a' : (d / t).toFixed(2)} | ${row.loads.join('; ')} |`);
}
for (const row of rows.filter((r) => r.n > 1)) {
  console.log(`\nAll-reduce (mean) of a float32 buffer across ${row.n} workers, median ms per call (median over rounds of the per-round medians)`);
  console.log(`gradient of the seed MLP: ${row.duet[0]!.gradMB!.toFixed(2)} MB per step`);
  console.log('| MB | Duet ms | Duet ms/MB | PyTorch gloo ms | gloo ms/MB |');
  console.log('|---|---|---|---|---|');
  row.duet[0]!.allReduce.forEach(({ mb }, i) => {
    const d = median(row.duet.map((b) => b.allReduce[i]!.msMedian));
    const t = row.torch.length ? median(row.torch.map((b) => b.allReduce[i]!.msMedian)) : NaN;
    console.log(`| ${mb} | ${d.toFixed(2)} | ${(d / mb).toFixed(2)} | ${Number.isNaN(t) ? 'n/a' : t.toFixed(2)} | ${Number.isNaN(t) ? 'n/a' : (t / mb).toFixed(2)} |`);
  });
}
