/**
 * The tiny version of bench/tuner/hyperband_vs_grid.ts (seconds, not the
 * measurement): the Auto MPG loader and the grid-vs-Hyperband comparison
 * on 80 rows and a 4-point space.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAutoMpg } from '../bench/tuner/autompg.js';
import { compare, gapPercent, type SpaceSpec } from '../bench/tuner/compare.js';
import { loadSeattleWeather, WEATHER } from '../bench/tuner/seattle_weather.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-tuner-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench/tuner: Hyperband vs an exhaustive grid (tiny)', () => {
  it('loads Auto MPG from vega-datasets: standardised training features, the validation split held out', () => {
    const d = loadAutoMpg({ limit: 80 });
    expect(d.rows).toBe(80);
    expect(d.x.shape[0]! + d.xVal.shape[0]!).toBe(80);
    expect(d.x.shape[1]).toBe(d.features);
    const mean = d.x.mean(0).dataSync();
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(1e-4);
    expect(Math.min(...d.y.dataSync())).toBeGreaterThan(0);
  });

  it('the grid visits every point for maxEpochs each; Hyperband spends fewer epochs, within the same space', async () => {
    const space: SpaceSpec = { units: [4, 8], layers: [1, 1], learningRates: [0.01, 0.1], activations: ['relu'] };
    const { grid, hyperband } = await compare({ data: loadAutoMpg({ limit: 80 }), space, maxEpochs: 3, seeds: [0], directory: dir });
    const points = space.units.length * space.learningRates.length * space.activations.length * (space.layers[1] - space.layers[0] + 1);
    expect(grid.trials).toBe(points);
    expect(grid.configurations).toBe(points);
    expect(grid.epochs).toBe(points * 3);
    const [hb] = hyperband;
    expect(hb!.epochs).toBeLessThan(grid.epochs);
    expect(space.units).toContain(hb!.bestValues.units);
    expect(space.learningRates).toContain(hb!.bestValues.lr);
    expect(Number.isFinite(hb!.best) && Number.isFinite(grid.best)).toBe(true);
  });

  it('the classification task (Seattle weather, val_accuracy, maximised) runs the same comparison', async () => {
    const d = loadSeattleWeather({ limit: 120 });
    expect(d.classes).toBe(WEATHER.length);
    const labels = Array.from(d.y.dataSync());
    expect(labels.every((l) => Number.isInteger(l) && l >= 0 && l < WEATHER.length)).toBe(true);
    const space: SpaceSpec = { units: [4], layers: [1, 1], learningRates: [0.01, 0.1], activations: ['relu'] };
    const r = await compare({ data: d, space, maxEpochs: 2, factor: 2, seeds: [0], directory: dir });
    expect(r.objective).toBe('val_accuracy');
    expect(r.direction).toBe('max');
    expect(r.grid.trials).toBe(2);
    // For a maximised objective a lower score is worse: a positive gap.
    for (const h of r.hyperband) expect(Math.sign(gapPercent(h.best, r.grid.best, 'max'))).toBe(Math.sign(r.grid.best - h.best));
    expect(gapPercent(r.grid.best, r.grid.best, 'max')).toBe(0);
  });
});
