/**
 * The seed MLP's training step with and without TensorFlow's `_FusedMatMul`
 * in `linear` (issue 8). TensorFlow reads TF_ENABLE_ONEDNN_OPTS when it loads,
 * so the driver runs one child process per setting (=1, =0), alternating over
 * ROUNDS rounds; inside a child, fused and unfused blocks of STEPS steps
 * alternate 10 times on the same model, so machine noise hits both alike.
 * Prints the CPU model, the oneDNN state, the load average, kernels per step
 * and the median fused / unfused ratio of step time.
 *
 *   pnpm exec tsx --conditions=source bench/nn/fused_step.ts
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const STEPS = Number(process.env.STEPS ?? 100);

interface ChildResult {
  machine: string;
  fusedSupported: boolean;
  kernels: { fused: number; unfused: number };
  stepMs: { fused: number; unfused: number };
  ratio: number;
  denseReluUs: { fused: number; unfused: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function child(): Promise<void> {
  const { machineInfo, formatMachine } = await import('../machine.js');
  const { countKernels, randn, linear, useFusedKernels, fusedKernelsSupported } = await import('@duet/core');
  const { seedMlpStep } = await import('./seed_mlp_step.js');
  const machine = formatMachine(machineInfo());
  const step = seedMlpStep();
  // Keras's Dense(128, relu) forward + backward on the same shapes: linear(..., { activation: 'relu' }).
  const x = randn([32, 784]).keep();
  const k = randn([784, 128], { requiresGrad: true }).keep();
  const b = randn([128], { requiresGrad: true }).keep();
  const dense = () => {
    linear(x, k, b, { weightLayout: 'in_out', activation: 'relu' }).sum().backward();
    for (const t of [k, b]) {
      t.grad?.dispose();
      t.grad = null;
    }
  };
  const time = (fn: (i: number) => void, n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return (performance.now() - t0) / n;
  };
  const kernels = { fused: 0, unfused: 0 };
  const steps = { fused: [] as number[], unfused: [] as number[] };
  const denses = { fused: [] as number[], unfused: [] as number[] };
  const ratios: number[] = [];
  for (const mode of ['fused', 'unfused'] as const) {
    useFusedKernels(mode === 'fused');
    for (let i = 0; i < 30; i++) step(i); // warm-up
    kernels[mode] = countKernels(() => step(0)).kernels;
  }
  for (let r = 0; r < 10; r++) {
    const t: Record<string, number> = {};
    for (const mode of (r % 2 === 0 ? ['fused', 'unfused'] : ['unfused', 'fused']) as ('fused' | 'unfused')[]) {
      useFusedKernels(mode === 'fused');
      t[mode] = time(step, STEPS);
      steps[mode].push(t[mode]!);
      denses[mode].push(time(dense, STEPS) * 1000);
    }
    ratios.push(t.fused! / t.unfused!);
  }
  const result: ChildResult = {
    machine,
    fusedSupported: fusedKernelsSupported(),
    kernels,
    stepMs: { fused: median(steps.fused), unfused: median(steps.unfused) },
    ratio: median(ratios),
    denseReluUs: { fused: median(denses.fused), unfused: median(denses.unfused) },
  };
  console.log('FUSED_STEP ' + JSON.stringify(result));
}

function driver(): void {
  const self = fileURLToPath(import.meta.url);
  const rows: { setting: string; r: ChildResult; load: string }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const onednn of ['1', '0']) {
      const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', self, '--child'], {
        encoding: 'utf8',
        env: { ...process.env, TF_ENABLE_ONEDNN_OPTS: onednn },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = out.split('\n').find((l) => l.startsWith('FUSED_STEP '))!;
      rows.push({ setting: `TF_ENABLE_ONEDNN_OPTS=${onednn}`, r: JSON.parse(line.slice('FUSED_STEP '.length)), load: loadavg().map((l) => l.toFixed(1)).join(' ') });
    }
  }
  console.log(`Machine: ${rows[0]!.r.machine}; fused kernels supported: ${rows[0]!.r.fusedSupported}`);
  console.table(rows.map(({ setting, r, load }) => ({
    setting,
    'kernels/step fused': r.kernels.fused,
    'kernels/step unfused': r.kernels.unfused,
    'step ms fused': r.stepMs.fused.toFixed(3),
    'step ms unfused': r.stepMs.unfused.toFixed(3),
    'fused/unfused (median of 10)': r.ratio.toFixed(3),
    'Dense relu f+b us fused': r.denseReluUs.fused.toFixed(0),
    'Dense relu f+b us unfused': r.denseReluUs.unfused.toFixed(0),
    'load avg': load,
  })));
}

if (process.argv.includes('--child')) await child();
else driver();
