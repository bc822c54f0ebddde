/**
 * Hyperband against an exhaustive grid over the same discretised space, on
 * the same data, both with @duet/tuner in this process: each search's
 * trials, total epochs, best validation MSE and wall time. Shared by the
 * bench (bench/tuner/hyperband_vs_grid.ts) and its tiny test version.
 */
import * as keras from '@duet/keras';
import { manualSeed } from '@duet/core';
import { GridSearch, Hyperband, type HyperParameters, type Tuner } from '@duet/tuner';
import type { TabularTask } from './autompg.js';

export interface SpaceSpec {
  units: number[];
  layers: [number, number];
  learningRates: number[];
  activations: string[];
}

export const FULL_SPACE: SpaceSpec = { units: [8, 16, 32, 64], layers: [1, 2], learningRates: [0.003, 0.01, 0.03, 0.1], activations: ['relu', 'tanh'] };

/**
 * A Keras MLP (a regressor, or a softmax classifier when the task has
 * classes); every hyperparameter is discrete, so the grid is exhaustive.
 * Weights are seeded: one configuration trains the same in both searches.
 */
export function makeBuild(space: SpaceSpec, features: number, classes?: number) {
  return (hp: HyperParameters): keras.Model => {
    manualSeed(1234);
    const model = new keras.Sequential([keras.Input({ shape: [features] })]);
    const layers = hp.Int('layers', space.layers[0], space.layers[1])!;
    const units = hp.Choice('units', space.units)!;
    const activation = hp.Choice('activation', space.activations)!;
    for (let i = 0; i < layers; i++) model.add(new keras.layers.Dense(units, { activation }));
    const optimizer = new keras.optimizers.Adam({ learningRate: hp.Choice('lr', space.learningRates)! });
    if (classes === undefined) {
      model.add(new keras.layers.Dense(1));
      model.compile({ optimizer, loss: 'mse' });
    } else {
      model.add(new keras.layers.Dense(classes, { activation: 'softmax' }));
      model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    }
    return model;
  };
}

export interface SearchResult {
  name: string;
  trials: number;
  configurations: number;
  epochs: number;
  best: number;
  bestValues: Record<string, unknown>;
  seconds: number;
}

function summarize(name: string, tuner: Tuner, seconds: number): SearchResult {
  const trials = tuner.oracle.order.map((id) => tuner.oracle.trials.get(id)!);
  const best = tuner.bestTrials(1)[0]!;
  const configs = new Set(trials.map((t) => JSON.stringify(Object.entries(t.values).filter(([k]) => !k.startsWith('tuner/')))));
  return { name, trials: trials.length, configurations: configs.size, epochs: trials.reduce((s, t) => s + t.epochs, 0), best: best.score!, bestValues: Object.fromEntries(Object.entries(best.values).filter(([k]) => !k.startsWith('tuner/'))), seconds };
}

export interface CompareOptions {
  data: TabularTask;
  space?: SpaceSpec;
  maxEpochs: number;
  factor?: number;
  hyperbandIterations?: number;
  seeds: number[];
  directory: string;
  batchSize?: number;
}

/** How far `score` is from the grid's best, in percent, positive when worse (either direction). */
export function gapPercent(score: number, gridBest: number, direction: 'min' | 'max'): number {
  return ((direction === 'min' ? score - gridBest : gridBest - score) / Math.abs(gridBest)) * 100;
}

export async function compare(o: CompareOptions): Promise<{ grid: SearchResult; hyperband: SearchResult[]; direction: 'min' | 'max'; objective: string }> {
  const space = o.space ?? FULL_SPACE;
  const build = makeBuild(space, o.data.features, o.data.classes);
  const objective = o.data.classes === undefined ? 'val_loss' : 'val_accuracy';
  const fit = { batchSize: o.batchSize ?? 32, validationData: [o.data.xVal, o.data.yVal] as [typeof o.data.xVal, typeof o.data.yVal] };
  let t0 = performance.now();
  const grid = new GridSearch({ hypermodel: build, objective, directory: o.directory, projectName: 'grid', overwrite: true, verbose: 0 });
  await grid.search(o.data.x, o.data.y, { ...fit, epochs: o.maxEpochs });
  const gridResult = summarize('grid', grid, (performance.now() - t0) / 1000);
  const hyperband: SearchResult[] = [];
  for (const seed of o.seeds) {
    t0 = performance.now();
    const hb = new Hyperband({ hypermodel: build, objective, maxEpochs: o.maxEpochs, factor: o.factor ?? 3, hyperbandIterations: o.hyperbandIterations ?? 1, seed, directory: o.directory, projectName: `hyperband-${seed}`, overwrite: true, verbose: 0 });
    await hb.search(o.data.x, o.data.y, fit);
    hyperband.push(summarize(`hyperband seed ${seed}`, hb, (performance.now() - t0) / 1000));
  }
  return { grid: gridResult, hyperband, direction: o.data.classes === undefined ? 'min' : 'max', objective };
}
