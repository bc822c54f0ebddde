/** The side-by-side table that `pnpm mnist` prints after both runs. */
import { PeakMemory, type RunResult } from './run.js';

const HEAD = ['style', 'parameters', 'epochs', 'time/epoch', 'kernels/step', 'test accuracy', 'peak native memory'];

function row(r: RunResult): string[] {
  const done = r.seconds.length;
  const mean = done === 0 ? null : r.seconds.reduce((a, b) => a + b, 0) / done;
  return [
    r.style,
    r.params.toLocaleString('en-US'),
    done === r.epochs ? String(done) : `${done} of ${r.epochs}`,
    mean === null ? '-' : `${mean.toFixed(2)} s`,
    String(r.kernelsPerStep),
    r.testAccuracy === null ? '-' : `${(r.testAccuracy * 100).toFixed(2)} %`,
    `${(r.peak.numBytes / 2 ** 20).toFixed(1)} MiB / ${r.peak.numTensors} tensors`,
  ];
}

export function table(runs: readonly RunResult[]): string {
  const rows = [HEAD, ...runs.map(row)];
  const widths = HEAD.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => `| ${cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

export const TABLE_NOTES =
  `time/epoch: mean wall time of the completed epochs. kernels/step: native TensorFlow kernels of one training step ` +
  `(core's countKernels; Keras: one trainOnBatch, which also reads the metrics back). peak native memory: the highest ` +
  `memory().numBytes / numTensors sampled every ${PeakMemory.SAMPLE_EVERY} training steps and at each epoch's end, for the ` +
  `whole process: model, optimizer slots, the step's tensors, and data held as native tensors (Keras's x/y arrays; ` +
  `the DataLoader builds each batch when it is needed).`;
