/**
 * @duet/nn's training pieces against PyTorch (nn_train.json, written by
 * gen_nn_train.py): every loss (value and input gradients, functional and
 * module form), every optimizer configuration (parameters and state after 5
 * steps of fixed gradients, and the same after a stateDict round trip at
 * step 2), every scheduler (rates and momentum per step, and after a
 * stateDict round trip), and gradient clipping. No Python at test time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, scope, tensor, zeros, type DType } from '@duet/core';
import { F, nn, optim } from '@duet/nn';
import { disposeWithGrads, expectClose } from '../helpers.js';

interface Stored {
  shape: number[];
  dtype: DType;
  data: number[];
}
interface LossCase {
  id: string;
  fn: string;
  module: string;
  inputs: (Stored & { name: string; requiresGrad: boolean })[];
  options: Record<string, unknown>;
  tensorOptions: Record<string, Stored>;
  output: Stored;
  upstream: Stored | null;
  grads: Record<string, Stored>;
}
interface OptimCase {
  cls: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  params: Stored[];
  state: Record<string, Record<string, Stored | number>>;
}
interface SchedCase {
  name: string;
  js: unknown[];
  optimizer: 'SGD' | 'Adam';
  optimizerOptions: { lr: number; momentum?: number };
  lrs: number[][];
  momentum: number[][];
  metrics: number[] | null;
}
const golden = JSON.parse(readFileSync(new URL('./nn_train.json', import.meta.url), 'utf8')) as {
  versions: Record<string, string>;
  losses: LossCase[];
  optimizers: { init: Stored[]; grads: (Stored | null)[][]; steps: number; cases: OptimCase[] };
  schedulers: SchedCase[];
  clip: { grads: Stored[]; norm: { maxNorm: number; normType: number | 'inf'; total: number; grads: Stored[] }[]; value: { clipValue: number; grads: Stored[] } };
};

const T = (s: Stored, requiresGrad = false): Tensor => {
  const data = s.dtype === 'float32' ? Float32Array.from(s.data) : s.dtype === 'int32' ? Int32Array.from(s.data) : Uint8Array.from(s.data);
  const t = tensor(data, { shape: s.shape, dtype: s.dtype });
  return requiresGrad ? t.requiresGrad_() : t;
};
const shaped = (s: Stored) => ({ shape: s.shape, values: s.data });

describe(`losses match PyTorch ${golden.versions.torch}`, () => {
  it.each(golden.losses)('$id', (c) => {
    scope(() => {
      const inputs = c.inputs.map((s) => T(s, s.requiresGrad));
      const options: Record<string, unknown> = { ...c.options };
      for (const [k, s] of Object.entries(c.tensorOptions)) options[k] = T(s);
      const out = (F as unknown as Record<string, (...a: unknown[]) => Tensor>)[c.fn]!(...inputs, options);
      expectClose(out, shaped(c.output), { atol: 1e-5, rtol: 1e-5, message: 'output' });
      out.backward(c.upstream !== null ? T(c.upstream) : undefined);
      c.inputs.forEach((s, i) => {
        const g = c.grads[s.name];
        if (g !== undefined) expectClose(inputs[i]!.grad!, shaped(g), { atol: 1e-5, rtol: 1e-4, message: `grad of ${s.name}` });
      });
      const Cls = (nn as unknown as Record<string, new (o: unknown) => { forward(...a: Tensor[]): Tensor }>)[c.module]!;
      const m = new Cls(options);
      expectClose(m.forward(...inputs.map((x) => x.detach())), shaped(c.output), { atol: 1e-5, rtol: 1e-5, message: `${c.module} module` });
      disposeWithGrads(inputs);
    });
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

describe(`optimizers match PyTorch ${golden.versions.torch} after ${STEPS} steps`, () => {
  it.each(golden.optimizers.cases.map((c) => [optName(c), c] as const))('%s', (_n, c) => {
    scope(() => {
      const params = init.map((s) => T(s, true));
      const opt = makeOptimizer(c, params);
      runSteps(opt, params, 0, STEPS);
      params.forEach((p, i) => expectClose(p, shaped(c.params[i]!), { atol: 1e-6, rtol: 1e-5, message: `param ${i}` }));
      const sd = opt.stateDict();
      expect(Object.keys(sd.state).sort()).toEqual(Object.keys(c.state).sort());
      for (const [id, st] of Object.entries(c.state)) {
        const ours = sd.state[Number(id)]!;
        expect(Object.keys(ours).sort(), `state[${id}] keys`).toEqual(Object.keys(st).sort());
        for (const [k, v] of Object.entries(st)) {
          if (typeof v === 'number') expect(ours[k], `state[${id}].${k}`).toBe(v);
          else expectClose(ours[k] as Tensor, shaped(v), { atol: 1e-6, rtol: 1e-5, message: `state[${id}].${k}` });
        }
      }
      opt.dispose();
      disposeWithGrads(params);
    });
  });

  it.each(golden.optimizers.cases.map((c) => [optName(c), c] as const))('resumes exactly from stateDict(): %s', (_n, c) => {
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
});

type Sched = { step(metric?: number): void; getLastLr(): number[]; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void };
const S = optim.lrScheduler;
const LAMBDAS: Record<string, unknown> = { pow095: (e: number) => 0.95 ** e, perGroup: [(e: number) => 1 / (e + 1), (e: number) => 0.9 ** e] };

function makeScheduler(js: unknown[], opt: optim.Optimizer<any>): Sched {
  const [name, ...args] = js as [string, ...any[]];
  if (name === 'LambdaLR') return new S.LambdaLR(opt, LAMBDAS[args[0]] as (e: number) => number);
  if (name === 'SequentialLR' && args[0] === 'linearExp') {
    return new S.SequentialLR(opt, [new S.LinearLR(opt, { startFactor: 0.1, totalIters: 3 }), new S.ExponentialLR(opt, 0.9)], [3]);
  }
  if (name === 'SequentialLR') return new S.SequentialLR(opt, [new S.ExponentialLR(opt, 0.5), new S.CosineAnnealingLR(opt, 4), new S.StepLR(opt, 2, { gamma: 0.3 })], [3, 9]);
  return new (S as unknown as Record<string, new (o: unknown, ...a: unknown[]) => Sched>)[name]!(opt, ...args);
}

function makeSchedOptimizer(c: SchedCase): optim.Optimizer<any> {
  const ps = [zeros([1]).requiresGrad_(), zeros([1]).requiresGrad_()];
  return new OPT[c.optimizer]!([{ params: [ps[0]] }, { params: [ps[1]], lr: c.optimizerOptions.lr / 10 }], c.optimizerOptions);
}
const momentumOf = (opt: optim.Optimizer<any>) => opt.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas[0] as number) : (g.momentum as number)));

describe(`learning-rate schedulers match PyTorch ${golden.versions.torch}`, () => {
  it.each(golden.schedulers.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const opt = makeSchedOptimizer(c);
    const s = makeScheduler(c.js, opt);
    const lrs = [s.getLastLr()];
    const moms = [momentumOf(opt)];
    for (let k = 0; k < c.lrs.length - 1; k++) {
      opt.step();
      s.step(c.metrics?.[k]);
      lrs.push(s.getLastLr());
      moms.push(momentumOf(opt));
    }
    expectClose(lrs, c.lrs, { atol: 0, rtol: 1e-12, message: 'lr' });
    expectClose(moms, c.momentum, { atol: 0, rtol: 1e-12, message: 'momentum' });
  });

  it.each(golden.schedulers.map((c) => [c.name, c] as const))('resumes from stateDict(): %s', (_n, c) => {
    const opt = makeSchedOptimizer(c);
    const s = makeScheduler(c.js, opt);
    const at = 7;
    for (let k = 0; k < at; k++) s.step(c.metrics?.[k]);
    const opt2 = makeSchedOptimizer(c);
    const s2 = makeScheduler(c.js, opt2);
    opt2.loadStateDict(opt.stateDict());
    s2.loadStateDict(s.stateDict());
    for (let k = at; k < c.lrs.length - 1; k++) {
      s2.step(c.metrics?.[k]);
      expectClose(s2.getLastLr(), c.lrs[k + 1]!, { atol: 0, rtol: 1e-12, message: `lr after step ${k + 1}` });
      expectClose(momentumOf(opt2), c.momentum[k + 1]!, { atol: 0, rtol: 1e-12, message: `momentum after step ${k + 1}` });
    }
  });
});

describe('gradient clipping matches PyTorch', () => {
  const withGrads = () => golden.clip.grads.map((g) => {
    const p = zeros(g.shape).requiresGrad_();
    p.grad = T(g);
    return p;
  });
  it.each(golden.clip.norm)('clipGradNorm_ maxNorm=$maxNorm normType=$normType', (c) => {
    scope(() => {
      const ps = withGrads();
      const total = nn.utils.clipGradNorm_(ps, c.maxNorm, c.normType === 'inf' ? Infinity : c.normType);
      expect(total.shape).toEqual([]);
      expectClose(total, { shape: [], values: [c.total] }, { atol: 1e-6, rtol: 1e-5 });
      ps.forEach((p, i) => expectClose(p.grad!, shaped(c.grads[i]!), { atol: 1e-6, rtol: 1e-5 }));
      disposeWithGrads(ps);
    });
  });
  it('clipGradValue_', () => {
    scope(() => {
      const ps = withGrads();
      nn.utils.clipGradValue_(ps, golden.clip.value.clipValue);
      ps.forEach((p, i) => expectClose(p.grad!, shaped(golden.clip.value.grads[i]!)));
      disposeWithGrads(ps);
    });
  });
});
