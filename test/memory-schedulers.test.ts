/**
 * Issue 7 ("memory stays flat"): schedulers that change a hyper-parameter
 * every step (OneCycleLR's lr and momentum / Adam's beta1) must not add a
 * native tensor per step. Before the fix each new momentum or beta1 value
 * became a new cached native constant (kernels/constants.ts), +1 tensor per
 * step up to the cache bound. Counts are compared after step 10 and step 300.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, memory, randn, tensor, type Tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';
import { constantCount } from '../packages/core/src/kernels/constants.js';

type AnyOpt = optim.SGD | optim.Adam | optim.AdamW | optim.Adamax | optim.NAdam | optim.RAdam | optim.RMSprop;
const cases: [string, (p: Tensor[]) => AnyOpt][] = [
  ['SGD momentum', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
  ['Adam', (p) => new optim.Adam(p, { lr: 0.01 })],
  ['SGD nesterov, dampening, weight decay', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['Adam amsgrad', (p) => new optim.Adam(p, { lr: 0.01, amsgrad: true })],
  ['AdamW', (p) => new optim.AdamW(p, { lr: 0.01 })],
  ['Adamax', (p) => new optim.Adamax(p, { lr: 0.01 })],
  ['NAdam decoupled', (p) => new optim.NAdam(p, { lr: 0.01, weightDecay: 0.01, decoupledWeightDecay: true })],
  ['RAdam decoupled', (p) => new optim.RAdam(p, { lr: 0.01, weightDecay: 0.01, decoupledWeightDecay: true })],
  ['RMSprop momentum', (p) => new optim.RMSprop(p, { lr: 0.01, momentum: 0.9 })],
  ['RMSprop centered', (p) => new optim.RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true })],
];

describe('OneCycleLR keeps the native tensor count flat (issue 7)', () => {
  it.each(cases.map(([n, make], i) => [n, make, i] as const))('%s: 300 steps, lr and momentum/beta1 cycled every step', (_name, make, i) => {
    manualSeed(0);
    const model = new nn.Linear(4, 3);
    const opt = make(model.parameters());
    // A different cycle per case: no case can reuse the values (and cached constants) of another.
    const sched = new optim.lrScheduler.OneCycleLR(opt, 0.1 + i / 100, { totalSteps: 400 + 7 * i });
    const x = randn([8, 4]);
    const counts: number[] = [];
    const moms = new Set<number>();
    for (let i = 1; i <= 300; i++) {
      opt.zeroGrad();
      model.forward(x).pow(2).mean().backward();
      opt.step();
      sched.step();
      const g = opt.paramGroups[0]!;
      moms.add('betas' in g ? (g.betas as number[])[0]! : (g.momentum as number));
      if (i === 10 || i === 300) counts.push(memory().numTensors);
    }
    expect(moms.size).toBeGreaterThan(250); // the momentum really changed every step
    expect(counts[1]).toBe(counts[0]);
    // The check means something only while the constant cache is below its bound (1024 scalars).
    expect(constantCount()).toBeLessThan(1024);
  });

  it('a changed momentum is used: two SGD optimizers with different momenta, stepped in turn, follow the update rule', () => {
    // One parameter each, loss p.sum() (gradient 1): buf = m * buf + 1, p -= lr * buf (buf = 1 on the first step).
    const ps = [tensor([0]).requiresGrad_(), tensor([0]).requiresGrad_()];
    const opts = [new optim.SGD([ps[0]!], { lr: 0.1, momentum: 0.9 }), new optim.SGD([ps[1]!], { lr: 0.05, momentum: 0.3 })];
    const want = [{ p: 0, buf: 0 }, { p: 0, buf: 0 }];
    for (let k = 0; k < 12; k++) {
      for (let j = 0; j < 2; j++) {
        const g = opts[j]!.paramGroups[0]!;
        g.momentum = (j === 0 ? 0.9 : 0.3) - 0.02 * k; // a new value every step
        opts[j]!.zeroGrad();
        ps[j]!.sum().backward();
        opts[j]!.step();
        const w = want[j]!;
        w.buf = k === 0 ? 1 : g.momentum * w.buf + 1;
        w.p -= g.lr * w.buf;
        expect(ps[j]!.item()).toBeCloseTo(w.p, 5);
      }
    }
  });
});

describe('the constant cache bound is not reached by a training loop (issue 7)', () => {
  it('an MLP with BatchNorm, Dropout, clipping and Adam + CosineAnnealingLR adds no constants after its first steps', () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(12, 32), new nn.BatchNorm1d(32), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(32, 5));
    const opt = new optim.Adam(model.parameters(), { lr: 0.01, weightDecay: 1e-4, decoupledWeightDecay: true });
    const sched = new optim.lrScheduler.CosineAnnealingLR(opt, 50, { etaMin: 1e-4 });
    const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
    const xs = randn([100, 12]);
    const ys = randn([100]).gt(0).long();
    const counts: number[] = [];
    const consts: number[] = [];
    for (let i = 1; i <= 200; i++) {
      const k = (i * 16) % 96; // the last batch of an epoch is smaller in real loops: vary the batch size too
      const n = i % 10 === 0 ? 4 : 16;
      opt.zeroGrad();
      const loss = lossFn.forward(model.forward(xs.narrow(0, k, n)), ys.narrow(0, k, n));
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      sched.step();
      if (i === 20 || i === 200) {
        counts.push(memory().numTensors);
        consts.push(constantCount());
      }
    }
    expect(consts[1]).toBe(consts[0]);
    expect(counts[1]).toBe(counts[0]);
  });
});
