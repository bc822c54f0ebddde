/**
 * Running one trial, the same way in the search process and in a worker
 * process: the Keras style builds the user's compiled model from `hp` and
 * calls `fit`, checkpointing its best epoch; the nn style calls the user's
 * training function with a `TrialContext` to report epochs on. Both
 * return each metric per epoch and the score (the objective's best epoch,
 * averaged over `executionsPerTrial` runs, as KerasTuner averages them).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as keras from '@duet/keras';
import { HyperParameters } from './hyperparameters/hyperparameters.js';
import type { HpValue, HyperParameterConfig } from './hyperparameters/hyperparameter.js';
import { Objective, type Direction } from './objective.js';
import { TunerValueError } from './errors.js';

/** Keras style: build a compiled model from the hyperparameters. */
export type HyperModel = (hp: HyperParameters) => keras.Model | Promise<keras.Model>;
/** nn style: train with the hyperparameters; return the objective's value (or a record of metrics), or report them per epoch. */
export type RunFunction = (hp: HyperParameters, trial: TrialContext) => number | Record<string, number> | void | Promise<number | Record<string, number> | void>;
/** A function exported by a module, which worker processes can import (a function value cannot cross a process). */
export interface ModuleRef {
  /** A path or file URL of the module. */
  module: string | URL;
  /** The export's name. Default 'default'. */
  export?: string;
}

/** What a training function gets besides `hp`. */
export interface TrialContext {
  readonly trialId: string;
  /** Epochs to train to: Hyperband's `tuner/epochs`, else `search({ epochs })`, else null. */
  readonly epochs: number | null;
  /** Epoch to start from (Hyperband rounds after the first continue a previous trial). */
  readonly initialEpoch: number;
  /** A folder of this trial for its checkpoint (created). Save the model state here to let Hyperband continue it. */
  readonly checkpointDir: string;
  /** The checkpoint folder of the trial this one continues (Hyperband's `tuner/trial_id`), or null. */
  readonly resumeFrom: string | null;
  /** Record an epoch's metrics (a number is the objective's value). */
  report(logs: Record<string, number> | number): void;
}

export interface TrialJob {
  trialId: string;
  values: Record<string, HpValue>;
  space: HyperParameterConfig[];
  projectDir: string;
  objective: { name: string; direction: Direction };
  executionsPerTrial: number;
  /** nn style: search({ epochs }). Keras style: the fit options (without callbacks when sent to a worker). */
  fit: keras.FitOptions & { epochs?: number };
}

export interface TrialOutcome {
  metrics: Record<string, number[]>;
  score: number;
  bestStep: number;
  epochs: number;
  values: Record<string, HpValue>;
  space: HyperParameterConfig[];
}

export function trialDir(projectDir: string, trialId: string): string {
  return join(projectDir, `trial_${trialId}`);
}

export function kerasCheckpoint(projectDir: string, trialId: string): string {
  return join(trialDir(projectDir, trialId), 'checkpoint.weights.h5');
}

export async function resolveRef<F>(ref: F | ModuleRef): Promise<F> {
  if (typeof ref === 'function') return ref;
  const r = ref as ModuleRef;
  const url = r.module instanceof URL ? r.module.href : /^[a-z]+:/i.test(r.module) ? r.module : pathToFileURL(r.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const fn = mod[r.export ?? 'default'];
  if (typeof fn !== 'function') throw new TunerValueError(`Module ${url} has no function export "${r.export ?? 'default'}". Its exports: ${Object.keys(mod).join(', ') || '(none)'}`);
  return fn as F;
}

/** Free a model's weights, optimizer slots and metric states (a tuner builds many). */
export function releaseModel(model: keras.Model): void {
  for (const [, metric] of model.compiled?.trackers() ?? []) metric.dispose();
  for (const t of model.optimizer?.variables ?? []) t.dispose();
  for (const w of model.weights) w.dispose();
}

function averageScore(bests: number[]): number {
  return bests.reduce((s, v) => s + v, 0) / bests.length;
}

function missingObjective(name: string, metrics: Record<string, number[]>): TunerValueError {
  return new TunerValueError(`The objective "${name}" is not among the metrics the trial produced: ${Object.keys(metrics).join(', ') || '(none)'}. For a val_ objective pass validationData (Keras) or report it (nn).`);
}

export async function runKerasTrial(job: TrialJob, build: HyperModel, x: unknown, y: unknown): Promise<TrialOutcome> {
  const objective = new Objective(job.objective.name, job.objective.direction);
  const hp = HyperParameters.fromConfig({ space: job.space, values: job.values });
  mkdirSync(trialDir(job.projectDir, job.trialId), { recursive: true });
  const epochs = (job.values['tuner/epochs'] as number | undefined) ?? job.fit.epochs ?? 1;
  const initialEpoch = (job.values['tuner/initial_epoch'] as number | undefined) ?? job.fit.initialEpoch ?? 0;
  const past = job.values['tuner/trial_id'] as string | undefined;
  const bests: number[] = [];
  let first: { metrics: Record<string, number[]>; bestStep: number } | null = null;
  for (let e = 0; e < job.executionsPerTrial; e++) {
    const model = await build(hp);
    if (!(model instanceof keras.Model)) throw new TunerValueError(`build(hp) must return a compiled keras Model. Received: ${String(model)}`);
    try {
      if (past !== undefined) {
        if (!model.built) await model.predict(x as never, { verbose: 0, steps: 1, batchSize: 1 });
        await model.loadWeights(kerasCheckpoint(job.projectDir, past));
      }
      const callbacks = [...(job.fit.callbacks ?? [])];
      if (e === 0) callbacks.push(new keras.callbacks.ModelCheckpoint(kerasCheckpoint(job.projectDir, job.trialId), { monitor: objective.name, mode: objective.direction, saveBestOnly: true, saveWeightsOnly: true }));
      const history = await model.fit(x as never, y as never, { ...job.fit, epochs, initialEpoch, callbacks, verbose: job.fit.verbose ?? 0 });
      const metrics = history.history;
      const best = objective.best(metrics[objective.name] ?? []);
      if (!(objective.name in metrics)) throw missingObjective(objective.name, metrics);
      if (best === null) throw new TunerValueError(`The objective "${objective.name}" was never finite in the trial: ${JSON.stringify(metrics[objective.name])}`);
      bests.push(best.value);
      first ??= { metrics, bestStep: best.step };
    } finally {
      releaseModel(model);
    }
  }
  return { metrics: first!.metrics, score: averageScore(bests), bestStep: first!.bestStep, epochs: (epochs - initialEpoch) * job.executionsPerTrial, values: { ...hp.values }, space: hp.getConfig().space };
}

export async function runNnTrial(job: TrialJob, run: RunFunction, onReport?: (metrics: Record<string, number[]>) => void): Promise<TrialOutcome> {
  const objective = new Objective(job.objective.name, job.objective.direction);
  const hp = HyperParameters.fromConfig({ space: job.space, values: job.values });
  const epochs = (job.values['tuner/epochs'] as number | undefined) ?? job.fit.epochs ?? null;
  const initialEpoch = (job.values['tuner/initial_epoch'] as number | undefined) ?? 0;
  const past = job.values['tuner/trial_id'] as string | undefined;
  const checkpointDir = join(trialDir(job.projectDir, job.trialId), 'checkpoint');
  mkdirSync(checkpointDir, { recursive: true });
  const bests: number[] = [];
  let first: { metrics: Record<string, number[]>; bestStep: number } | null = null;
  let reportedEpochs = 0;
  for (let e = 0; e < job.executionsPerTrial; e++) {
    const metrics: Record<string, number[]> = {};
    const ctx: TrialContext = {
      trialId: job.trialId, epochs, initialEpoch, checkpointDir,
      resumeFrom: past === undefined ? null : join(trialDir(job.projectDir, past), 'checkpoint'),
      report(logs) {
        const rec = typeof logs === 'number' ? { [objective.name]: logs } : logs;
        for (const [k, v] of Object.entries(rec)) {
          if (typeof v !== 'number') throw new TunerValueError(`trial.report: metric "${k}" must be a number. Received: ${JSON.stringify(v)}`);
          (metrics[k] ??= []).push(v);
        }
        if (e === 0) onReport?.(metrics);
      },
    };
    const result = await run(hp, ctx);
    if (typeof result === 'number') {
      // A returned number is the score; it is also the objective's only value when none was reported.
      if (!(objective.name in metrics)) metrics[objective.name] = [result];
    } else if (result && typeof result === 'object') for (const [k, v] of Object.entries(result)) if (!(k in metrics)) metrics[k] = [v];
    if (!(objective.name in metrics)) throw missingObjective(objective.name, metrics);
    const best = typeof result === 'number' ? { value: result, step: metrics[objective.name]!.length - 1 } : objective.best(metrics[objective.name]!);
    if (best === null || !Number.isFinite(best.value)) throw new TunerValueError(`The objective "${objective.name}" was never finite in the trial: ${JSON.stringify(metrics[objective.name])}`);
    bests.push(best.value);
    first ??= { metrics, bestStep: best.step };
    reportedEpochs += Math.max(1, ...Object.values(metrics).map((v) => v.length));
  }
  return { metrics: first!.metrics, score: averageScore(bests), bestStep: first!.bestStep, epochs: reportedEpochs, values: { ...hp.values }, space: hp.getConfig().space };
}
