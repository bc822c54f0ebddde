/**
 * The levers on the seed MLP's training step on any CPU (issue 8): the
 * intra-op thread count, the kernels per step, and the dispatch cost of tiny
 * kernels. TensorFlow reads TF_ENABLE_ONEDNN_OPTS and the thread count when it
 * loads, so the driver runs one child process per setting, alternating
 * settings over ROUNDS rounds so that machine noise hits them alike, and
 * prints medians with the CPU model and oneDNN state.
 *
 *   pnpm exec tsx --conditions=source bench/core/step_levers.ts
 *
 * Measured in each child (pre-batched synthetic MNIST-shaped data, batch 32):
 * - step: one seed-MLP training step (784-128-10, relu, cross-entropy, Adam), ms;
 * - kernels per step (core's countKernels) and the kernel wall time by name;
 * - adam1k: one ResourceApplyAdam on a 1k-element parameter, us;
 * - add32x128: one 32x128 AddV2, us; matmul: the 32x784x128 MatMul, us.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const STEPS = Number(process.env.STEPS ?? 400);

interface ChildResult {
  cpu: string;
  onednn: string;
  threads: number | null;
  stepMs: number;
  kernels: number;
  topKernels: [string, number][];
  adam1kUs: number;
  add32x128Us: number;
  matmulUs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function child(): Promise<void> {
  const { machineInfo } = await import('../machine.js');
  const { countKernels, randn, adamStep_, slotLike, backendInfo, linear } = await import('@duet/core');
  const { seedMlpStep } = await import('../nn/seed_mlp_step.js');
  const info = machineInfo();
  const step = seedMlpStep();
  for (let i = 0; i < 50; i++) step(i); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < STEPS / 5; i++) step(i);
    times.push((performance.now() - t0) / (STEPS / 5));
  }
  // Kernels of one step, and their wall time per step averaged over 20 steps (one step alone is too noisy).
  const counted = countKernels(() => step(0));
  const profiled = countKernels(() => { for (let i = 0; i < 20; i++) step(i); });
  const top = Object.entries(profiled.microsByName).map(([k, us]) => [k, us / 20] as [string, number]).sort((a, b) => b[1] - a[1]).slice(0, 5);

  const timeUs = (fn: () => void, n: number) => {
    for (let i = 0; i < 50; i++) fn();
    const rs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      rs.push(((performance.now() - t0) * 1000) / n);
    }
    return median(rs);
  };
  const p = randn([1000]).keep();
  const g = randn([1000]).keep();
  const m = slotLike(p);
  const v = slotLike(p);
  let t = 0;
  const adam1kUs = timeUs(() => adamStep_([p], [g], [m], [v], { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: ++t, epsMode: 'torch' }), 2000);
  const a = randn([32, 128]).keep();
  const b = randn([32, 128]).keep();
  const add32x128Us = timeUs(() => a.add(b).dispose(), 2000);
  const x = randn([32, 784]).keep();
  const w = randn([128, 784]).keep();
  const matmulUs = timeUs(() => linear(x, w).dispose(), 1000);
  const out: ChildResult = {
    cpu: info.cpu, onednn: info.onednn, threads: backendInfo().threads,
    stepMs: median(times), kernels: counted.kernels, topKernels: top, adam1kUs, add32x128Us, matmulUs,
  };
  console.log(JSON.stringify(out));
}

function driver(): void {
  const settings = [
    { name: 'oneDNN=1, threads default', env: { TF_ENABLE_ONEDNN_OPTS: '1' } },
    { name: 'oneDNN=1, threads 1', env: { TF_ENABLE_ONEDNN_OPTS: '1', DUET_NUM_THREADS: '1' } },
    { name: 'oneDNN=0, threads default', env: { TF_ENABLE_ONEDNN_OPTS: '0' } },
    { name: 'oneDNN=0, threads 1', env: { TF_ENABLE_ONEDNN_OPTS: '0', DUET_NUM_THREADS: '1' } },
  ];
  const results = new Map<string, ChildResult[]>(settings.map((s) => [s.name, []]));
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of settings) {
      const text = execFileSync(process.execPath, [...process.execArgv, self, '--child'], { env: { ...process.env, ...s.env }, encoding: 'utf8' });
      const line = text.trim().split('\n').pop()!;
      results.get(s.name)!.push(JSON.parse(line) as ChildResult);
    }
  }
  const first = [...results.values()][0]![0]!;
  console.log(`CPU: ${first.cpu}; load average at the end: ${(globalThis.process.platform === 'linux' ? execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim() : 'n/a')}`);
  console.log(`seed MLP step (batch 32, Adam), medians of ${ROUNDS} child processes per setting (each the median of 5 x ${STEPS / 5} steps):`);
  console.log('| setting | oneDNN reported | step ms | kernels/step | Adam 1k us | add 32x128 us | matmul 32x784x128 us |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, rs] of results) {
    const med = (f: (c: ChildResult) => number) => median(rs.map(f));
    console.log(`| ${name} | ${rs[0]!.onednn} | ${med((c) => c.stepMs).toFixed(2)} | ${rs[0]!.kernels} | ${med((c) => c.adam1kUs).toFixed(0)} | ${med((c) => c.add32x128Us).toFixed(0)} | ${med((c) => c.matmulUs).toFixed(0)} |`);
  }
  for (const [name, rs] of results) {
    console.log(`${name}: largest kernel wall times per step (us, mean of 20 steps, first process): ${rs[0]!.topKernels.map(([k, us]) => `${k} ${us.toFixed(0)}`).join(', ')}`);
  }
}

if (process.argv.includes('--child')) await child();
else driver();
