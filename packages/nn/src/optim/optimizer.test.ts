import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, countKernels, customKernelStatus, memory, randint, randn, tensor, zeros, type Tensor } from '@duet/core';
import { Linear } from '../layers/linear.js';
import { CrossEntropyLoss } from '../losses/modules.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from './index.js';

const ADAM_KERNELS = customKernelStatus().enabled ? 1 : 4;

const leaf = (shape: number[]) => randn(shape).requiresGrad_();

describe('Optimizer bookkeeping', () => {
  it('takes parameters or groups; group options override the defaults, extra keys are kept', () => {
    const [a, b, c] = [leaf([2]), leaf([3]), leaf([1])];
    const opt = new Adam([{ params: [a], lr: 0.1 }, { params: [b, c], note: 'head' }], { lr: 0.01, betas: [0.8, 0.9] });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    expect(opt.paramGroups[1]!.betas).toEqual([0.8, 0.9]);
    expect(opt.paramGroups[1]!.note).toBe('head');
    expect(opt.defaults).toMatchObject({ lr: 0.01, eps: 1e-8, weightDecay: 0, amsgrad: false });
    const d = leaf([2]);
    opt.addParamGroup({ params: d, weightDecay: 0.5 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 0.01, weightDecay: 0.5, params: [d] });
    expect(new SGD(new Linear(3, 2).parameters()).defaults).toEqual({ lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
  });

  it('rejects bad parameters and options with messages that say what was received', () => {
    const p = leaf([2]);
    expect(() => new SGD([])).toThrow(/empty parameter list/);
    expect(() => new SGD(p as unknown as Tensor[])).toThrow(ArgumentError);
    expect(() => new SGD([p.mul(2)])).toThrow(/non-leaf/);
    expect(() => new SGD([tensor([1, 2], { dtype: 'int32' })])).toThrow(DTypeError);
    expect(() => new SGD([p, p])).toThrow(/same parameter twice/);
    expect(() => new SGD([{ params: [p] }, { params: [p] }])).toThrow(/more than one parameter group/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/invalid lr: expected a number >= 0, received -1/);
    expect(() => new SGD([p], { nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/beta parameter at index 1/);
    expect(() => new RMSprop([p], { alpha: -0.1 })).toThrow(/invalid alpha/);
    expect(() => new Adagrad([p], { lrDecay: -1 })).toThrow(/invalid lrDecay/);
  });

  it('zeroGrad sets grads to null, or to zeros in place with setToNone: false', () => {
    const p = leaf([3]);
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = tensor([1, 2, 3]);
    const g = p.grad;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(g);
    expect(p.grad!.toArray()).toEqual([0, 0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('step skips parameters without a gradient, and returns the closure\'s loss', () => {
    const [a, b] = [tensor([1, 1]).requiresGrad_(), tensor([1, 1]).requiresGrad_()];
    const opt = new SGD([a, b], { lr: 0.5 });
    const loss = opt.step(() => {
      const l = a.mul(tensor([2, 4])).sum();
      l.backward();
      return l;
    });
    expect((loss as Tensor).item()).toBe(6);
    expect(a.toArray()).toEqual([0, -1]);
    expect(b.toArray()).toEqual([1, 1]);
  });

  it("stateDict has PyTorch's structure and names", () => {
    const [a, b] = [leaf([2]), leaf([3])];
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.1 }], { weightDecay: 0.01 });
    b.grad = tensor([1, 2, 3]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([
      { lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: false, decoupled_weight_decay: false, params: [0] },
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: false, decoupled_weight_decay: false, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['1']);
    expect(Object.keys(sd.state[1]!)).toEqual(['step', 'exp_avg', 'exp_avg_sq']);
    expect(sd.state[1]!.step).toBe(1);
  });

  it('loadStateDict checks groups, sizes and shapes, and accepts camelCase keys', () => {
    const mk = (shapes: number[][]) => new Adam(shapes.map(leaf));
    const src = mk([[2], [3]]);
    src.paramGroups[0]!.params.forEach((p) => (p.grad = zeros([...p.shape])));
    src.step();
    const sd = src.stateDict();
    expect(() => new Adam([{ params: [leaf([2])] }, { params: [leaf([3])] }]).loadStateDict(sd)).toThrow(/1 parameter group\(s\), the optimizer has 2/);
    expect(() => mk([[2]]).loadStateDict(sd)).toThrow(/has 2 parameters, the optimizer's group has 1/);
    expect(() => mk([[2], [4]]).loadStateDict(sd)).toThrow(ShapeError);
    const dst = mk([[2], [3]]);
    dst.loadStateDict({ state: { 0: { step: 4, expAvg: zeros([2]), expAvgSq: zeros([2]) } }, param_groups: [{ lr: 0.5, betas: [0.5, 0.6], eps: 1, weightDecay: 0, amsgrad: false, params: [0, 1] }] });
    expect(dst.paramGroups[0]).toMatchObject({ lr: 0.5, betas: [0.5, 0.6], eps: 1 });
    expect(dst.state.get(dst.paramGroups[0]!.params[0]!)!.step).toBe(4);
  });
});

describe('kernels per step', () => {
  /** A model's parameters with gradients, the optimizer stepped once (state created). */
  const setup = (make: (ps: Tensor[]) => Optimizer<any>) => {
    const ps = new Linear(64, 32).parameters().concat(new Linear(32, 10).parameters());
    for (const p of ps) p.grad = randn([...p.shape]);
    const opt = make(ps);
    opt.step();
    return { opt, ps };
  };
  it.each([
    ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.1 }), 4],
    ['SGD momentum', (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), 4],
    // One DuetApplyAdam for all parameters when Duet's kernels are built (core's kernels/custom.ts), else one ResourceApplyAdam each.
    ['Adam', (ps: Tensor[]) => new Adam(ps), ADAM_KERNELS],
    // Stock kernels, per parameter: ReadVariableOp (the next forward pass would make it anyway), Mul, AssignVariableOp, ResourceApplyAdam.
    // Duet's kernel does the decay too: one kernel.
    ['AdamW', (ps: Tensor[]) => new AdamW(ps), ADAM_KERNELS === 1 ? 1 : 16],
    ['Adagrad', (ps: Tensor[]) => new Adagrad(ps), 4],
    // PyTorch's RMSprop runs as Adam with beta1 = 0 (one Adam kernel, see rmsprop.ts).
    ['RMSprop', (ps: Tensor[]) => new RMSprop(ps), ADAM_KERNELS],
  ] as const)('%s: %s kernels for 4 parameters', (_n, make, expected) => {
    const { opt } = setup(make);
    expect(countKernels(() => opt.step()).kernels).toBe(expected);
  });
});

describe('memory', () => {
  it.each([
    ['SGD momentum', (ps: Tensor[]) => new SGD(ps, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 })],
    ['Adam amsgrad', (ps: Tensor[]) => new Adam(ps, { amsgrad: true, weightDecay: 1e-4 })],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps)],
    ['RMSprop', (ps: Tensor[]) => new RMSprop(ps)],
    ['RMSprop centered momentum', (ps: Tensor[]) => new RMSprop(ps, { centered: true, momentum: 0.9 })],
    // lrDecay = 0: a learning rate that changes every step adds one of core's cached scalars per step (bounded at 4096).
    ['Adagrad', (ps: Tensor[]) => new Adagrad(ps, { initialAccumulatorValue: 0.1 })],
  ] as const)('%s: the native tensor count stays flat over 50 training steps', (_n, make) => {
    const model = new Linear(20, 4);
    const lossFn = new CrossEntropyLoss();
    const opt = make(model.parameters());
    const X = randn([64, 20]);
    const Y = randint(0, 4, [64]);
    const step = (s: number) => {
      const i = (s * 8) % 64;
      model.forward(X.narrow(0, i, 8)); // a forward pass whose graph is dropped
      const loss = lossFn.forward(model.forward(X.narrow(0, 0, 16)), Y.narrow(0, 0, 16));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    };
    const first = step(0);
    for (let s = 1; s < 5; s++) step(s);
    const before = memory().numTensors;
    let last = 0;
    for (let s = 5; s < 55; s++) last = step(s);
    expect(memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    opt.dispose();
  });
});
