/**
 * The search space follows KerasTuner's semantics (keras_tuner/engine/
 * hyperparameters): defaults, inclusive ranges, steps (additive, or
 * multiplicative with log sampling), the cumulative-probability mapping,
 * lazy registration, name collisions and conditional scopes. Expected
 * values are invariants of those definitions, not typed-in numbers.
 */
import { describe, expect, it } from 'vitest';
import { HyperParameters, Int, Float, Choice, BooleanHp, Fixed, HyperParameter, SearchSpaceError } from '../index.js';
import { Rng } from '../random.js';

const rng = new Rng(7);
const draws = (hp: HyperParameter, n = 2000) => Array.from({ length: n }, () => hp.randomSample(() => rng.next()));

describe('Int', () => {
  it('covers [min, max] with max included, on the step lattice, default min', () => {
    const hp = new Int('n', 6, 13, { step: 3 });
    expect(hp.default).toBe(hp.minValue);
    const seen = new Set(draws(hp));
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(hp.values);
    for (const v of hp.values) {
      expect(((v as number) - 6) % 3).toBe(0);
      expect(v).toBeLessThanOrEqual(13);
    }
    expect(Math.max(...hp.values.map(Number)) + 3).toBeGreaterThan(13);
    const unit = new Int('m', 2, 5);
    expect(new Set(draws(unit))).toEqual(new Set(Array.from({ length: 4 }, (_, i) => 2 + i)));
  });

  it('log sampling with a step multiplies: each value is the previous times step', () => {
    const hp = new Int('batch', 2, 32, { step: 2, sampling: 'log' });
    const vals = hp.values.map(Number);
    expect(vals[0]).toBe(2);
    expect(vals[vals.length - 1]).toBe(32);
    for (let i = 1; i < vals.length; i++) expect(vals[i]).toBe(vals[i - 1]! * 2);
    expect(new Set(draws(hp))).toEqual(new Set(vals));
  });

  it('maps every value to a probability and back to itself', () => {
    for (const hp of [new Int('a', 0, 9), new Int('b', 6, 13, { step: 3 }), new Int('c', 2, 32, { step: 2, sampling: 'log' }), new Int('d', 2, 32, { step: 2, sampling: 'reverse_log' })]) {
      for (const v of hp.values) expect(hp.probToValue(hp.valueToProb(v))).toBe(v);
    }
  });

  it('rejects non-integers and empty ranges with typed errors', () => {
    expect(() => new Int('n', 1.5, 3)).toThrow(SearchSpaceError);
    expect(() => new Int('n', 1, 3, { step: 0.5 })).toThrow(/step must be an integer/);
    expect(() => new Int('n', 5, 3)).toThrow(/minValue 5 is greater than the maxValue 3/);
  });
});

describe('Float', () => {
  it('linear sampling is uniform: the sample mean is near the midpoint', () => {
    const hp = new Float('dropout', 0, 0.5);
    const xs = draws(hp).map(Number);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(xs.reduce((s, v) => s + v, 0) / xs.length - 0.25)).toBeLessThan(0.02);
  });

  it("log sampling is uniform in log space: the median is the range's geometric mean", () => {
    const hp = new Float('lr', 1e-4, 1e-1, { sampling: 'log' });
    const xs = draws(hp, 4001).map(Number).sort((a, b) => a - b);
    const median = xs[2000]!;
    expect(Math.abs(Math.log10(median) - (Math.log10(1e-4) + Math.log10(1e-1)) / 2)).toBeLessThan(0.1);
  });

  it('reverse_log crowds samples at the top of the range; log at the bottom', () => {
    const mid = (1 + 100) / 2;
    const above = (hp: Float) => draws(hp).filter((v) => (v as number) > mid).length;
    expect(above(new Float('r', 1, 100, { sampling: 'reverse_log' }))).toBeGreaterThan(above(new Float('l', 1, 100, { sampling: 'log' })));
  });

  it('a log step multiplies; a linear step adds and includes max', () => {
    const log = new Float('lr', 0.001, 10, { step: 10, sampling: 'log' }).values.map(Number);
    for (let i = 1; i < log.length; i++) expect(log[i]! / log[i - 1]!).toBeCloseTo(10, 9);
    expect(log[log.length - 1]).toBeCloseTo(10, 9);
    const lin = new Float('f', 0, 1, { step: 0.2 }).values.map(Number);
    expect(lin[lin.length - 1]).toBeCloseTo(1, 9);
    for (let i = 1; i < lin.length; i++) expect(lin[i]! - lin[i - 1]!).toBeCloseTo(0.2, 9);
  });

  it('probability round trip: probToValue(valueToProb(v)) == v', () => {
    const hp = new Float('lr', 1e-4, 1e-1, { sampling: 'log' });
    for (const v of [1e-4, 3e-3, 0.05, 0.1]) expect(hp.probToValue(hp.valueToProb(v))).toBeCloseTo(v, 12);
  });

  it('a log range from 0, a step <= 1 with log sampling, or an unknown sampling have no valid point: typed errors', () => {
    expect(() => new Float('lr', 0, 1, { sampling: 'log' })).toThrow(/needs minValue > 0/);
    expect(() => new Float('lr', 0.1, 1, { sampling: 'log', step: 1 })).toThrow(/expected step > 1/);
    expect(() => new Float('lr', 0.1, 1, { sampling: 'cubic' as never })).toThrow(/sampling must be one of linear, log, reverse_log/);
    expect(() => new Float('lr', 0.1, 1, { default: 2 })).toThrow(/default must lie in \[0.1, 1\]/);
  });
});

describe('Choice, Boolean, Fixed', () => {
  it('Choice: every value drawn, default the first, one type only, not empty', () => {
    const hp = new Choice('act', ['relu', 'tanh', 'gelu']);
    expect(hp.default).toBe(hp.values[0]);
    expect(new Set(draws(hp))).toEqual(new Set(hp.values));
    expect(hp.ordered).toBe(false);
    expect(new Choice('u', [8, 16]).ordered).toBe(true);
    expect(() => new Choice('e', [])).toThrow(/non-empty array.*has no valid point/);
    expect(() => new Choice('m', [1, 'a'] as never)).toThrow(/only one type of value/);
    expect(() => new Choice('d', ['a', 'b'], { default: 'c' })).toThrow(/default value should be one of the choices/);
  });

  it('Boolean draws both, default false; Fixed always gives its value', () => {
    expect(new BooleanHp('b').default).toBe(false);
    expect(new Set(draws(new BooleanHp('b')))).toEqual(new Set([true, false]));
    expect(new Set(draws(new Fixed('f', 'x')))).toEqual(new Set(['x']));
  });

  it('configs round-trip through JSON', () => {
    for (const hp of [new Int('a', 1, 9, { step: 2 }), new Float('b', 1e-3, 1, { sampling: 'log', default: 0.01 }), new Choice('c', [1, 2, 3], { default: 2 }), new BooleanHp('d', { default: true }), new Fixed('e', 3)]) {
      const back = HyperParameter.fromConfig(JSON.parse(JSON.stringify(hp.getConfig())));
      expect(back.getConfig()).toEqual(hp.getConfig());
      expect(back.values).toEqual(hp.values);
    }
  });
});

describe('HyperParameters: lazy registration, collisions, conditional scopes', () => {
  it('registers on first use and returns the default until a value is set', () => {
    const hp = new HyperParameters();
    expect(hp.Int('units', 32, 512, { step: 32 })).toBe(32);
    expect(hp.Float('lr', 1e-4, 1e-2, { sampling: 'log' })).toBe(1e-4);
    expect(hp.Choice('act', ['relu', 'tanh'])).toBe('relu');
    expect(hp.Boolean('bn')).toBe(false);
    expect(hp.Fixed('epochs', 3)).toBe(3);
    expect(hp.space.map((h) => h.name)).toEqual(['units', 'lr', 'act', 'bn', 'epochs']);
    hp.values.units = 64;
    expect(hp.Int('units', 32, 512, { step: 32 })).toBe(64);
  });

  it('a second definition with the same name returns the first one (its new arguments are ignored, as in KerasTuner)', () => {
    const hp = new HyperParameters();
    const first = hp.Int('units', 8, 16);
    expect(hp.Int('units', 100, 200)).toBe(first);
    expect(hp.space).toHaveLength(1);
  });

  it('conditional scopes: inactive children register but return null; the body always runs', () => {
    const hp = new HyperParameters();
    const kind = hp.Choice('kind', ['mlp', 'cnn']);
    let ran = 0;
    const mlpUnits = hp.conditionalScope('kind', ['mlp'], () => (ran++, hp.Int('mlp_units', 8, 64)));
    const cnnFilters = hp.conditionalScope('kind', 'cnn', () => (ran++, hp.Int('cnn_filters', 4, 32)));
    expect(kind).toBe('mlp');
    expect(ran).toBe(2);
    expect(mlpUnits).toBe(8);
    expect(cnnFilters).toBeNull();
    expect(hp.space.map((h) => h.name)).toEqual(['kind', 'mlp_units', 'cnn_filters']);
    expect(hp.isActive('cnn_filters')).toBe(false);
    expect(() => hp.get('cnn_filters')).toThrow(/currently inactive/);
    expect(() => hp.get('nope')).toThrow(/does not exist/);
    // The same name in two branches is two entries, each active with its branch.
    const two = new HyperParameters();
    two.values.kind = 'cnn';
    two.Choice('kind', ['mlp', 'cnn']);
    two.conditionalScope('kind', 'mlp', () => two.Int('units', 1, 4));
    expect(two.conditionalScope('kind', 'cnn', () => two.Int('units', 10, 40))).toBe(10);
    expect(two.space.filter((h) => h.name === 'units')).toHaveLength(2);
  });

  it('a scope on an unknown parent, or on values the parent cannot take, is a typed error naming what is allowed', () => {
    const hp = new HyperParameters();
    expect(() => hp.conditionalScope('kind', ['a'], () => 0)).toThrow(/parent hyperparameter "kind" is not defined/);
    hp.Choice('kind', ['mlp', 'cnn']);
    expect(() => hp.conditionalScope('kind', ['rnn'], () => 0)).toThrow(SearchSpaceError);
    expect(() => hp.conditionalScope('kind', ['rnn'], () => 0)).toThrow(/Allowed values: \["mlp","cnn"\]/);
  });

  it('activeValues drops values whose scope is off and fills defaults', () => {
    const hp = new HyperParameters();
    hp.Choice('kind', ['mlp', 'cnn']);
    hp.conditionalScope('kind', 'mlp', () => hp.Int('units', 8, 64));
    hp.conditionalScope('kind', 'cnn', () => hp.Int('filters', 4, 32));
    expect(HyperParameters.activeValues(hp.space, { kind: 'cnn', units: 40 })).toEqual({ kind: 'cnn', filters: hp.space[2]!.default });
  });
});
