/**
 * nn.init's one fan rule and its named initialisers against PyTorch and
 * Keras (nn_init.json, written by gen_nn_init.py): the fans of each shape
 * under each layout description; for each name, a sample drawn by Duet
 * against one drawn by the library that owns the name (same shape, same
 * fans), compared as distributions since the random streams differ; and
 * layers built with `weightInit` / `biasInit` against PyTorch's and Keras's
 * layers. Keras's `computeFans` is the same function (checked here too).
 *
 * Tolerances are sampling error of two independent samples of n values:
 * means within 6 standard errors, standard deviations within 8/sqrt(2n)
 * relative, and for bounded distributions (uniform, truncated) the extreme
 * values within 1% of the range (the gap between a sample's extreme and the
 * bound is ~range/n for these n).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, manualSeed, zeros, type Tensor } from '@duet/core';
import { expectNoLeaks } from '../helpers.js';
import { nn } from '@duet/nn';
import * as keras from '@duet/keras';

interface Stats {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}
interface InitCase {
  library: 'torch' | 'keras';
  name: string;
  options: Record<string, unknown>;
  shape: number[];
  layout: string;
  stats: Stats;
}
const golden = JSON.parse(readFileSync(new URL('./nn_init.json', import.meta.url), 'utf8')) as {
  torch_version: string;
  keras_version: string;
  fans: { shape: number[]; layout: string; fans: [number, number] }[];
  fan_error_1d: string;
  inits: InitCase[];
  layers: { name: string; weight: Stats; bias: Stats }[];
};

function stats(t: Tensor): Stats {
  const v = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { n: v.length, mean, std: Math.sqrt(ss / v.length), min, max };
}

const BOUNDED = new Set(['uniform', 'xavier_uniform', 'kaiming_uniform', 'trunc_normal', 'glorot_uniform', 'he_uniform', 'lecun_uniform', 'random_uniform', 'truncated_normal', 'glorot_normal', 'he_normal', 'lecun_normal']);

function expectSameDistribution(got: Stats, want: Stats, bounded: boolean): void {
  expect(got.n).toBe(want.n);
  if (want.std === 0) {
    expect(got).toEqual(want);
    return;
  }
  expect(Math.abs(got.mean - want.mean)).toBeLessThanOrEqual((6 * want.std) / Math.sqrt(want.n));
  expect(Math.abs(got.std / want.std - 1)).toBeLessThanOrEqual(8 / Math.sqrt(2 * want.n));
  if (bounded) {
    const range = want.max - want.min;
    expect(Math.abs(got.max - want.max)).toBeLessThanOrEqual(0.01 * range);
    expect(Math.abs(got.min - want.min)).toBeLessThanOrEqual(0.01 * range);
  }
}

describe(`nn.init.computeFans against PyTorch ${golden.torch_version} and Keras ${golden.keras_version}`, () => {
  for (const c of golden.fans) {
    it(`[${c.shape.join(', ')}] as ${c.layout}`, () => {
      expect(nn.init.computeFans(c.shape, c.layout)).toEqual(c.fans);
      if (c.layout === 'in_out') expect(keras.initializers.computeFans(c.shape)).toEqual(c.fans);
    });
  }
  it('PyTorch layout refuses fewer than 2 dims with its message; bad layouts are ArgumentErrors naming what was received', () => {
    expect(() => nn.init.computeFans([5])).toThrow(golden.fan_error_1d);
    expect(() => nn.init.computeFans([5], 'out_in')).toThrow(ArgumentError);
    expect(() => nn.init.computeFans([3, 4, 5], 'OIHW')).toThrow(/layout 'OIHW' describes 4 dimensions, but the weight has shape \[3, 4, 5\]/);
    expect(() => nn.init.computeFans([3, 4], 'OX')).toThrow(/one 'O' and one 'I'.*received "OX"/);
  });
});

describe('named initialisers: same distribution as the library that owns the name', () => {
  for (const c of golden.inits) {
    const label = `${c.library} ${c.name} ${JSON.stringify(c.options)} [${c.shape.join(', ')}] ${c.layout}`;
    it(label, () => {
      manualSeed(1);
      const t = zeros(c.shape);
      const out = nn.init.get(c.name, c.options as nn.init.NamedInitOptions)(t, { layout: c.layout });
      expect(out).toBe(t);
      const bounded = BOUNDED.has(c.name) || (c.name === 'variance_scaling' && c.options['distribution'] !== 'untruncated_normal');
      expectSameDistribution(stats(t), c.stats, bounded);
      t.dispose();
    });
  }
  it('camelCase, PascalCase and trailing-underscore spellings name the same initialiser; unknown names list the known ones', () => {
    for (const [a, b] of [['heNormal', 'he_normal'], ['XavierUniform', 'xavier_uniform'], ['kaiming_uniform_', 'kaiming_uniform'], ['truncNormal', 'trunc_normal']]) {
      expect(nn.init.initName(a!)).toBe(b);
    }
    expect(() => nn.init.get('he_sideways')).toThrow(/Unknown initializer "he_sideways"; expected one of 'uniform'/);
  });
  it('filling by name leaks nothing', () => {
    const t = zeros([64, 32]);
    const fillAll = () => {
      for (const c of golden.inits) if (c.shape.length === 2) nn.init.get(c.name, c.options as nn.init.NamedInitOptions)(t, { layout: c.layout });
    };
    expectNoLeaks(fillAll);
    t.dispose();
  });
});

describe('layers with weightInit / biasInit against PyTorch and Keras layers', () => {
  const want = (name: string) => golden.layers.find((l) => l.name === name)!;
  const check = (m: { weight: Tensor; bias: Tensor | null }, name: string, bounded: boolean) => {
    const w = want(name);
    expectSameDistribution(stats(m.weight), w.weight, bounded);
    if (w.bias.std === 0) expect(stats(m.bias!)).toEqual(w.bias);
  };
  it('Linear(512, 256, { weightInit: xavier_uniform, biasInit: zeros }) = PyTorch xavier_uniform_ + zeros_', () => {
    check(new nn.Linear(512, 256, { weightInit: 'xavier_uniform', biasInit: 'zeros' }), 'torch_Linear_xavier_uniform_zeros', true);
  });
  it('Conv2d(32, 64, 3) with kaiming_normal(fan_out, relu) by nn.init.get = PyTorch kaiming_normal_', () => {
    check(new nn.Conv2d(32, 64, 3, { weightInit: nn.init.get('kaimingNormal', { mode: 'fan_out', nonlinearity: 'relu' }) }), 'torch_Conv2d_kaiming_normal_fan_out', false);
  });
  it("Linear(512, 256, { weightInit: 'glorotUniform', biasInit: 'zeros' }) = Keras Dense(256)'s default kernel (fans from the layout, not the storage order)", () => {
    check(new nn.Linear(512, 256, { weightInit: 'glorotUniform', biasInit: 'zeros' }), 'keras_Dense_default', true);
  });
  it("channels-last Conv2d with he_normal / ones = Keras Conv2D's HWIO kernel", () => {
    const conv = new nn.Conv2d(32, 64, 3, { dataFormat: 'channelsLast', weightInit: 'he_normal', biasInit: 'ones' });
    expect(conv.weight.shape).toEqual([3, 3, 32, 64]);
    check(conv, 'keras_Conv2D_he_normal_ones', true);
  });
  it('a function or a Keras initializer object is accepted; a wrong shape is an ArgumentError naming both shapes', () => {
    const seen: unknown[] = [];
    const fc = new nn.Linear(6, 4, { weightInit: (w, info) => void seen.push([...w.shape], info) });
    expect(seen).toEqual([[4, 6], { fanIn: 6, fanOut: 4, layout: 'out_in' }]);
    expect(fc.weight.toArray().flat().every((v: number) => v === 0)).toBe(true); // the function filled nothing
    const k = new nn.Linear(6, 4, { weightInit: keras.initializers.get('ones') });
    expect(k.weight.toArray().flat().every((v: number) => v === 1)).toBe(true);
    expect(() => new nn.Linear(6, 4, { weightInit: () => zeros([6, 4]) })).toThrow(/weightInit returned a tensor of shape \[6, 4\]; expected \[4, 6\]/);
  });
  it('LazyLinear applies its weightInit at the first call; constructing and initialising leaks nothing', () => {
    const m = new nn.LazyLinear(3, { weightInit: 'ones', biasInit: 'zeros' });
    m(zeros([2, 5]));
    expect(m.weight.toArray().flat().every((v: number) => v === 1)).toBe(true);
    const make = () => {
      const n = new nn.Linear(8, 8, { weightInit: 'he_normal', biasInit: 'glorot_uniform' });
      n.weight.dispose();
      n.bias!.dispose();
    };
    expectNoLeaks(make);
  });
});
