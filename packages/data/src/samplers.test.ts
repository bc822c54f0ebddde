import { describe, expect, it } from 'vitest';
import { Generator, manualSeed } from '@duet/core';
import { BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler } from './samplers.js';
import { DataOptionError } from './errors.js';

const ds = { length: 10 };

describe('samplers', () => {
  it('SequentialSampler counts up', () => {
    expect([...new SequentialSampler(ds)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('RandomSampler gives a permutation, a new one each pass, the same for the same seed', () => {
    const s = new RandomSampler(ds, { seed: 7 });
    const e1 = [...s];
    const e2 = [...s];
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e2).not.toEqual(e1);
    const again = new RandomSampler(ds, { seed: 7 });
    expect([...again]).toEqual(e1);
    expect([...again]).toEqual(e2);
  });

  it('RandomSampler order is pinned for a seed (same on every machine)', () => {
    // Regression value of Duet's own generator (mulberry32, integer arithmetic only).
    expect([...new RandomSampler(ds, { seed: 0 })]).toEqual([...new Generator(0).randperm(10)]);
    expect([...new RandomSampler(ds, { seed: 0 })]).toEqual([3, 8, 6, 4, 5, 9, 7, 1, 0, 2]);
  });

  it('RandomSampler without a generator follows manualSeed', () => {
    manualSeed(3);
    const a = [...new RandomSampler(ds)];
    manualSeed(3);
    expect([...new RandomSampler(ds)]).toEqual(a);
  });

  it('RandomSampler numSamples and replacement', () => {
    const s = new RandomSampler(ds, { numSamples: 25, seed: 1 });
    const out = [...s];
    expect(out.length).toBe(25);
    expect(s.length).toBe(25);
    expect(new Set(out.slice(0, 10)).size).toBe(10); // a full permutation first
    const r = [...new RandomSampler(ds, { replacement: true, numSamples: 1000, seed: 1 })];
    expect(r.length).toBe(1000);
    expect(Math.min(...r)).toBe(0);
    expect(Math.max(...r)).toBe(9);
    expect(() => new RandomSampler(ds, { numSamples: 0 })).toThrow(DataOptionError);
    expect(() => new RandomSampler(ds, { seed: 1, generator: new Generator(1) })).toThrow(/either generator or seed/);
  });

  it('SubsetRandomSampler shuffles the given indices', () => {
    const out = [...new SubsetRandomSampler([3, 5, 9], { seed: 2 })];
    expect([...out].sort()).toEqual([3, 5, 9]);
  });

  it('WeightedRandomSampler follows the weights', () => {
    const counts = [0, 0, 0];
    for (const i of new WeightedRandomSampler([1, 0, 3], 4000, { seed: 5 })) counts[i]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.5);
    expect(counts[2]! / counts[0]!).toBeLessThan(3.5);
    const noRep = [...new WeightedRandomSampler([1, 1, 0, 5], 3, { replacement: false, seed: 5 })];
    expect(new Set(noRep).size).toBe(3);
    expect(noRep).not.toContain(2);
    expect(() => new WeightedRandomSampler([1, 0], 2, { replacement: false })).toThrow(/cannot exceed the number of non-zero weights \(1\)/);
    expect(() => new WeightedRandomSampler([0, 0], 2)).toThrow(DataOptionError);
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow(/non-negative/);
  });

  it('BatchSampler groups indices, with or without the short last batch', () => {
    const s = new SequentialSampler(ds);
    expect([...new BatchSampler(s, 4)]).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect([...new BatchSampler(s, 4, true)]).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new BatchSampler(s, 4).length).toBe(3);
    expect(new BatchSampler(s, 4, true).length).toBe(2);
    expect(() => new BatchSampler(s, 0)).toThrow(/batchSize must be a positive integer; received 0/);
  });
});
