/**
 * Does Hyperband find a configuration within 1 % of the best an exhaustive
 * grid finds, at a fraction of its trials and epochs? Auto MPG regression
 * (bench/tuner/autompg.ts, objective val_loss: MSE, lower is better) or,
 * with DATASET=seattle-weather, weather classification
 * (bench/tuner/seattle_weather.ts, objective val_accuracy); a Keras MLP
 * over a 64-point space (layers 1-2, units 8-64, relu/tanh, Adam learning
 * rate 0.003-0.1), maxEpochs 9 for both, Hyperband factor 3,
 * several Hyperband seeds. Everything runs in this process, one trial at a
 * time, so wall times compare.
 *
 *   pnpm exec tsx --conditions=source bench/tuner/hyperband_vs_grid.ts
 *   (SEEDS=0,1,2 MAX_EPOCHS=9 HB_ITERATIONS=2 to change; DATASET=seattle-weather
 *   for the classification task of bench/tuner/seattle_weather.ts, objective
 *   val_accuracy)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMachine, machineInfo } from '../machine.js';
import { loadAutoMpg } from './autompg.js';
import { compare, gapPercent } from './compare.js';
import { loadSeattleWeather } from './seattle_weather.js';

const seeds = (process.env.SEEDS ?? '0,1,2,3,4').split(',').map(Number);
const maxEpochs = Number(process.env.MAX_EPOCHS ?? 9);
const hyperbandIterations = Number(process.env.HB_ITERATIONS ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'duet-bench-tuner-'));
console.log(`Machine: ${formatMachine(machineInfo())}`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const dataset = process.env.DATASET ?? 'autompg';
const data = dataset === 'seattle-weather' ? loadSeattleWeather() : loadAutoMpg();
console.log(`${dataset}: ${data.rows} rows (${data.x.shape[0]} train, ${data.xVal.shape[0]} validation), ${data.features} features${data.classes ? `, ${data.classes} classes` : ''}; maxEpochs ${maxEpochs}, Hyperband factor 3, hyperbandIterations ${hyperbandIterations}, seeds ${seeds.join(',')}`);
const { grid, hyperband, direction, objective } = await compare({ data, maxEpochs, hyperbandIterations, seeds, directory: dir });
const gap = (r: typeof grid) => gapPercent(r.best, grid.best, direction);
const row = (r: typeof grid) => `| ${r.name} | ${r.trials} | ${r.configurations} | ${r.epochs} | ${r.best.toFixed(4)} | ${gap(r).toFixed(2)} % | ${r.seconds.toFixed(1)} |`;
console.log(`\n| search | trials | configurations | total epochs | best ${objective} | worse than grid by | wall s |`);
console.log('|---|---|---|---|---|---|---|');
console.log(row(grid));
for (const h of hyperband) console.log(row(h));
const within = hyperband.filter((h) => gap(h) <= 1).length;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nHyperband within 1 % of the grid's best: ${within} of ${hyperband.length} seeds. Median fractions of the grid: trials ${(med(hyperband.map((h) => h.trials)) / grid.trials).toFixed(2)}, epochs ${(med(hyperband.map((h) => h.epochs)) / grid.epochs).toFixed(2)}, wall time ${(med(hyperband.map((h) => h.seconds)) / grid.seconds).toFixed(2)}.`);
console.log(`grid best: ${JSON.stringify(grid.bestValues)}`);
for (const h of hyperband) console.log(`${h.name} best: ${JSON.stringify(h.bestValues)}`);
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
rmSync(dir, { recursive: true, force: true });
