import { describe, expect, it } from 'vitest';
import { ArgumentError, Tensor, arange, countKernels, markStep, memory, tensor } from '@duet/core';
import { DataLoader } from './dataloader.js';
import { Dataset, IterableDataset, TensorDataset } from './dataset.js';
import { DataOptionError } from './errors.js';
import { BatchSampler, SequentialSampler } from './samplers.js';
import { MNIST } from './datasets/mnist.js';
import { ToTensor } from './transforms/basic.js';

class Range extends Dataset<number> {
  constructor(readonly n: number) {
    super();
  }
  get length(): number {
    return this.n;
  }
  get(i: number): number {
    return i;
  }
}
class AsyncRange extends Range {
  override get(i: number): any {
    return Promise.resolve(i);
  }
}
class Stream extends IterableDataset<number> {
  override readonly length = 7;
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < 7; i++) yield i;
  }
}

/** Read each batch inside the loop: a batch is released two batches later, as in a training loop. */
const values = (loader: Iterable<Tensor>): number[][] => {
  const out: number[][] = [];
  for (const b of loader) out.push(b.toArray());
  return out;
};

describe('DataLoader', () => {
  it('runs the seed line: MNIST + ToTensor, batchSize 32, shuffle', () => {
    const trainSet = new MNIST({ train: true, transform: new ToTensor() });
    const trainLoader = new DataLoader(trainSet, { batchSize: 32, shuffle: true });
    expect(trainLoader.length).toBe(1875);
    let n = 0;
    for (const [x, y] of trainLoader) {
      expect(x.shape).toEqual([32, 1, 28, 28]);
      expect(x.dtype).toBe('float32');
      expect(y.shape).toEqual([32]);
      expect(y.dtype).toBe('int32');
      if (n === 0) {
        expect(x.min().item()).toBe(0);
        expect(x.max().item()).toBe(1);
      }
      if (++n === 5) break;
    }
  });

  it('batches in order, with or without the short last batch', () => {
    expect(values(new DataLoader(new Range(5), { batchSize: 2 }))).toEqual([[0, 1], [2, 3], [4]]);
    expect(values(new DataLoader(new Range(5), { batchSize: 2, dropLast: true }))).toEqual([[0, 1], [2, 3]]);
    expect(new DataLoader(new Range(5), { batchSize: 2 }).length).toBe(3);
    expect(new DataLoader(new Range(5), { batchSize: 2, dropLast: true }).length).toBe(2);
    expect(values(new DataLoader(new Range(3)))).toEqual([[0], [1], [2]]);
  });

  it('reshuffles every epoch, and the same seed gives the same order', () => {
    const a = new DataLoader(new Range(20), { batchSize: 20, shuffle: true, seed: 123 });
    const b = new DataLoader(new Range(20), { batchSize: 20, shuffle: true, seed: 123 });
    const a1 = values(a)[0]!;
    const a2 = values(a)[0]!;
    expect([...a1].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a2).not.toEqual(a1);
    expect(values(b)[0]).toEqual(a1);
    expect(values(b)[0]).toEqual(a2);
    expect(values(new DataLoader(new Range(20), { batchSize: 20, shuffle: true, seed: 124 }))[0]).not.toEqual(a1);
  });

  it('takes a sampler, a batchSampler, a collateFn and batchSize null', () => {
    expect(values(new DataLoader(new Range(4), { batchSize: 2, sampler: [3, 2, 1, 0] }))).toEqual([[3, 2], [1, 0]]);
    const bs = new BatchSampler(new SequentialSampler({ length: 5 }), 3);
    expect(values(new DataLoader(new Range(5), { batchSampler: bs }))).toEqual([[0, 1, 2], [3, 4]]);
    const sums = [...new DataLoader(new Range(4), { batchSize: 2, collateFn: (s: number[]) => s.reduce((a, b) => a + b) })];
    expect(sums).toEqual([1, 5]);
    expect([...new DataLoader(new Range(3), { batchSize: null })]).toEqual([0, 1, 2]);
    expect(values(new DataLoader([5, 6, 7], { batchSize: 2 }))).toEqual([[5, 6], [7]]);
  });

  it('uses getBatch for TensorDataset', () => {
    const ds = new TensorDataset(arange(0, 10).reshape([5, 2]), tensor([0, 1, 2, 3, 4], { dtype: 'int32' }));
    const ys: number[][] = [];
    const xs: number[][][] = [];
    for (const [x, y] of new DataLoader(ds, { batchSize: 2 })) {
      xs.push(x.toArray());
      ys.push(y.toArray());
    }
    expect(ys).toEqual([[0, 1], [2, 3], [4]]);
    expect(xs[0]).toEqual([[0, 1], [2, 3]]);
  });

  it('reads iterable datasets sync and async', async () => {
    const l = new DataLoader(new Stream(), { batchSize: 3 });
    expect(l.length).toBe(3);
    expect(values(l)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const out: number[][] = [];
    for await (const b of new DataLoader(new Stream(), { batchSize: 3, dropLast: true })) out.push(b.toArray());
    expect(out).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it('reads async datasets with for await, and says so with for ... of', async () => {
    const l = new DataLoader(new AsyncRange(4), { batchSize: 2 });
    const out: number[][] = [];
    for await (const b of l) out.push(b.toArray());
    expect(out).toEqual([[0, 1], [2, 3]]);
    expect(() => [...l]).toThrow(/returned a Promise \(an async dataset\); iterate with `for await/);
  });

  it('validates options in the constructor with typed errors', () => {
    const d = new Range(4);
    const err = (o: object): DataOptionError => {
      try {
        new DataLoader(d, o as never);
      } catch (e) {
        expect(e).toBeInstanceOf(DataOptionError);
        return e as DataOptionError;
      }
      throw new Error('no error');
    };
    expect(err({ batchSize: 0 }).message).toMatch(/batchSize must be a positive integer \(or null for no batching\); received number 0/);
    expect(err({ batchSize: 0 }).option).toBe('batchSize');
    expect(err({ batchSize: 0 }).code).toBe('ERR_DATA_OPTION');
    expect(err({ batchSize: 2.5 }).option).toBe('batchSize');
    expect(err({ sampler: [0, 1], shuffle: true }).message).toMatch(/sampler option is mutually exclusive with shuffle/);
    expect(err({ batchSampler: [[0]], batchSize: 4 }).message).toMatch(/mutually exclusive with batchSize.*together with batchSize/);
    expect(err({ batchSampler: [[0]], dropLast: true }).option).toBe('batchSampler');
    expect(err({ batch_size: 4 }).message).toMatch(/unknown option 'batch_size'; did you mean 'batchSize'\?/);
    expect(err({ batchsize: 4 }).message).toMatch(/did you mean 'batchSize'/);
    expect(err({ numWorkers: -1 }).option).toBe('numWorkers');
    expect(err({ prefetchFactor: 2 }).message).toMatch(/prefetchFactor only applies with numWorkers > 0/);
    expect(err({ persistentWorkers: true }).option).toBe('persistentWorkers');
    expect(err({ shuffle: 'yes' }).option).toBe('shuffle');
    expect(err({ collateFn: 3 }).option).toBe('collateFn');
    expect(err({ batchSize: null, dropLast: true }).option).toBe('dropLast');
    expect(() => new DataLoader(new Stream(), { shuffle: true })).toThrow(/IterableDataset.*takes no shuffle/);
    expect(() => new DataLoader(42 as never)).toThrow(/expected a dataset/);
    expect(() => [...new DataLoader(d, { numWorkers: 1, workerDataset: { module: 'x' } })]).toThrow(/iterate with `for await/);
  });
});

describe('DataLoader: one epoch generator behind for...of and for await', () => {
  /** Two fresh loaders from `make` (a shuffling loader reshuffles every epoch): one read with for...of, one with for await. */
  const both = async (make: () => DataLoader<any, Tensor>) => {
    const sync: number[][] = [];
    for (const b of make()) sync.push(b.toArray());
    const async_: number[][] = [];
    for await (const b of make()) async_.push(b.toArray());
    return [sync, async_];
  };

  it('gives the same batches both ways (map-style, shuffled, iterable, dropLast)', async () => {
    for (const make of [
      () => new DataLoader(new Range(10), { batchSize: 3 }),
      () => new DataLoader(new Range(10), { batchSize: 4, shuffle: true, seed: 3 }),
      () => new DataLoader(new Stream(), { batchSize: 3 }),
      () => new DataLoader(new Stream(), { batchSize: 3, dropLast: true }),
    ]) {
      const [sync, async_] = await both(make);
      expect(async_).toEqual(sync);
      expect(sync!.length).toBe(make().length);
    }
  });

  it('leaving either loop early closes the dataset iterator, as for...of does; finishing does not call return()', async () => {
    const closed: string[] = [];
    class Tracked extends IterableDataset<number> {
      [Symbol.iterator](): Iterator<number> {
        let i = 0;
        return { next: () => (i < 6 ? { value: i++, done: false } : { value: undefined, done: true }), return: () => (closed.push('return'), { value: undefined, done: true }) };
      }
    }
    const loader = new DataLoader(new Tracked(), { batchSize: 2 });
    for (const _ of loader) break;
    expect(closed).toEqual(['return']);
    for await (const _ of loader) break;
    expect(closed).toEqual(['return', 'return']);
    for (const _ of loader) void _;
    for await (const _ of loader) void _;
    expect(closed).toEqual(['return', 'return']);
  });
});

describe("DataLoader over PyTorch's per-sample Dataset idiom (get(i) returns rows of tensors)", () => {
  class Rows extends Dataset<[Tensor, Tensor]> {
    constructor(readonly x: Tensor, readonly y: Tensor) {
      super();
    }
    get length(): number {
      return this.x.shape[0]!;
    }
    get(i: number): [Tensor, Tensor] {
      return [this.x.select(0, i), this.y.select(0, i)];
    }
  }

  it("gives TensorDataset's batches with one GatherV2 per field and batch (the rows are read only by the collate)", () => {
    const x = arange(0, 40).float().reshape([10, 4]).keep();
    const y = arange(0, 10).int().keep();
    const rows = [...new DataLoader(new Rows(x, y), { batchSize: 4 })].map(([a, b]) => [a.toArray(), b.toArray()]);
    const ref = [...new DataLoader(new TensorDataset(x, y), { batchSize: 4 })].map(([a, b]) => [a.toArray(), b.toArray()]);
    expect(rows).toEqual(ref);
    const it = new DataLoader(new Rows(x, y), { batchSize: 4, shuffle: true })[Symbol.iterator]();
    const k = countKernels(() => void it.next());
    it.return?.();
    expect(k.byName).toEqual({ GatherV2: 2 });
    x.dispose();
    y.dispose();
  });

  it('hands out rows that read correctly on their own (batchSize null, a custom collateFn, a row kept by the dataset and read an epoch later)', () => {
    const x = arange(0, 12).float().reshape([6, 2]).keep();
    const y = arange(0, 6).int().keep();
    const single = [...new DataLoader(new Rows(x, y), { batchSize: null })].map(([a, b]) => [a.toArray(), b.item()]);
    expect(single).toEqual([0, 1, 2, 3, 4, 5].map((i) => [[2 * i, 2 * i + 1], i]));
    const sums = [...new DataLoader(new Rows(x, y), { batchSize: 3, collateFn: (s: [Tensor, Tensor][]) => s.map(([a]) => a.sum().item()) })];
    expect(sums).toEqual([[1, 5, 9], [13, 17, 21]]);
    class Cached extends Rows {
      cache = new Map<number, [Tensor, Tensor]>();
      override get(i: number): [Tensor, Tensor] {
        let r = this.cache.get(i);
        if (r === undefined) this.cache.set(i, (r = super.get(i).map((t) => t.keep()) as [Tensor, Tensor]));
        return r;
      }
    }
    const ds = new Cached(x, y);
    const first = [...new DataLoader(ds, { batchSize: 2 })].map(([a]) => a.toArray());
    expect([...new DataLoader(ds, { batchSize: 2 })].map(([a]) => a.toArray())).toEqual(first);
    expect(ds.cache.get(5)![0].toArray()).toEqual([10, 11]);
    for (const [a, b] of ds.cache.values()) {
      a.dispose();
      b.dispose();
    }
    x.dispose();
    y.dispose();
  });

  it('keeps copy semantics: a row read after its tensor changed in place throws a typed error instead of showing the new values', () => {
    const x = arange(0, 6).float().reshape([3, 2]).keep();
    const y = arange(0, 3).int().keep();
    const [row] = new DataLoader(new Rows(x, y), { batchSize: null })[Symbol.iterator]().next().value as [Tensor, Tensor];
    x.mul_(2);
    expect(() => row.toArray()).toThrow(ArgumentError);
    expect(() => row.toArray()).toThrow(/read after that tensor was changed in place .* \.clone\(\)/);
    x.dispose();
    y.dispose();
  });

  it('a row the dataset changes in place is batched with its change (not gathered from the unchanged tensor)', () => {
    const x = arange(0, 8).float().reshape([4, 2]).keep();
    const y = arange(0, 4).int().keep();
    class Doubled extends Rows {
      override get(i: number): [Tensor, Tensor] {
        const [a, b] = super.get(i);
        return [i === 1 ? a.mul_(10) : a, b];
      }
    }
    const [first] = [...new DataLoader(new Doubled(x, y), { batchSize: 4 })];
    expect(first![0].toArray()).toEqual([[0, 1], [20, 30], [4, 5], [6, 7]]);
    expect(x.toArray()).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
    x.dispose();
    y.dispose();
  });

  it('records gradients as before when the rows come from a tensor that requires grad', () => {
    const w = arange(0, 8).float().reshape([4, 2]).detach().requiresGrad_();
    const y = arange(0, 4).int().keep();
    for (const [a] of new DataLoader(new Rows(w, y), { batchSize: 2 })) a.sum().backward();
    expect(w.grad!.toArray()).toEqual([[1, 1], [1, 1], [1, 1], [1, 1]]);
    w.dispose();
    y.dispose();
  });

  it('leaks no native tensor over epochs', () => {
    const x = arange(0, 400).float().reshape([100, 4]).keep();
    const y = arange(0, 100).int().keep();
    const loader = new DataLoader(new Rows(x, y), { batchSize: 8, shuffle: true });
    const epoch = () => {
      for (const [a] of loader) a.sum();
      markStep();
      markStep();
    };
    epoch();
    const before = memory().numTensors;
    for (let e = 0; e < 3; e++) epoch();
    expect(memory().numTensors).toBe(before);
    x.dispose();
    y.dispose();
  });
});
