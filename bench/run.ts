/**
 * `pnpm bench [name ...]`: runs the benchmarks one after another, each in its
 * own process (a fresh engine, no cross-talk), prints the machine first, and
 * keeps each run's output in bench/results/<date>/<name>.txt. The ratios each
 * one prints go into bench/results/latest.json (committed; a benchmark that
 * is rerun replaces its entry) with the date, machine and load average, and
 * are drawn in bench/results/latest.svg; `pnpm bench:report` then writes
 * them into the README's speed section (bench/report.ts).
 *
 *   pnpm bench                 # all of them (tens of minutes; the PyTorch
 *                              # and Keras peers run when .venv-ref exists)
 *   pnpm bench op_overhead     # one by name
 *   pnpm bench --list
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMachine, machineInfo } from './machine.js';
import { LATEST_JSON, LATEST_SVG, extractRatios, mergeLatest, ratiosSvg, readLatest, writeAtomic, type BenchEntry } from './report.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** name -> [script, extra args, env]; each script says what it measures in its header. */
const BENCHES: Record<string, [string, string[], Record<string, string>]> = {
  op_overhead: ['core/op_overhead.ts', [], {}],
  plain_loop: ['core/plain_loop.ts', [], { STEPS: '20000' }],
  inference_loop: ['core/inference_loop.ts', [], {}],
  nn_mnist: ['nn/mnist.ts', [], {}],
  nn_lstm_lm: ['nn/lstm_lm.ts', [], {}],
  keras_mnist: ['keras/mnist.ts', [], {}],
  keras_cnn: ['keras/cnn.ts', [], {}],
  cnn_kernels: ['keras/cnn_kernels.ts', [], {}],
  keras_lstm: ['keras/lstm.ts', [], {}],
  keras_tfjs_layers: ['keras/tfjs_layers.ts', [], {}],
  mnist_loader: ['data/mnist_loader.ts', ['--compare'], {}],
  image_folder_loader: ['data/image_folder_loader.ts', [], {}],
  per_sample_loader: ['data/per_sample_loader.ts', [], {}],
  serve: ['serve/load.ts', [], {}],
  compress_mnist: ['compress/mnist.ts', [], {}],
  tuner_hyperband: ['tuner/hyperband_vs_grid.ts', [], {}],
};

const args = process.argv.slice(2);
const available = Object.entries(BENCHES).filter(([, [script]]) => existsSync(join(here, script)));
if (args.includes('--list')) {
  for (const [name, [script]] of available) console.log(`${name.padEnd(20)} bench/${script}`);
  process.exit(0);
}
const unknown = args.filter((a) => !available.some(([n]) => n === a));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.map(([n]) => n).join(', ')}.`);
  process.exit(2);
}
const chosen = args.length > 0 ? available.filter(([n]) => args.includes(n)) : available;

const machine = machineInfo();
console.log(`Machine: ${formatMachine(machine)}`);
if (!existsSync(join(here, '..', '.venv-ref', 'bin', 'python'))) {
  console.log('No .venv-ref: the PyTorch and Keras peers are skipped, Duet figures only (docs/golden.md says how to make it).');
}
/**
 * Runs one benchmark script as a child process, its output shown as it comes
 * (and kept for the ratios), with a progress line every 30 s of silence so a
 * long benchmark never looks hung.
 */
function runScript(name: string, file: string, extra: string[], env: NodeJS.ProcessEnv, t0: number): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file, ...extra], {
      cwd: join(here, '..'),
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    let lastOutput = Date.now();
    child.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      process.stdout.write(c);
      lastOutput = Date.now();
    });
    const ticker = setInterval(() => {
      if (Date.now() - lastOutput < 30_000) return;
      console.log(`[${name}: running, ${((Date.now() - t0) / 1000).toFixed(0)} s so far]`);
      lastOutput = Date.now();
    }, 5_000);
    const done = (status: number | null) => {
      clearInterval(ticker);
      resolve({ status, stdout: Buffer.concat(chunks).toString('utf8') });
    };
    child.on('error', (e) => {
      console.error(`[${name}: could not start: ${e.message}]`);
      done(null);
    });
    child.on('close', (code) => done(code));
  });
}
/** Environment variables the scripts read to change what they measure (kept with each result). */
const SETTINGS = ['REPS', 'ROUNDS', 'ITERS', 'BATCHES', 'WARMUP', 'STEPS', 'CALLS', 'MODELS', 'SKIP_TORCH', 'SKIP_KERAS', 'TF_ENABLE_ONEDNN_OPTS', 'DUET_NUM_THREADS', 'DURATION_S', 'CONNECTIONS'];
const outDir = join(here, 'results', new Date().toISOString().slice(0, 19).replace(/:/g, '-'));
mkdirSync(outDir, { recursive: true });
let failed = 0;
const entries: BenchEntry[] = [];
for (const [i, [name, [script, extra, env]]] of chosen.entries()) {
  console.log(`\n[${i + 1}/${chosen.length}] ${name} (bench/${script})`);
  const t0 = Date.now();
  const loadAvgStart = loadavg().map((l) => +l.toFixed(2));
  const r = await runScript(name, join(here, script), extra, { ...process.env, ...env }, t0);
  writeFileSync(join(outDir, `${name}.txt`), r.stdout ?? '');
  if (r.status !== 0) failed++;
  const ratios = r.status === 0 ? extractRatios(r.stdout ?? '') : [];
  const settings = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([k]) => SETTINGS.includes(k))) as Record<string, string>;
  entries.push({ name, script, date: new Date(t0).toISOString(), seconds: Math.round((Date.now() - t0) / 1000), exitCode: r.status, loadAvgStart, loadAvgEnd: loadavg().map((l) => +l.toFixed(2)), machine, settings, ratios });
  for (const x of ratios) console.log(`  ratio ${x.label} = ${x.value.toFixed(3)} (${x.better} is better)`);
  // after each benchmark, so that a long run stopped half-way keeps what it measured
  const latest = mergeLatest(readLatest(), entries.slice(-1));
  writeAtomic(LATEST_JSON, JSON.stringify(latest, null, 2) + '\n');
  writeAtomic(LATEST_SVG, ratiosSvg(latest));
  console.log(`[${name}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s]`);
}
// This run alone, beside its outputs (latest.json merges it with earlier runs of the other benchmarks).
writeAtomic(`${outDir}.json`, JSON.stringify({ machine, entries }, null, 2) + '\n');
console.log(`\nOutputs in ${outDir} and ${outDir}.json; ${entries.reduce((n, e) => n + e.ratios.length, 0)} ratios into ${LATEST_JSON} and ${LATEST_SVG} (pnpm bench:report puts them in README.md)`);
process.exit(failed > 0 ? 1 : 0);
