/**
 * Issue 14's PyTorch spellings against PyTorch (torch_api.json, written by
 * gen_torch_api.py): the pointwise ops custom optimizers use and Python's
 * number-first arithmetic (values and gradients), the optimizers Adadelta, Adamax, NAdam, RAdam, Rprop and ASGD
 * (parameters and state after 5 steps of fixed gradients, and the same after
 * a stateDict round trip at step 2), and LBFGS with a closure on a quadratic
 * and a small MLP. Each op and each optimizer step also leaves the native
 * tensor count unchanged. No Python at test time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, add, div, linspace, markStep, memory, mul, noGrad, pow, scope, sub, tensor, type DType } from '@duet/core';
import { optim } from '@duet/nn';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';
import { runCase, type GoldenCase } from './cases.js';
import type { In } from './core_ops.js';

interface Stored {
  shape: number[];
  dtype: DType;
  data: number[];
}
interface OptimCase {
  cls: string;
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  params: Stored[];
  state: Record<string, Record<string, Stored | number>>;
}
interface LbfgsCase {
  problem: 'quadratic' | 'mlp';
  options: Record<string, unknown>;
  steps: number;
  losses: number[];
  params: Stored[][];
  finalLoss: number;
  funcEvals: number;
  nIter: number;
}
const golden = JSON.parse(readFileSync(new URL('./torch_api.json', import.meta.url), 'utf8')) as {
  versions: Record<string, string>;
  ops: GoldenCase[];
  optimizers: { init: Stored[]; grads: (Stored | null)[][]; steps: number; cases: OptimCase[] };
  lbfgs: { quadratic: Record<string, Stored>; mlp: Record<string, Stored>; cases: LbfgsCase[] };
  linspace: { start: number; end: number; steps: number; values: number[] }[];
};

const T = (s: Stored, requiresGrad = false): Tensor => {
  const t = tensor(Float32Array.from(s.data), { shape: s.shape });
  return requiresGrad ? t.requiresGrad_() : t;
};
const shaped = (s: Stored) => ({ shape: s.shape, values: s.data });
/**
 * The native tensor count is the same before and after `fn` once the step
 * boundaries have released what it stopped using (run once first to fill
 * core's constant caches). Outside `scope()`, so it sees what a training loop sees.
 */
function expectFlat(fn: () => void): void {
  const flush = () => {
    for (let i = 0; i < 3; i++) markStep();
  };
  fn();
  flush();
  const before = memory().numTensors;
  fn();
  flush();
  expect(memory().numTensors - before, 'native tensors left behind').toBe(0);
}
const snake = (k: string) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/** Each op case of gen_torch_api.py, in Duet. */
const OPS: Record<string, (i: In) => Tensor> = {
  addcmul: ({ a, b, c }) => a.addcmul(b, c),
  addcmul_value_bcast: ({ a, b, c }) => a.addcmul(b, c, { value: -0.3 }),
  addcdiv: ({ a, b, c }) => a.addcdiv(b, c),
  addcdiv_value_bcast: ({ a, b, c }) => a.addcdiv(b, c, { value: 2.5 }),
  lerp_scalar_low: ({ a, b }) => a.lerp(b, 0.1),
  lerp_scalar_high: ({ a, b }) => a.lerp(b, 0.75),
  lerp_tensor_weight: ({ a, b, c }) => a.lerp(b, c),
  lerp_bcast: ({ a, b }) => a.lerp(b, 0.3),
  number_first_mul: ({ a }) => mul(-2.0, a),
  number_first_add: ({ a }) => add(3, a),
  number_first_sub: ({ a }) => sub(1, a),
  number_first_div: ({ a }) => div(1, a),
  number_first_pow: ({ a }) => pow(2, a),
  pow_int_tensor_exponent: ({ a }) => a.unsqueeze(-1).pow(tensor([1, 2, 3])),
  inplace_sqrt_: ({ a }) => a.clone().sqrt_(),
  inplace_rsqrt_: ({ a }) => a.clone().rsqrt_(),
  inplace_exp_: ({ a }) => a.clone().exp_(),
  inplace_log_: ({ a }) => a.clone().log_(),
  inplace_log1p_: ({ a }) => a.clone().log1p_(),
  inplace_neg_: ({ a }) => a.clone().neg_(),
  inplace_abs_: ({ a }) => a.clone().abs_(),
  inplace_square_: ({ a }) => a.clone().square_(),
  inplace_reciprocal_: ({ a }) => a.clone().reciprocal_(),
  inplace_sin_: ({ a }) => a.clone().sin_(),
  inplace_cos_: ({ a }) => a.clone().cos_(),
  inplace_sign_: ({ a }) => a.clone().sign_(),
  inplace_floor_: ({ a }) => a.clone().floor_(),
  inplace_ceil_: ({ a }) => a.clone().ceil_(),
  inplace_round_: ({ a }) => a.clone().round_(),
  inplace_relu_: ({ a }) => a.clone().relu_(),
  inplace_sigmoid_: ({ a }) => a.clone().sigmoid_(),
  inplace_tanh_: ({ a }) => a.clone().tanh_(),
  inplace_pow_: ({ a }) => a.clone().pow_(3),
  inplace_addcmul_: ({ a, b, c }) => a.clone().mul_(0.9).addcmul_(b, c, { value: 0.1 }),
  inplace_addcdiv_: ({ a, b, c }) => a.clone().addcdiv_(b, c, { value: -0.01 }),
  inplace_lerp_: ({ a, b }) => a.clone().lerp_(b, 0.1),
  inplace_lerp_tensor_: ({ a, b, c }) => a.clone().lerp_(b, c),
  inplace_adam_moment_chain: ({ b, c }) => c.clone().mul_(0.999).addcmul_(b, b, { value: 0.001 }).sqrt_().add_(1e-8),
};

describe(`linspace gives PyTorch ${golden.versions.torch}'s float32 values bit for bit`, () => {
  it.each(golden.linspace)('linspace($start, $end, $steps)', ({ start, end, steps, values }) => {
    expect(Array.from(linspace(start, end, steps).dataSync())).toEqual(values);
  });
});

describe(`pointwise ops match PyTorch ${golden.versions.torch}`, () => {
  it('every golden case has a Duet op and every op a golden case', () => {
    expect(Object.keys(OPS).sort()).toEqual(golden.ops.map((c) => c.name).sort());
  });
  it.each(golden.ops)('$name', (c) => {
    scope(() => {
      const { inputs, outputs } = runCase(c, { ops: OPS });
      const [out] = outputs;
      expect(out!.requiresGrad).toBe(c.upstream[0] != null);
      expectClose(out!, c.outputs[0]!, { atol: 1e-5, rtol: 1e-5, message: 'output' });
      for (const [k, g] of Object.entries(c.grads)) expectClose(inputs[k]!.grad!, g!, { atol: 1e-4, rtol: 1e-5, message: `grad of ${k}` });
      disposeWithGrads(Object.values(inputs));
    });
  });
  it.each(golden.ops)('releases every native tensor: $name', (c) => {
    expectNoLeaks(() => disposeWithGrads(Object.values(runCase(c, { ops: OPS }).inputs)));
  });
});

type OptimCtor = new (params: unknown, options: Record<string, unknown>) => optim.Optimizer<any>;
const OPT = optim as unknown as Record<string, OptimCtor>;
const { init, grads: GRADS, steps: STEPS } = golden.optimizers;

function makeOptimizer(c: OptimCase, params: Tensor[]): optim.Optimizer<any> {
  const groups = c.groups?.map(({ params: idx, ...rest }) => ({ ...rest, params: idx.map((i) => params[i]!) }));
  return new OPT[c.cls]!(groups ?? params, c.options);
}

function runSteps(opt: optim.Optimizer<any>, params: Tensor[], from: number, to: number): void {
  for (let k = from; k < to; k++) {
    params.forEach((p, i) => {
      const g = GRADS[k]![i];
      p.grad = g == null ? null : T(g);
    });
    opt.step();
  }
}

const optName = (c: OptimCase) => `${c.cls} ${JSON.stringify(c.options)}${c.groups ? ` groups ${JSON.stringify(c.groups)}` : ''}`;
const CASES = golden.optimizers.cases.map((c) => [optName(c), c] as const);

describe(`optimizers match PyTorch ${golden.versions.torch} after ${STEPS} steps`, () => {
  it.each(CASES)('%s', (_n, c) => {
    scope(() => {
      const params = init.map((s) => T(s, true));
      const opt = makeOptimizer(c, params);
      runSteps(opt, params, 0, STEPS);
      params.forEach((p, i) => expectClose(p, shaped(c.params[i]!), { atol: 1e-6, rtol: 1e-5, message: `param ${i}` }));
      const sd = opt.stateDict();
      expect(Object.keys(sd.state).sort()).toEqual(Object.keys(c.state).sort());
      for (const [id, st] of Object.entries(c.state)) {
        const ours = sd.state[Number(id)]!;
        expect(Object.keys(ours).sort(), `state[${id}] keys`).toEqual(Object.keys(st).map(snake).sort());
        for (const [k, v] of Object.entries(st)) {
          const got = ours[snake(k)];
          if (typeof v === 'number') expect(got as number, `state[${id}].${k}`).toBeCloseTo(v, 6);
          else expectClose(got as Tensor, shaped(v), { atol: 1e-6, rtol: 1e-5, message: `state[${id}].${k}` });
        }
      }
      opt.dispose();
      disposeWithGrads(params);
    });
  });

  it.each(CASES)('resumes exactly from stateDict(): %s', (_n, c) => {
    scope(() => {
      const params = init.map((s) => T(s, true));
      const opt = makeOptimizer(c, params);
      runSteps(opt, params, 0, 2);
      const params2 = params.map((p) => p.detach().requiresGrad_());
      const opt2 = makeOptimizer(c, params2);
      opt2.loadStateDict(opt.stateDict());
      runSteps(opt2, params2, 2, STEPS);
      params2.forEach((p, i) => expectClose(p, shaped(c.params[i]!), { atol: 1e-6, rtol: 1e-5, message: `param ${i}` }));
      opt.dispose();
      opt2.dispose();
      disposeWithGrads([...params, ...params2]);
    });
  });

  it.each(CASES)('a step releases every temporary: %s', (_n, c) => {
    const params = init.map((s) => T(s, true));
    const opt = makeOptimizer(c, params);
    runSteps(opt, params, 0, 1); // state created
    expectFlat(() => runSteps(opt, params, 1, 3));
    opt.dispose();
    disposeWithGrads(params);
  });
});

/** The problem's loss as a function of its parameters, written as in gen_torch_api.py. */
function problem(c: LbfgsCase): { params: Tensor[]; loss: () => Tensor; data: Tensor[] } {
  if (c.problem === 'quadratic') {
    const q = golden.lbfgs.quadratic;
    const [A, b] = [T(q.A!).keep(), T(q.b!).keep()];
    const x = T(q.x0!, true);
    return { params: [x], data: [A, b], loss: () => x.matmul(A.matmul(x)).mul(0.5).sub(b.matmul(x)) };
  }
  const m = golden.lbfgs.mlp;
  const [X, Y] = [T(m.X!).keep(), T(m.Y!).keep()];
  const params = ['W1', 'b1', 'W2', 'b2'].map((k) => T(m[k]!, true));
  return { params, data: [X, Y], loss: mlpLoss(params, [X, Y]) };
}
function mlpLoss(params: Tensor[], [X, Y]: Tensor[]): () => Tensor {
  const [W1, b1, W2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  return () => X!.matmul(W1.t()).add(b1).tanh().matmul(W2.t()).add(b2).sub(Y!).square().mean();
}

const closureFor = (opt: optim.Optimizer<any>, loss: () => Tensor) => () => {
  opt.zeroGrad();
  const l = loss();
  l.backward();
  return l;
};

describe(`LBFGS matches PyTorch ${golden.versions.torch}`, () => {
  const named = golden.lbfgs.cases.map((c) => [`${c.problem} ${JSON.stringify(c.options)} x${c.steps}`, c] as const);
  it.each(named)('%s', (_n, c) => {
    scope(() => {
      const { params, loss, data } = problem(c);
      const opt = new optim.LBFGS(params, c.options);
      const closure = closureFor(opt, loss);
      for (let s = 0; s < c.steps; s++) {
        const l = opt.step(closure) as Tensor;
        expect(l.item(), `loss returned by step ${s}`).toBeCloseTo(c.losses[s]!, 4);
        params.forEach((p, i) => expectClose(p, shaped(c.params[s]![i]!), { atol: 1e-4, rtol: 1e-3, message: `step ${s} param ${i}` }));
      }
      // The steps' tolerance: LBFGS's line search carries float32 rounding of the products (whose order differs between kernels) from step to step.
      expect(loss().item()).toBeCloseTo(c.finalLoss, 4);
      const st = opt.stateDict().state[0]!;
      expect(st.func_evals, 'func_evals').toBe(c.funcEvals);
      expect(st.n_iter, 'n_iter').toBe(c.nIter);
      opt.dispose();
      disposeWithGrads([...params, ...data]);
    });
  });

  it.each(named.filter(([, c]) => c.steps > 1))('resumes exactly from stateDict() after step 1: %s', (_n, c) => {
    scope(() => {
      const { params, loss, data } = problem(c);
      const opt = new optim.LBFGS(params, c.options);
      opt.step(closureFor(opt, loss));
      const sd = opt.stateDict();
      expect(Object.keys(sd.state[0]!).sort()).toEqual(['H_diag', 'd', 'func_evals', 'n_iter', 'old_dirs', 'old_stps', 'prev_flat_grad', 'prev_loss', 'ro', 't']);
      const params2 = params.map((p) => p.detach().requiresGrad_());
      const x2 = params2[0]!;
      const loss2 = c.problem === 'quadratic' ? () => x2.matmul(data[0]!.matmul(x2)).mul(0.5).sub(data[1]!.matmul(x2)) : mlpLoss(params2, data);
      const opt2 = new optim.LBFGS(params2, c.options);
      opt2.loadStateDict(sd);
      opt.dispose(); // the loaded state is a copy
      for (let s = 1; s < c.steps; s++) opt2.step(closureFor(opt2, loss2));
      params2.forEach((p, i) => expectClose(p, shaped(c.params[c.steps - 1]![i]!), { atol: 1e-4, rtol: 1e-3, message: `param ${i}` }));
      const st = opt2.stateDict().state[0]!;
      expect([st.func_evals, st.n_iter]).toEqual([c.funcEvals, c.nIter]);
      opt2.dispose();
      disposeWithGrads([...params, ...params2, ...data]);
    });
  });

  it.each(named)('steps release every temporary, dispose() the history: %s', (_n, c) => {
    const { params, loss, data } = problem(c);
    const start = params.map((p) => p.detach().keep());
    // Each run starts from the same values: the step lengths become cached native scalars (core's bounded
    // constant cache), so new values would add cache entries, which are not leaks.
    expectFlat(() => {
      noGrad(() => params.forEach((p, i) => p.copy_(start[i]!)));
      const opt = new optim.LBFGS(params, c.options);
      const closure = closureFor(opt, loss);
      opt.step(closure);
      opt.step(closure);
      opt.dispose();
    });
    disposeWithGrads([...params, ...data, ...start]);
  });

  it('needs a closure and one parameter group', () => {
    const p = tensor([1, 2]).requiresGrad_();
    const opt = new optim.LBFGS([p]);
    expect(() => opt.step()).toThrow(/LBFGS.step\(closure\).*received no closure/);
    expect(() => new optim.LBFGS([{ params: [p] }, { params: [tensor([1]).requiresGrad_()] }])).toThrow(/expected 1 group, received 2/);
    expect(() => new optim.LBFGS([p], { lineSearchFn: 'wolfe' as 'strong_wolfe' })).toThrow(/expected 'strong_wolfe' or null, received "wolfe"/);
  });
});
