/**
 * Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS: kernels per step, memory
 * over a training loop, option checks. Their numbers are checked against
 * PyTorch in test/golden/torch_api.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, countKernels, markStep, memory, randint, randn, type Tensor } from '@duet/core';
import { Linear } from '../layers/linear.js';
import { CrossEntropyLoss } from '../losses/modules.js';
import { ASGD, Adadelta, Adamax, LBFGS, NAdam, RAdam, Rprop, type Optimizer } from './index.js';

describe('kernels per step (4 parameters)', () => {
  it.each([
    ['Adadelta', (ps: Tensor[]) => new Adadelta(ps), 4], // one ResourceApplyAdadelta each
    ['ASGD', (ps: Tensor[]) => new ASGD(ps), 12],
    ['Adamax', (ps: Tensor[]) => new Adamax(ps), 40],
  ] as const)('%s: %s kernels', (_n, make, expected) => {
    const ps = new Linear(64, 32).parameters().concat(new Linear(32, 10).parameters());
    for (const p of ps) p.grad = randn([...p.shape]);
    const opt = make(ps);
    opt.step();
    expect(countKernels(() => opt.step()).kernels).toBe(expected);
    opt.dispose();
  });
});

describe('memory', () => {
  it.each([
    ['Adadelta', (ps: Tensor[]) => new Adadelta(ps, { weightDecay: 1e-4 })],
    ['Adamax', (ps: Tensor[]) => new Adamax(ps, { lr: 0.01 })],
    ['NAdam', (ps: Tensor[]) => new NAdam(ps, { lr: 0.01, weightDecay: 1e-4, decoupledWeightDecay: true })],
    ['RAdam', (ps: Tensor[]) => new RAdam(ps, { lr: 0.01 })],
    ['Rprop', (ps: Tensor[]) => new Rprop(ps)],
    ['ASGD', (ps: Tensor[]) => new ASGD(ps, { lr: 0.05, t0: 10 })],
  ] as const)('%s: the native tensor count stays flat over 50 training steps, and the loss falls', (_n, make) => {
    const model = new Linear(20, 4);
    const lossFn = new CrossEntropyLoss();
    const opt: Optimizer<any> = make(model.parameters());
    const X = randn([64, 20]).keep();
    const Y = randint(0, 4, [64]).keep();
    const step = () => {
      const loss = lossFn.forward(model(X), Y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    };
    const first = step();
    for (let s = 1; s < 5; s++) step();
    const before = memory().numTensors;
    let last = 0;
    for (let s = 5; s < 55; s++) last = step();
    expect(memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    opt.dispose();
  });

  it('LBFGS: a closure-driven loop stays flat and converges', () => {
    const model = new Linear(10, 3);
    const lossFn = new CrossEntropyLoss();
    const X = randn([32, 10]).keep();
    const Y = randint(0, 3, [32]).keep();
    const opt = new LBFGS(model.parameters(), { lineSearchFn: 'strong_wolfe', historySize: 5, maxIter: 5 });
    const closure = () => {
      opt.zeroGrad();
      const loss = lossFn.forward(model(X), Y);
      loss.backward();
      return loss;
    };
    // Which branch a step ends in (converged or not) changes how many temporaries wait for the next
    // boundaries, so count after three more boundaries.
    const settled = () => {
      for (let i = 0; i < 3; i++) markStep();
      return memory().numTensors;
    };
    const first = (opt.step(closure) as Tensor).item();
    for (let s = 0; s < 4; s++) opt.step(closure);
    const before = settled();
    for (let s = 0; s < 20; s++) opt.step(closure);
    expect(settled()).toBe(before);
    expect(lossFn.forward(model(X), Y).item()).toBeLessThan(first);
    opt.dispose();
  });
});

describe('options are checked in the constructor', () => {
  const p = () => [randn([2]).requiresGrad_()];
  it.each([
    [() => new Adadelta(p(), { rho: 1.5 }), /Adadelta: invalid rho: expected a number in \[0, 1\], received 1.5/],
    [() => new Adamax(p(), { betas: [0.9, 1] }), /Adamax: invalid betas\[1\]: expected a number in \[0, 1\), received 1/],
    [() => new NAdam(p(), { momentumDecay: -1 }), /NAdam: invalid momentumDecay: expected a number >= 0, received -1/],
    [() => new RAdam(p(), { eps: -1 }), /RAdam: invalid eps/],
    [() => new Rprop(p(), { etas: [1.5, 1.2] }), /Rprop: invalid etas\[0\]: expected etaminus in \(0, 1\) and etaplus > 1, received 1.5/],
    [() => new ASGD(p(), { lambd: -1 }), /ASGD: invalid lambd/],
    [() => new LBFGS(p(), { maxIter: 0 }), /LBFGS: invalid maxIter: expected an integer >= 1, received 0/],
  ] as const)('%#', (make, message) => {
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(message);
  });
  it('LBFGS defaults maxEval to floor(maxIter * 5 / 4), as PyTorch', () => {
    expect(new LBFGS(p()).defaults.maxEval).toBe(25);
    expect(new LBFGS(p(), { maxIter: 7 }).defaults.maxEval).toBe(8);
  });
});
