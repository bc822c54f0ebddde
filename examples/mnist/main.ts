/**
 * `pnpm mnist`: the seed's two programs (shared SEED_PROGRAMS.md), Keras
 * style then PyTorch (nn.Module) style, trained on the real MNIST in one
 * process; then a side-by-side table, out/mnist-report.svg (loss and accuracy
 * curves) and the two trained models (out/mnist-keras.keras,
 * out/mnist-nn.safetensors). `pnpm mnist --help` lists the options.
 *
 * Ctrl-C stops within 50 training steps: the current epoch is abandoned,
 * what was done is printed, nothing is written, and the exit code is 130.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuetError, initBackend } from '@duet/core';
import { HelpRequested, OptionError, USAGE, parseOptions, type MnistOptions } from './options.js';
import type { RunResult, StopFlag } from './run.js';

const EXIT_USAGE = 2;
const EXIT_SIGINT = 130;

function options(): MnistOptions | null {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(USAGE);
      return null;
    }
    if (e instanceof OptionError) {
      console.error(`pnpm mnist: ${e.message}\n\n${USAGE}`);
      process.exitCode = EXIT_USAGE;
      return null;
    }
    throw e;
  }
}

/** Text written to a temporary file in the same folder, then renamed over the target. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

async function main(): Promise<void> {
  const opts = options();
  if (opts === null) return;
  // The engine's device is chosen before any tensor exists (and before the front ends load).
  let device: string;
  try {
    const info = initBackend(opts.device === undefined ? {} : { device: opts.device });
    device = `TensorFlow ${info.tfVersion} (${info.device})`;
  } catch (e) {
    if (!(e instanceof DuetError)) throw e;
    console.error(`pnpm mnist: ${e.message}`);
    process.exitCode = 1;
    return;
  }
  const { runKeras } = await import('./keras-run.js');
  const { runNn } = await import('./nn-run.js');
  const { table, TABLE_NOTES } = await import('./table.js');
  const { reportSvg } = await import('./chart.js');

  const stop: StopFlag = { requested: false };
  let writing = false;
  process.on('SIGINT', () => {
    // A second Ctrl-C does not wait, unless the files are being written (each save ends with a rename).
    if (stop.requested && !writing) process.exit(EXIT_SIGINT);
    if (writing) return;
    stop.requested = true;
    console.error('\nStopping: abandoning the current epoch (Ctrl-C again to quit at once)...');
  });

  const size = opts.quick ? '6000 training / 1000 test images (--quick)' : '60000 training / 10000 test images';
  console.log(`Duet on ${device}: the seed's two MLPs on MNIST, ${size}, ${opts.epochs} epoch${opts.epochs === 1 ? '' : 's'}, batch ${opts.batchSize}`);
  const runs: RunResult[] = [];

  console.log('\nKeras style (Sequential, compile, fit):');
  const k = await runKeras(opts, stop);
  runs.push(k.result);
  const n = stop.requested ? null : (console.log('\nnn.Module style (the seed loop over a DataLoader):'), await runNn(opts, stop, (l) => console.log(l)));
  if (n !== null) runs.push(n.result);

  console.log(`\n${table(runs)}\n\n${TABLE_NOTES}`);
  if (stop.requested || n === null) {
    const done = runs.map((r) => `${r.style}: ${r.seconds.length} of ${r.epochs} epochs`).join(', ');
    console.log(`\nInterrupted (${done}${runs.length < 2 ? ', nn.Module: not started' : ''}). No files written.`);
    process.exitCode = EXIT_SIGINT;
    return;
  }

  writing = true;
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const files = { keras: join(out, 'mnist-keras.keras'), nn: join(out, 'mnist-nn.safetensors'), svg: join(out, 'mnist-report.svg') };
  await k.save(files.keras);
  await n.save(files.nn);
  writeAtomic(files.svg, reportSvg(runs, `The seed's MLPs on MNIST with Duet (batch ${opts.batchSize}${opts.quick ? ', --quick' : ''})`));
  console.log(`\nWrote ${files.svg}\n      ${files.keras} (keras.models.loadModel)\n      ${files.nn} (nn's load, or safetensors.torch.load_file in Python)`);
}

await main();
