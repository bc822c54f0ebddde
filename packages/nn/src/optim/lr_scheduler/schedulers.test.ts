import { describe, expect, it } from 'vitest';
import { ArgumentError, tensor, zeros } from '@duet/core';
import { Adam } from '../adam.js';
import { SGD } from '../sgd.js';
import { CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, LinearLR, MultiStepLR, OneCycleLR, ReduceLROnPlateau, SequentialLR, StepLR } from './index.js';

const sgd = (lr = 0.1) => new SGD([zeros([1]).requiresGrad_()], { lr, momentum: 0.9 });

describe('lrScheduler', () => {
  it('StepLR: the documented sequence, and initialLr recorded on the group', () => {
    const opt = sgd(0.1);
    const s = new StepLR(opt, 2, { gamma: 0.5 });
    const lrs = [s.getLastLr()[0]];
    for (let i = 0; i < 5; i++) {
      s.step();
      lrs.push(s.getLastLr()[0]);
    }
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(opt.paramGroups[0]!.initialLr).toBe(0.1);
    expect(opt.paramGroups[0]!.lr).toBe(0.025);
  });

  it("stateDict uses PyTorch's names and restores a scheduler", () => {
    const s = new MultiStepLR(sgd(), [2, 4], { gamma: 0.1 });
    s.step();
    const sd = s.stateDict();
    expect(sd).toMatchObject({ last_epoch: 1, base_lrs: [0.1], _step_count: 2, _last_lr: [0.1], milestones: { 2: 1, 4: 1 }, gamma: 0.1 });
    expect(sd).not.toHaveProperty('optimizer');
    const s2 = new MultiStepLR(sgd(), [9]);
    s2.loadStateDict(sd);
    expect(s2.lastEpoch).toBe(1);
    expect(s2.milestones).toEqual({ 2: 1, 4: 1 });
    expect(new LambdaLR(sgd(), (e) => e).stateDict().lr_lambdas).toEqual([null]);
    expect(new CosineAnnealingLR(sgd(), 5).stateDict()).toMatchObject({ T_max: 5, eta_min: 0 });
  });

  it('rejects bad arguments with clear errors', () => {
    const opt = sgd();
    expect(() => new StepLR(opt, 0)).toThrow(/stepSize must be a positive integer/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/startFactor/);
    expect(() => new LambdaLR(opt, [(e) => e, (e) => e])).toThrow(/expected 1 lrLambdas, but got 2/);
    expect(() => new OneCycleLR(opt, 0.1)).toThrow(/totalSteps OR \(epochs AND stepsPerEpoch\)/);
    expect(() => new SequentialLR(opt, [new ExponentialLR(opt, 0.9)], [3])).toThrow(/one more than the number of milestones/);
    expect(() => new SequentialLR(opt, [new ReduceLROnPlateau(opt) as never, new ExponentialLR(opt, 0.9)], [3])).toThrow(ArgumentError);
    expect(() => new SequentialLR(opt, [new ExponentialLR(sgd(), 0.9), new ExponentialLR(opt, 0.9)], [3])).toThrow(/same optimizer/);
    expect(() => new StepLR(sgd(), 3, { lastEpoch: 4 })).toThrow(/'initialLr' is not specified/);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/factor should be < 1.0/);
    const oc = new OneCycleLR(sgd(), 0.1, { totalSteps: 2 });
    oc.step();
    oc.step();
    expect(() => oc.step()).toThrow(/tried to step 3 times. The specified number of total steps is 2/);
  });

  it('OneCycleLR cycles Adam\'s beta1, and needs momentum or betas to cycle', () => {
    const opt = new Adam([zeros([1]).requiresGrad_()], { lr: 1e-3, betas: [0.9, 0.99] });
    const s = new OneCycleLR(opt, 0.01, { totalSteps: 10 });
    expect(opt.paramGroups[0]!.betas).toEqual([0.95, 0.99]);
    for (let i = 0; i < 3; i++) s.step();
    expect(opt.paramGroups[0]!.betas[0]).toBeLessThan(0.95);
    expect(opt.paramGroups[0]!.betas[1]).toBe(0.99);
  });

  it('ReduceLROnPlateau takes a number or a one-element tensor', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 });
    s.step(tensor(1));
    s.step(1);
    expect(s.getLastLr()).toEqual([0.5]);
    expect(s.stateDict()).toMatchObject({ best: 1, num_bad_epochs: 0, mode: 'min', threshold_mode: 'rel' });
  });

  it('ReduceLROnPlateau extends the scheduler base but, like PyTorch, records no initialLr and keeps base-only fields out of its state', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt);
    expect(s instanceof LRScheduler).toBe(true);
    expect(opt.paramGroups[0]!.initialLr).toBeUndefined();
    expect(s.lastEpoch).toBe(0);
    expect(s.getLastLr()).toEqual([1]);
    const keys = Object.keys(s.stateDict());
    for (const k of ['base_lrs', '_step_count', '_is_initial', 'optimizer']) expect(keys).not.toContain(k);
    expect(keys).toContain('_last_lr');
    expect(() => s.step()).toThrow(/the metric .* is required/);
    const t = new ReduceLROnPlateau(sgd(1));
    t.loadStateDict(s.stateDict());
    expect(t.stateDict()).toEqual(s.stateDict());
  });
});

describe('positional arguments passed as options', () => {
  it('say that stepSize / tMax are positional, as in PyTorch', () => {
    const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
    expect(() => new StepLR(opt, { stepSize: 2 } as never)).toThrow(/received \{"stepSize":2\} \(stepSize is a positional argument, as in PyTorch\)/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 10 } as never)).toThrow(/tMax is a positional argument/);
  });
});
