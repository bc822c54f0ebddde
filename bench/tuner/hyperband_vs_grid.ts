/**
 * Does Hyperband find a configuration within 1 % of the best an exhaustive
 * grid finds, at a fraction of its trials and epochs? Auto MPG regression
 * (bench/tuner/autompg.ts), a Keras MLP over a 64-point space (layers 1-2,
 * units 8-64, relu/tanh, Adam learning rate 0.003-0.1), objective val_loss
 * (MSE, lower is better), maxEpochs 9 for both, Hyperband factor 3,
 * several Hyperband seeds. Everything runs in this process, one trial at a
 * time, so wall times compare.
 *
 *   pnpm exec tsx --conditions=source bench/tuner/hyperband_vs_grid.ts
 *   (SEEDS=0,1,2 MAX_EPOCHS=9 HB_ITERATIONS=2 to change)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMachine, machineInfo } from '../machine.js';
import { loadAutoMpg } from './autompg.js';
import { compare } from './compare.js';

const seeds = (process.env.SEEDS ?? '0,1,2,3,4').split(',').map(Number);
const maxEpochs = Number(process.env.MAX_EPOCHS ?? 9);
const hyperbandIterations = Number(process.env.HB_ITERATIONS ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'duet-bench-tuner-'));
console.log(`Machine: ${formatMachine(machineInfo())}`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const data = loadAutoMpg();
console.log(`Auto MPG: ${data.rows} rows (${data.x.shape[0]} train, ${data.xVal.shape[0]} validation), ${data.features} features; maxEpochs ${maxEpochs}, Hyperband factor 3, hyperbandIterations ${hyperbandIterations}, seeds ${seeds.join(',')}`);
const { grid, hyperband } = await compare({ data, maxEpochs, hyperbandIterations, seeds, directory: dir });
const row = (r: typeof grid) => `| ${r.name} | ${r.trials} | ${r.configurations} | ${r.epochs} | ${r.best.toFixed(3)} | ${(((r.best - grid.best) / grid.best) * 100).toFixed(2)} % | ${r.seconds.toFixed(1)} |`;
console.log('\n| search | trials | configurations | total epochs | best val MSE | vs grid | wall s |');
console.log('|---|---|---|---|---|---|---|');
console.log(row(grid));
for (const h of hyperband) console.log(row(h));
const within = hyperband.filter((h) => h.best <= grid.best * 1.01).length;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nHyperband within 1 % of the grid's best: ${within} of ${hyperband.length} seeds. Median fractions of the grid: trials ${(med(hyperband.map((h) => h.trials)) / grid.trials).toFixed(2)}, epochs ${(med(hyperband.map((h) => h.epochs)) / grid.epochs).toFixed(2)}, wall time ${(med(hyperband.map((h) => h.seconds)) / grid.seconds).toFixed(2)}.`);
console.log(`grid best: ${JSON.stringify(grid.bestValues)}`);
for (const h of hyperband) console.log(`${h.name} best: ${JSON.stringify(h.bestValues)}`);
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
rmSync(dir, { recursive: true, force: true });
