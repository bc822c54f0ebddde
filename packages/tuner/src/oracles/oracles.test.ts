/**
 * The oracles on their own, with a score function in place of training:
 * Hyperband's brackets and rounds (KerasTuner's HyperbandOracle), random
 * and grid coverage, the Gaussian process, and Bayesian optimisation.
 */
import { describe, expect, it } from 'vitest';
import {
  HyperParameters, Objective, HyperbandOracle, RandomSearchOracle, GridSearchOracle, BayesianOptimizationOracle, GaussianProcess, TunerValueError, type Oracle, type Trial,
} from '../index.js';

function space(): HyperParameters {
  const hp = new HyperParameters();
  hp.Int('units', 1, 64);
  hp.Float('lr', 1e-4, 1, { sampling: 'log' });
  return hp;
}

/** A smooth bowl whose minimum is at units=40, lr=1e-2, plus a bonus for longer training. */
function score(t: Trial): number {
  const epochs = (t.values['tuner/epochs'] as number | undefined) ?? 1;
  return ((t.values.units as number) - 40) ** 2 / 400 + (Math.log10(t.values.lr as number) + 2) ** 2 + 1 / epochs;
}

/** Run an oracle to the end, completing trials in creation order (or `parallel` at a time). */
function drive(oracle: Oracle, f = score, parallel = 1): Trial[] {
  const running: Trial[] = [];
  for (;;) {
    while (running.length < parallel) {
      const c = oracle.createTrial();
      if (c.status !== 'RUNNING') break;
      running.push(c.trial);
    }
    const t = running.shift();
    if (t === undefined) break;
    oracle.endTrial({ ...t, status: 'COMPLETED', score: f(t) });
  }
  return oracle.order.map((id) => oracle.trials.get(id)!);
}

const min = new Objective('loss', 'min');

describe('HyperbandOracle', () => {
  for (const [maxEpochs, factor] of [[9, 3], [27, 3], [10, 2], [81, 3]] as const) {
    it(`maxEpochs=${maxEpochs}, factor=${factor}: KerasTuner's brackets, round sizes, epochs and promotions`, () => {
      const oracle = new HyperbandOracle({ objective: min, seed: 1, maxEpochs, factor });
      oracle.space = space();
      const trials = drive(oracle);
      const brackets = oracle.numBrackets();
      // brackets = floor(log_factor(maxEpochs)) + 1
      expect(factor ** (brackets - 1)).toBeLessThanOrEqual(maxEpochs);
      expect(factor ** brackets).toBeGreaterThan(maxEpochs);
      let expected = 0;
      for (let b = brackets - 1; b >= 0; b--) {
        for (let r = 0; r <= b; r++) {
          const here = trials.filter((t) => t.values['tuner/bracket'] === b && t.values['tuner/round'] === r);
          expect(here, `bracket ${b} round ${r}`).toHaveLength(oracle.size(b, r));
          expected += oracle.size(b, r);
          for (const t of here) expect(t.values['tuner/epochs']).toBe(oracle.epochs(b, r));
          if (r === 0) {
            for (const t of here) expect(t.values['tuner/initial_epoch']).toBe(0);
          } else {
            const past = trials.filter((t) => t.values['tuner/bracket'] === b && t.values['tuner/round'] === r - 1);
            const best = [...past].sort((p, q) => p.score! - q.score!).slice(0, here.length).map((t) => t.trialId);
            // The promoted trials are the best of the previous round, continuing from its epochs with the same values.
            expect(new Set(here.map((t) => t.values['tuner/trial_id']))).toEqual(new Set(best));
            for (const t of here) {
              const parent = trials.find((p) => p.trialId === t.values['tuner/trial_id'])!;
              expect(t.values['tuner/initial_epoch']).toBe(parent.values['tuner/epochs']);
              expect(t.values.units).toBe(parent.values.units);
              expect(t.values.lr).toBe(parent.values.lr);
            }
          }
        }
        // Each bracket's last round trains to maxEpochs, and its first to maxEpochs / factor^b.
        expect(oracle.epochs(b, b)).toBe(maxEpochs);
      }
      expect(trials).toHaveLength(expected);
      expect(oracle.createTrial().status).toBe('STOPPED');
    });
  }

  it('with parallel trials it waits (IDLE) for a round instead of promoting early, and runs the same schedule', () => {
    const oracle = new HyperbandOracle({ objective: min, seed: 1, maxEpochs: 9, factor: 3 });
    oracle.space = space();
    const serial = new HyperbandOracle({ objective: min, seed: 1, maxEpochs: 9, factor: 3 });
    serial.space = space();
    const a = drive(oracle, score, 2);
    const b = drive(serial);
    expect(a.map((t) => [t.values['tuner/bracket'], t.values['tuner/round']]).sort()).toEqual(b.map((t) => [t.values['tuner/bracket'], t.values['tuner/round']]).sort());
  });

  it('hyperbandIterations repeats the sweep; bad factors are typed errors', () => {
    const once = new HyperbandOracle({ objective: min, seed: 1, maxEpochs: 9 });
    once.space = space();
    const twice = new HyperbandOracle({ objective: min, seed: 1, maxEpochs: 9, hyperbandIterations: 2 });
    twice.space = space();
    expect(drive(twice)).toHaveLength(2 * drive(once).length);
    expect(() => new HyperbandOracle({ objective: min, seed: 1, factor: 1 })).toThrow(TunerValueError);
    expect(() => new HyperbandOracle({ objective: min, seed: 1, maxEpochs: 0 })).toThrow(/maxEpochs must be a positive integer/);
  });

  it('its state round-trips through JSON mid-search and the search continues identically', () => {
    const a = new HyperbandOracle({ objective: min, seed: 5, maxEpochs: 9 });
    a.space = space();
    for (let i = 0; i < 7; i++) {
      const c = a.createTrial();
      if (c.status === 'RUNNING') a.endTrial({ ...c.trial, status: 'COMPLETED', score: score(c.trial) });
    }
    const state = JSON.parse(JSON.stringify(a.getState()));
    const trials = JSON.parse(JSON.stringify(a.order.map((id) => a.trials.get(id)!)));
    const resumed = new HyperbandOracle({ objective: min, seed: 999, maxEpochs: 9 });
    resumed.setState(state, trials);
    expect(drive(resumed).map((t) => t.values)).toEqual(drive(a).map((t) => t.values));
  });
});

describe('RandomSearchOracle and GridSearchOracle', () => {
  it('random search stops at maxTrials and never repeats a point; a space it has exhausted stops early', () => {
    const oracle = new RandomSearchOracle({ objective: min, seed: 3, maxTrials: 20 });
    oracle.space = space();
    const trials = drive(oracle);
    expect(trials).toHaveLength(20);
    expect(new Set(trials.map((t) => JSON.stringify(t.values))).size).toBe(20);
    const tiny = new RandomSearchOracle({ objective: min, seed: 3, maxTrials: 50 });
    tiny.space.Choice('a', [1, 2, 3]);
    tiny.space.Boolean('b');
    expect(drive(tiny).length).toBeLessThanOrEqual(tiny.space.space[0]!.values.length * 2);
  });

  it('grid search visits every combination once, conditional children only under their parent value', () => {
    const oracle = new GridSearchOracle({ objective: min, seed: 0 });
    const hp = oracle.space;
    hp.Choice('kind', ['a', 'b']);
    hp.conditionalScope('kind', 'a', () => hp.Int('n', 1, 3));
    hp.Boolean('flag');
    const trials = drive(oracle, () => 0);
    const n = hp.space[1]!.values.length;
    expect(trials).toHaveLength((n + 1) * 2);
    expect(trials.filter((t) => t.values.kind === 'b').every((t) => !('n' in t.values))).toBe(true);
    expect(new Set(trials.map((t) => JSON.stringify(t.values))).size).toBe(trials.length);
  });
});

describe('GaussianProcess and BayesianOptimizationOracle', () => {
  it('the GP interpolates its data: mean at a training point ~ its value, std small there and larger far away', () => {
    const xs = [[0.1], [0.3], [0.5], [0.9]];
    const ys = xs.map(([x]) => Math.sin(6 * x!));
    const gp = new GaussianProcess(1e-6).fit(xs, ys);
    const p = gp.predict(xs);
    p.mean.forEach((m, i) => expect(Math.abs(m - ys[i]!)).toBeLessThan(1e-2));
    const far = gp.predict([[0.7]]).std[0]!;
    expect(Math.max(...p.std)).toBeLessThan(far);
  });

  it('finds a better point than random search with the same budget on a smooth bowl (median of 5 seeds)', () => {
    const bests = (make: (seed: number) => Oracle) => {
      const out: number[] = [];
      for (let seed = 0; seed < 5; seed++) {
        const o = make(seed);
        o.space = new HyperParameters();
        o.space.Float('x', 0, 1);
        o.space.Float('y', 0, 1);
        const f = (t: Trial) => ((t.values.x as number) - 0.63) ** 2 + ((t.values.y as number) - 0.27) ** 2;
        out.push(Math.min(...drive(o, f).map((t) => t.score!)));
      }
      return out.sort((a, b) => a - b)[2]!;
    };
    const bo = bests((seed) => new BayesianOptimizationOracle({ objective: min, seed, maxTrials: 15 }));
    const rs = bests((seed) => new RandomSearchOracle({ objective: min, seed, maxTrials: 15 }));
    expect(bo).toBeLessThan(rs);
  });

  it('maximises when the objective says max, and hallucinates running trials so parallel proposals differ', () => {
    const o = new BayesianOptimizationOracle({ objective: new Objective('acc', 'max'), seed: 2, maxTrials: 14, numInitialPoints: 4 });
    o.space.Float('x', 0, 1);
    const trials = drive(o, (t) => -(((t.values.x as number) - 0.8) ** 2), 2);
    const best = o.bestTrials(1)[0]!;
    expect(best.score).toBe(Math.max(...trials.map((t) => t.score!)));
    expect(Math.abs((best.values.x as number) - 0.8)).toBeLessThan(Math.abs((trials[0]!.values.x as number) - 0.8) + 1e-12);
    expect(new Set(trials.map((t) => t.values.x)).size).toBe(trials.length);
    expect(() => new BayesianOptimizationOracle({ objective: min, seed: 0, numInitialPoints: 0 })).toThrow(/numInitialPoints must be a positive integer/);
  });
});
