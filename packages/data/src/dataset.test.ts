import { describe, expect, it } from 'vitest';
import { tensor, arange, Tensor } from '@duet/core';
import { ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, randomSplit } from './dataset.js';
import { DataIndexError, DataOptionError } from './errors.js';

class Squares extends Dataset<[number, number]> {
  constructor(readonly n: number) {
    super();
  }
  get length(): number {
    return this.n;
  }
  get(i: number): [number, number] {
    return [i, i * i];
  }
}

class Count extends IterableDataset<number> {
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < 3; i++) yield i;
  }
}

describe('Dataset', () => {
  it('a subclass implements length and get', () => {
    const d = new Squares(4);
    expect(d.length).toBe(4);
    expect(d.get(3)).toEqual([3, 9]);
  });

  it('IterableDataset reads sync and async', async () => {
    expect([...new Count()]).toEqual([0, 1, 2]);
    const out: number[] = [];
    for await (const x of new Count()) out.push(x);
    expect(out).toEqual([0, 1, 2]);
  });

  it('IterableDataset without an iterator says so', async () => {
    class Empty extends IterableDataset<number> {}
    await expect(async () => {
      for await (const _ of new Empty()) void _;
    }).rejects.toThrow(/neither \[Symbol.iterator\] nor \[Symbol.asyncIterator\]/);
  });
});

describe('TensorDataset', () => {
  it('gives the rows of each tensor, and whole batches with getBatch', () => {
    const x = arange(0, 12).reshape([6, 2]);
    const y = tensor([0, 1, 2, 3, 4, 5], { dtype: 'int32' });
    const d = new TensorDataset(x, y);
    expect(d.length).toBe(6);
    const [xi, yi] = d.get(2);
    expect(xi!.toArray()).toEqual([4, 5]);
    expect(yi!.item()).toBe(2);
    expect(d.get(-1)[1]!.item()).toBe(5);
    const [xb, yb] = d.getBatch([5, 0]);
    expect(xb!.toArray()).toEqual([[10, 11], [0, 1]]);
    expect(yb!.toArray()).toEqual([5, 0]);
  });

  it('refuses tensors with different first dimensions, and out-of-range indices', () => {
    expect(() => new TensorDataset(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(DataOptionError);
    expect(() => new TensorDataset(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/tensor 0 has 3 rows, tensor 1 has 2/);
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
    const d = new TensorDataset(tensor([1, 2, 3]));
    expect(() => d.get(3)).toThrow(DataIndexError);
    expect(() => d.get(3)).toThrow(/index 3 is out of range; expected an integer in \[0, 3\)/);
  });

  it('keeps its tensors (they are never released automatically)', () => {
    const x = tensor([1, 2, 3]);
    new TensorDataset(x);
    expect(x._owner).toBe(0); // USER
    expect(x).toBeInstanceOf(Tensor);
  });
});

describe('Subset, ConcatDataset', () => {
  it('Subset maps indices', () => {
    const s = new Subset(new Squares(10), [7, 2, -1]);
    expect(s.length).toBe(3);
    expect([0, 1, 2].map((i) => s.get(i))).toEqual([[7, 49], [2, 4], [9, 81]]);
    expect(() => new Subset(new Squares(3), [3])).toThrow(DataIndexError);
  });

  it('ConcatDataset chains datasets', () => {
    const c = new ConcatDataset([new Squares(2), new Squares(3), new Squares(1)]);
    expect(c.length).toBe(6);
    expect(c.cumulativeSizes).toEqual([2, 5, 6]);
    expect(Array.from({ length: 6 }, (_, i) => (c.get(i) as [number, number])[0])).toEqual([0, 1, 0, 1, 2, 0]);
    expect(c.get(-1)).toEqual([0, 0]);
    expect(() => new ConcatDataset([])).toThrow(DataOptionError);
    expect(() => new ConcatDataset([new Count() as never])).toThrow(/dataset 0 is not a map-style dataset/);
  });
});

describe('randomSplit', () => {
  it('splits by fractions and counts without overlap', () => {
    const d = new Squares(10);
    const [a, b] = randomSplit(d, [0.8, 0.2], { seed: 1 });
    expect(a!.length).toBe(8);
    expect(b!.length).toBe(2);
    const all = [...a!.indices, ...b!.indices].sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const parts = randomSplit(d, [3, 3, 4], { seed: 1 });
    expect(parts.map((p) => p.length)).toEqual([3, 3, 4]);
    // The remainder of fractions goes round-robin, like PyTorch.
    expect(randomSplit(new Squares(11), [0.5, 0.5], { seed: 0 }).map((p) => p.length)).toEqual([6, 5]);
  });

  it('is the same for the same seed, different for another', () => {
    const d = new Squares(100);
    const a = randomSplit(d, [0.5, 0.5], { seed: 42 })[0]!.indices;
    expect(randomSplit(d, [0.5, 0.5], { seed: 42 })[0]!.indices).toEqual(a);
    expect(randomSplit(d, [0.5, 0.5], { seed: 43 })[0]!.indices).not.toEqual(a);
  });

  it('refuses lengths that fit neither form', () => {
    expect(() => randomSplit(new Squares(10), [5, 4])).toThrow(/fractions summing to 1 or counts summing to the dataset's length 10/);
    expect(() => randomSplit(new Squares(10), [-1, 11])).toThrow(DataOptionError);
  });
});
