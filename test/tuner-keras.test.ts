/**
 * @duet/tuner with a Keras `build(hp)` and with an nn training function,
 * in this process: the trials train real models; Hyperband's promoted
 * trials continue from their parent's best checkpoint; the best model
 * comes back with its weights; the summary table and the SVG plot show
 * every trial; native memory stays flat over a search.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as keras from '@duet/keras';
import { nn, optim, saveSync, loadSync } from '@duet/nn';
import { manualSeed, memory, noGrad, randn, type Tensor } from '@duet/core';
import { BayesianOptimization, Hyperband, HyperParameters, Objective, RandomSearch, TunerValueError, releaseModel, type TrialContext } from '@duet/tuner';

const root = mkdtempSync(join(tmpdir(), 'duet-tuner-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function data(n: number, seed: number): [Tensor, Tensor] {
  manualSeed(seed);
  const x = randn([n, 4]);
  const y = x.matmul(randn([4, 1])).gt(0).float();
  return [x.keep(), y.keep()];
}
const [x, y] = data(64, 0);
const [xVal, yVal] = data(32, 1);

function build(hp: HyperParameters): keras.Model {
  const model = new keras.Sequential([keras.Input({ shape: [4] })]);
  model.add(new keras.layers.Dense(hp.Int('units', 2, 16, { step: 2 })!, { activation: hp.Choice('activation', ['relu', 'tanh'])! }));
  if (hp.Boolean('second')) hp.conditionalScope('second', true, () => model.add(new keras.layers.Dense(hp.Int('units2', 2, 8)!, { activation: 'relu' })));
  model.add(new keras.layers.Dense(1, { activation: 'sigmoid' }));
  model.compile({ optimizer: new keras.optimizers.Adam({ learningRate: hp.Float('lr', 1e-3, 1e-1, { sampling: 'log' })! }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return model;
}

describe('Keras style: build(hp) => compiled model', () => {
  it('RandomSearch runs maxTrials trials, registers the conditional space up front, and returns the best model with its best weights', async () => {
    const tuner = new RandomSearch({ hypermodel: build, objective: 'val_accuracy', maxTrials: 4, seed: 3, directory: root, projectName: 'random', verbose: 0 });
    await tuner.search(x, y, { epochs: 3, batchSize: 16, validationData: [xVal, yVal] });
    const trials = tuner.oracle.order.map((id) => tuner.oracle.trials.get(id)!);
    expect(trials).toHaveLength(4);
    expect(trials.every((t) => t.status === 'COMPLETED')).toBe(true);
    // The conditional child was found before the first trial (the initial space population builds each scope).
    expect(tuner.oracle.space.space.map((h) => h.name).sort()).toEqual(['activation', 'lr', 'second', 'units', 'units2']);
    for (const t of trials) {
      expect(t.metrics.val_accuracy).toHaveLength(3);
      expect(t.score).toBe(Math.max(...t.metrics.val_accuracy!));
      expect('units2' in t.values).toBe(t.values.second === true);
    }
    const [bestHp] = tuner.getBestHyperparameters();
    const best = tuner.bestTrials(1)[0]!;
    expect(bestHp!.values).toEqual(best.values);
    expect(Math.max(...trials.map((t) => t.score!))).toBe(best.score);
    const [model] = await tuner.getBestModels(1);
    const [, acc] = (await model!.evaluate(xVal, yVal, { verbose: 0 })) as number[];
    expect(acc).toBeCloseTo(best.score!, 5);
    releaseModel(model!);

    const table = tuner.resultsSummary(10, false);
    for (const t of trials) expect(table).toContain(t.trialId);
    expect(table).toContain('Objective(name="val_accuracy", direction="max")');
    const svgPath = join(root, 'random.svg');
    const svg = tuner.plotObjective(svgPath);
    expect(readFileSync(svgPath, 'utf8')).toBe(svg);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('best so far (max)');
  });

  it("Hyperband's promoted trials start from their parent's best-epoch checkpoint and train only the remaining epochs", async () => {
    // A callback records each fit's weights as training begins (trials run in order in this process).
    const startWeights: Float32Array[][] = [];
    class Recorder extends keras.callbacks.Callback {
      override onTrainBegin(): void {
        startWeights.push(this.model!.weights.map((w) => (w.dataSync() as Float32Array).slice()));
      }
    }
    const tuner = new Hyperband({ hypermodel: build, objective: new Objective('val_loss', 'min'), maxEpochs: 4, factor: 2, seed: 0, directory: root, projectName: 'hyperband', verbose: 0 });
    await tuner.search(x, y, { batchSize: 16, validationData: [xVal, yVal], callbacks: [new Recorder()] });
    const trials = tuner.oracle.order.map((id) => tuner.oracle.trials.get(id)!);
    expect(startWeights).toHaveLength(trials.length);
    const promoted = trials.filter((t) => t.values['tuner/trial_id'] !== undefined);
    expect(promoted.length).toBeGreaterThan(0);
    for (const t of promoted) {
      const parent = tuner.oracle.trials.get(t.values['tuner/trial_id'] as string)!;
      expect(t.metrics.val_loss).toHaveLength((t.values['tuner/epochs'] as number) - (t.values['tuner/initial_epoch'] as number));
      expect(t.epochs).toBe(t.metrics.val_loss!.length);
      // The parent's checkpoint holds its best epoch: evaluated, it gives the parent's score ...
      const m = build(HyperParameters.fromConfig({ space: tuner.oracle.space.getConfig().space, values: parent.values }));
      await m.loadWeights(join(root, 'hyperband', `trial_${parent.trialId}`, 'checkpoint.weights.h5'));
      const [valLoss] = (await m.evaluate(xVal, yVal, { verbose: 0 })) as number[];
      expect(valLoss).toBeCloseTo(parent.score!, 5);
      // ... and the promoted trial's training started from exactly those weights.
      const loaded = m.weights.map((w) => Array.from(w.dataSync()));
      expect(startWeights[trials.indexOf(t)]!.map((w) => Array.from(w))).toEqual(loaded);
      releaseModel(m);
    }
  });

  it('BayesianOptimization runs in Keras style, and a search holds native memory flat', async () => {
    const tuner = new BayesianOptimization({ hypermodel: build, objective: 'val_loss', maxTrials: 3, numInitialPoints: 2, seed: 1, directory: root, projectName: 'bo', verbose: 0 });
    await tuner.search(x, y, { epochs: 1, batchSize: 32, validationData: [xVal, yVal] });
    const round = async () => {
      const again = new RandomSearch({ hypermodel: build, objective: 'val_loss', maxTrials: 3, seed: 9, directory: root, projectName: 'leak', overwrite: true, verbose: 0 });
      await again.search(x, y, { epochs: 2, batchSize: 32, validationData: [xVal, yVal] });
    };
    await round();
    const before = memory().numTensors;
    await round();
    await round();
    expect(memory().numTensors - before).toBe(0);
    expect(tuner.oracle.completed).toHaveLength(3);
  });

  it('an objective the trial never reports fails the trial with a typed message naming the metrics it has', async () => {
    const tuner = new RandomSearch({ hypermodel: build, objective: 'val_accuracy', maxTrials: 1, seed: 1, directory: root, projectName: 'noval', verbose: 0 });
    await tuner.search(x, y, { epochs: 1 });
    const [t] = tuner.oracle.order.map((id) => tuner.oracle.trials.get(id)!);
    expect(t!.status).toBe('FAILED');
    expect(t!.message).toMatch(/objective "val_accuracy" is not among the metrics the trial produced: (loss, accuracy|accuracy, loss)\./);
    expect(() => new RandomSearch({ run: () => 0, objective: 'val_wobble', directory: root })).toThrow(/Could not infer the direction of objective "val_wobble"/);
    expect(() => new RandomSearch({ directory: root } as never)).toThrow(TunerValueError);
    expect(() => new RandomSearch({ run: () => 0, maxParallel: 2, directory: root })).toThrow(/need the run function as a module export/);
  });
});

describe('nn style: run(hp, trial) => score', () => {
  it('trains an nn.Module per trial, reports each epoch, and Hyperband hands out epochs and the checkpoint to resume', async () => {
    const calls: { epochs: number | null; initialEpoch: number; resumed: boolean }[] = [];
    const run = async (hp: HyperParameters, trial: TrialContext) => {
      manualSeed(0);
      const hidden = hp.Int('hidden', 2, 8)!;
      const model = new nn.Sequential(new nn.Linear(4, hidden), new nn.ReLU(), new nn.Linear(hidden, 1));
      const ckpt = join(trial.checkpointDir, 'model.safetensors');
      const resumed = trial.resumeFrom !== null && existsSync(join(trial.resumeFrom, 'model.safetensors'));
      if (resumed) {
        const sd = loadSync(join(trial.resumeFrom!, 'model.safetensors'));
        model.loadStateDict(sd);
        for (const [k, t] of Object.entries(sd)) if (k !== "__metadata__") (t as Tensor).dispose();
      }
      calls.push({ epochs: trial.epochs, initialEpoch: trial.initialEpoch, resumed });
      const opt = new optim.SGD(model.parameters(), { lr: hp.Float('lr', 1e-2, 0.5, { sampling: 'log' })! });
      const lossFn = new nn.BCEWithLogitsLoss();
      for (let epoch = trial.initialEpoch; epoch < trial.epochs!; epoch++) {
        opt.zeroGrad();
        lossFn.forward(model.forward(x), y).backward();
        opt.step();
        const valLoss = noGrad(() => lossFn.forward(model.forward(xVal), yVal).item());
        trial.report({ val_loss: valLoss });
      }
      saveSync(model.stateDict(), ckpt);
      for (const p of model.parameters()) p.dispose();
    };
    const tuner = new Hyperband({ run, objective: 'val_loss', maxEpochs: 4, factor: 2, seed: 2, directory: root, projectName: 'nn', verbose: 0 });
    await tuner.search();
    const trials = tuner.oracle.order.map((id) => tuner.oracle.trials.get(id)!);
    expect(trials.every((t) => t.status === 'COMPLETED')).toBe(true);
    expect(calls).toHaveLength(trials.length);
    trials.forEach((t, i) => {
      expect(calls[i]!.epochs).toBe(t.values['tuner/epochs']);
      expect(calls[i]!.resumed).toBe(t.values['tuner/trial_id'] !== undefined);
      expect(t.metrics.val_loss).toHaveLength((t.values['tuner/epochs'] as number) - (t.values['tuner/initial_epoch'] as number));
    });
    // The nn function registered its hyperparameters lazily: the first trial ran with the defaults, later ones sampled.
    expect(tuner.oracle.space.space.map((h) => h.name)).toEqual(['hidden', 'lr']);
  });

  it('a returned number is the score; a thrown error fails only that trial', async () => {
    const run = (hp: HyperParameters) => {
      const v = hp.Float('v', 0, 1)!;
      if (v > 0.8) throw new RangeError(`v too large: ${v}`);
      return (v - 0.3) ** 2;
    };
    const tuner = new RandomSearch({ run, objective: new Objective('score', 'min'), maxTrials: 12, seed: 4, directory: root, projectName: 'ret', verbose: 0, maxConsecutiveFailedTrials: 12 });
    await tuner.search();
    const trials = tuner.oracle.order.map((id) => tuner.oracle.trials.get(id)!);
    expect(trials).toHaveLength(12);
    for (const t of trials) {
      if ((t.values.v as number) > 0.8) {
        expect(t.status).toBe('FAILED');
        expect(t.message).toMatch(/^RangeError: v too large/);
      } else expect(t.score).toBe(((t.values.v as number) - 0.3) ** 2);
    }
    expect(trials.some((t) => t.status === 'FAILED')).toBe(true);
  });
});
