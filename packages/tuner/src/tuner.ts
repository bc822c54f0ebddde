/**
 * The tuner (KerasTuner's `Tuner` + `BaseTuner`): it asks its oracle for
 * trials, runs them (in this process, or each in a forked worker process
 * with its own engine, up to `maxParallel` at once), and writes every
 * trial and the oracle's state to the project folder so that `search()`
 * after a crash continues where it stopped.
 *
 * @example
 * ```ts
 * const tuner = new RandomSearch({ hypermodel: build, objective: 'val_accuracy', maxTrials: 10, directory: 'out', projectName: 'mlp' });
 * await tuner.search(x, y, { epochs: 5, validationData: [xVal, yVal] });
 * const [best] = tuner.getBestHyperparameters();
 * ```
 */
import { fork } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as keras from '@duet/keras';
import { TunerValueError } from './errors.js';
import { runKerasTrial, runNnTrial, resolveRef, kerasCheckpoint, releaseModel, trialDir, type HyperModel, type ModuleRef, type RunFunction, type TrialJob, type TrialOutcome } from './execute.js';
import { HyperParameters } from './hyperparameters/hyperparameters.js';
import type { HpValue } from './hyperparameters/hyperparameter.js';
import { Objective, toObjective } from './objective.js';
import type { Oracle, OracleState } from './oracles/oracle.js';
import { freshSeed } from './random.js';
import { readJson, writeJsonAtomic, writeTextAtomic } from './storage.js';
import { encode } from './wire.js';
import type { Trial } from './trial.js';
import type { WorkerMessage, WorkerRequest } from './worker.js';
import { resultsSummary, objectivePlotSvg } from './report.js';

export interface TunerOptions {
  /** Keras style: `build(hp)` returning a compiled model (or a module export of one, for worker processes). */
  hypermodel?: HyperModel | ModuleRef;
  /** nn style: a training function `run(hp, trial)` (or a module export of one, for worker processes). */
  run?: RunFunction | ModuleRef;
  /** A metric name ('val_loss' minimised, 'val_accuracy' maximised, ...) or an Objective. Default 'val_loss'. */
  objective?: string | Objective;
  /** Parent folder of the project. Default '.'. */
  directory?: string;
  /** The project's folder name. Default 'untitled_project'. */
  projectName?: string;
  /** Start afresh, deleting a previous project of the same name. Default false: resume it. */
  overwrite?: boolean;
  /** Seed of the oracle's random draws. */
  seed?: number;
  /** Trials run at once, each in its own worker process; capped at the core count. Default 1 (no workers). */
  maxParallel?: number;
  /** Run each trial in a worker process even when `maxParallel` is 1 (a crash then fails only that trial). Default: maxParallel > 1. */
  useWorkers?: boolean;
  /** Models trained per trial; the score is the mean of their best epochs. Default 1. */
  executionsPerTrial?: number;
  /** Hyperparameters declared ahead (an nn training function registers its own only when it first runs). */
  hyperparameters?: HyperParameters;
  /** Stop after this many failed trials in a row. Default 3. */
  maxConsecutiveFailedTrials?: number;
  /** 1 prints a line per finished trial. Default 1. */
  verbose?: 0 | 1;
}

/** nn style `search()` options. */
export interface SearchOptions {
  /** Epochs each trial should train (passed as `trial.epochs`; Hyperband sets its own). */
  epochs?: number;
}

type Style = 'keras' | 'nn';

export abstract class Tuner {
  readonly objective: Objective;
  readonly projectDir: string;
  readonly maxParallel: number;
  readonly useWorkers: boolean;
  readonly executionsPerTrial: number;
  readonly verbose: 0 | 1;
  readonly oracle: Oracle;
  protected readonly style: Style;
  private readonly ref: HyperModel | RunFunction | ModuleRef;
  private lastX: unknown = undefined;

  protected constructor(options: TunerOptions, makeOracle: (objective: Objective, seed: number) => Oracle) {
    if ((options.hypermodel === undefined) === (options.run === undefined)) {
      throw new TunerValueError('A tuner needs exactly one of `hypermodel` (Keras style: build(hp) => compiled model) and `run` (nn style: run(hp, trial) => score).');
    }
    this.style = options.hypermodel !== undefined ? 'keras' : 'nn';
    this.ref = (options.hypermodel ?? options.run)!;
    this.objective = toObjective(options.objective);
    this.projectDir = resolve(options.directory ?? '.', options.projectName ?? 'untitled_project');
    const cores = availableParallelism();
    const requested = options.maxParallel ?? 1;
    if (!Number.isInteger(requested) || requested < 1) throw new TunerValueError(`maxParallel must be a positive integer. Received: maxParallel=${String(options.maxParallel)}`);
    this.maxParallel = Math.min(requested, cores);
    this.useWorkers = options.useWorkers ?? requested > 1;
    if (this.useWorkers && typeof this.ref === 'function') {
      throw new TunerValueError(`Trials in worker processes need the ${this.style === 'keras' ? 'hypermodel' : 'run function'} as a module export, since a function cannot be sent to another process: pass { module: import.meta.url (or a path), export: '<name>' } instead of the function.`);
    }
    if (!this.useWorkers && typeof this.ref !== 'function' && process.argv[1] !== undefined && moduleUrl(this.ref.module) === pathToFileURL(resolve(process.argv[1])).href) {
      // Importing the entry module from inside its own top-level await never settles (Node exits with code 13).
      throw new TunerValueError(`The ${this.style === 'keras' ? 'hypermodel' : 'run function'} is a module reference to the program's entry module (${process.argv[1]}), which cannot be imported by the same process while it runs. Pass the function itself when trials run in this process (maxParallel 1), and the module reference only for worker processes.`);
    }
    this.executionsPerTrial = options.executionsPerTrial ?? 1;
    if (!Number.isInteger(this.executionsPerTrial) || this.executionsPerTrial < 1) throw new TunerValueError(`executionsPerTrial must be a positive integer. Received: executionsPerTrial=${String(options.executionsPerTrial)}`);
    this.verbose = options.verbose ?? 1;
    this.oracle = makeOracle(this.objective, options.seed ?? freshSeed());
    if (options.hyperparameters) {
      this.oracle.space.merge(options.hyperparameters.space);
    }
    if (options.overwrite) rmSync(this.projectDir, { recursive: true, force: true });
    else this.reload();
  }

  private get oraclePath(): string {
    return join(this.projectDir, 'oracle.json');
  }

  /** Load the project's oracle and trials from disk, if it has been saved before. */
  private reload(): void {
    const saved = readJson<{ oracle: string; objective: { name: string; direction: string }; state: OracleState }>(this.oraclePath);
    if (saved === null) return;
    if (saved.oracle !== this.oracle.constructor.name) throw new TunerValueError(`The project at ${this.projectDir} was made by ${saved.oracle}, not ${this.oracle.constructor.name}. Pass overwrite: true or another projectName.`);
    const trials = saved.state.order.map((id) => readJson<Trial>(join(trialDir(this.projectDir, id), 'trial.json'))).filter((t): t is Trial => t !== null);
    this.oracle.setState(saved.state, trials);
  }

  private saveOracle(): void {
    writeJsonAtomic(this.oraclePath, { oracle: this.oracle.constructor.name, objective: { name: this.objective.name, direction: this.objective.direction }, state: this.oracle.getState() });
  }

  private saveTrial(trial: Trial): void {
    writeJsonAtomic(join(trialDir(this.projectDir, trial.trialId), 'trial.json'), trial);
  }

  /**
   * Run the search. Keras style: `search(x, y, { epochs, validationData, ... })`
   * (the rest of `fit`'s options); nn style: `search({ epochs })`.
   */
  async search(options?: SearchOptions): Promise<void>;
  async search(x: unknown, y: unknown, options?: keras.FitOptions): Promise<void>;
  async search(a?: unknown, b?: unknown, c?: keras.FitOptions): Promise<void> {
    let x: unknown;
    let y: unknown;
    let fit: keras.FitOptions & { epochs?: number };
    if (this.style === 'keras') {
      if (a === undefined) throw new TunerValueError('search(x, y, fitOptions): the Keras style needs training data, as model.fit does.');
      [x, y, fit] = [a, b, c ?? {}];
      this.lastX = x;
    } else {
      fit = (a as SearchOptions | undefined) ?? {};
    }
    if (this.style === 'keras' && this.oracle.order.length === 0) await this.populateInitialSpace();
    // Trials that were running when a previous search stopped run again first, with the same values.
    const resumable = this.oracle.ongoing;
    const running = new Set<Promise<void>>();
    let stopped = false;
    for (;;) {
      while (!stopped && running.size < this.maxParallel) {
        let trial: Trial;
        const again = resumable.shift();
        if (again) trial = again;
        else {
          const created = this.oracle.createTrial();
          if (created.status === 'STOPPED') {
            stopped = true;
            break;
          }
          if (created.status === 'IDLE') break;
          trial = created.trial;
          this.saveTrial(trial);
          this.saveOracle();
        }
        const p: Promise<void> = this.runTrial(trial, x, y, fit).finally(() => running.delete(p));
        running.add(p);
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
  }

  /**
   * Build the model once with default values to register the space, then
   * once per conditional scope with its parent set to activate it, so the
   * oracle knows every hyperparameter before the first trial (KerasTuner's
   * `_populate_initial_space`).
   */
  private async populateInitialSpace(): Promise<void> {
    const build = await resolveRef<HyperModel>(this.ref as HyperModel | ModuleRef);
    const explored = new Set<string>();
    let forced: Record<string, HpValue> = {};
    for (let i = 0; i < 50; i++) {
      const hp = this.oracle.space.copy();
      hp.values = HyperParameters.activeValues(hp.space, forced);
      const model = await build(hp);
      if (model instanceof keras.Model) releaseModel(model);
      this.oracle.space.merge(hp.space);
      const next = this.oracle.space.space.find((h) => h.conditions.length > 0 && !explored.has(JSON.stringify(h.conditions)));
      if (next === undefined) break;
      explored.add(JSON.stringify(next.conditions));
      forced = Object.fromEntries(next.conditions.map((cond) => [cond.name, cond.values[0]!]));
    }
  }

  private async runTrial(trial: Trial, x: unknown, y: unknown, fit: keras.FitOptions & { epochs?: number }): Promise<void> {
    const job: TrialJob = {
      trialId: trial.trialId,
      values: trial.values,
      space: this.oracle.space.getConfig().space,
      projectDir: this.projectDir,
      objective: { name: this.objective.name, direction: this.objective.direction },
      executionsPerTrial: this.executionsPerTrial,
      fit,
    };
    const started = performance.now();
    const onReport = (metrics: Record<string, number[]>) => {
      trial.metrics = metrics;
      this.saveTrial(trial);
    };
    let space: HyperParameters | undefined;
    try {
      const outcome: TrialOutcome = this.useWorkers ? await this.runInWorker(job, x, y, onReport) : this.style === 'keras'
        ? await runKerasTrial(job, await resolveRef<HyperModel>(this.ref as HyperModel | ModuleRef), x, y)
        : await runNnTrial(job, await resolveRef<RunFunction>(this.ref as RunFunction | ModuleRef), onReport);
      Object.assign(trial, { status: 'COMPLETED', metrics: outcome.metrics, score: outcome.score, bestStep: outcome.bestStep, epochs: outcome.epochs, values: { ...trial.values, ...outcome.values } });
      space = HyperParameters.fromConfig({ space: outcome.space });
    } catch (e) {
      trial.status = 'FAILED';
      trial.message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    trial.seconds = (performance.now() - started) / 1000;
    this.saveTrial(trial);
    this.oracle.endTrial(trial, space);
    this.saveOracle();
    if (this.verbose) {
      const best = this.oracle.bestTrials(1)[0];
      console.log(`Trial ${trial.trialId} ${trial.status}${trial.score !== null ? ` ${this.objective.name}=${trial.score.toPrecision(5)}` : ''}${trial.message ? ` (${trial.message})` : ''} in ${trial.seconds.toFixed(1)}s; best so far: ${best ? `${best.score!.toPrecision(5)} (trial ${best.trialId})` : '-'}`);
    }
  }

  private runInWorker(job: TrialJob, x: unknown, y: unknown, onReport: (m: Record<string, number[]>) => void): Promise<TrialOutcome> {
    const ref = this.ref as ModuleRef;
    const here = fileURLToPath(import.meta.url);
    const source = here.endsWith('.ts');
    const entry = join(dirname(here), source ? 'worker.ts' : 'worker.js');
    // From the TypeScript sources (tests, examples), the worker runs through tsx with the "source" condition.
    const execArgv = source ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, '--conditions=source'] : [];
    const module = moduleUrl(ref.module);
    const { callbacks, validationData, ...fit } = job.fit;
    if (callbacks !== undefined && callbacks.length > 0) throw new TunerValueError('Callbacks cannot be sent to worker processes; run with maxParallel 1 and useWorkers false to use them.');
    return new Promise<TrialOutcome>((resolvePromise, reject) => {
      const child = fork(entry, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      let settled = false;
      child.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'report') onReport(msg.metrics);
        else if (msg.type === 'done') {
          settled = true;
          resolvePromise(msg.outcome);
        } else {
          settled = true;
          const err = new Error(msg.message);
          err.name = msg.name;
          reject(err);
        }
      });
      child.on('error', (e) => {
        if (!settled) {
          settled = true;
          reject(e);
        }
      });
      child.on('exit', (code, signal) => {
        if (settled) return;
        settled = true;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`the trial's worker process exited with ${signal ? `signal ${signal}` : `code ${code}`} before finishing${tail ? `: ${tail}` : ''}`));
      });
      const req: WorkerRequest = { job: { ...job, fit }, style: this.style, ref: { module, ...(ref.export !== undefined ? { export: ref.export } : {}) } };
      if (this.style === 'keras') Object.assign(req, encodeData(x, y, validationData));
      child.send(req);
    });
  }

  /** The `n` best trials' hyperparameters, best first (KerasTuner's `get_best_hyperparameters`). */
  getBestHyperparameters(n = 1): HyperParameters[] {
    return this.oracle.bestTrials(n).map((t) => HyperParameters.fromConfig({ space: this.oracle.space.getConfig().space, values: t.values }));
  }

  /** The `n` best trials, best first. */
  bestTrials(n = 1): Trial[] {
    return this.oracle.bestTrials(n);
  }

  /**
   * Keras style: the `n` best trials' models with their best epoch's weights
   * (KerasTuner's `get_best_models`). Yours to release (`releaseModel`).
   */
  async getBestModels(n = 1): Promise<keras.Model[]> {
    if (this.style !== 'keras') throw new TunerValueError('getBestModels() needs a Keras hypermodel; with an nn training function, load the best trial\'s checkpoint from its checkpointDir.');
    const build = await resolveRef<HyperModel>(this.ref as HyperModel | ModuleRef);
    const out: keras.Model[] = [];
    for (const [i, hp] of this.getBestHyperparameters(n).entries()) {
      const trial = this.oracle.bestTrials(n)[i]!;
      const model = await build(hp);
      if (!model.built) {
        if (this.lastX === undefined) throw new TunerValueError('getBestModels(): the model is not built (no Input shape) and this tuner has not seen data yet; call search() first or give build(hp) an Input.');
        await model.predict(this.lastX as never, { verbose: 0, steps: 1, batchSize: 1 });
      }
      await model.loadWeights(kerasCheckpoint(this.projectDir, trial.trialId));
      out.push(model);
    }
    return out;
  }

  /** A table of the best trials (KerasTuner's `results_summary`), printed and returned. */
  resultsSummary(numTrials = 10, print = true): string {
    const text = resultsSummary(this.projectDir, this.objective, this.oracle.bestTrials(numTrials), this.oracle.order.map((id) => this.oracle.trials.get(id)!));
    if (print) console.log(text);
    return text;
  }

  /** An SVG plot of the objective over trials (and the best so far), drawn by ECharts' server-side renderer; written to `path` if given. */
  plotObjective(path?: string): string {
    const svg = objectivePlotSvg(this.objective, this.oracle.order.map((id) => this.oracle.trials.get(id)!), `${this.oracle.constructor.name.replace('Oracle', '')}: ${this.objective.name} per trial`);
    if (path !== undefined) writeTextAtomic(path, svg);
    return svg;
  }

  /** Whether the project folder holds a saved search. */
  get hasSavedState(): boolean {
    return existsSync(this.oraclePath);
  }
}

function moduleUrl(module: string | URL): string {
  return module instanceof URL ? module.href : /^[a-z]+:/i.test(module) ? module : pathToFileURL(resolve(module)).href;
}

function encodeData(x: unknown, y: unknown, validationData: unknown): Pick<WorkerRequest, 'x' | 'y' | 'validationData'> {
  return { x: encode(x), y: encode(y), ...(validationData !== undefined ? { validationData: encode(validationData) } : {}) };
}
