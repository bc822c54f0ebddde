/**
 * DistributedSampler shards as torch.utils.data.DistributedSampler does
 * (fixture from test/distributed-golden/gen_distributed.py): identical indices
 * without shuffling; with shuffling, torch's sharding of torch's own order is
 * reproduced by shardIndices, and Duet's order gives disjoint, covering,
 * per-epoch shards that every rank agrees on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DistributedSampler, shardIndices, DataOptionError } from '@duet/data';

const golden: { server_defs: any[]; tf_config: any[]; samplers: any[] } = JSON.parse(readFileSync(new URL('./distributed-golden/distributed.json', import.meta.url), 'utf8'));
const name = (c: any): string => `n=${c.n} replicas=${c.numReplicas} shuffle=${c.shuffle} seed=${c.seed} dropLast=${c.dropLast} epoch=${c.epoch}`;
const sized = (n: number) => ({ length: n });

describe('DistributedSampler', () => {
  it.each(golden.samplers.map((c: any): [string, any] => [name(c), c]))('%s: torch\'s shards and lengths', (_n, c: any) => {
    for (let rank = 0; rank < c.numReplicas; rank++) {
      expect(shardIndices(c.order, c.numReplicas, rank, c.dropLast)).toEqual(c.indices[rank]);
      const s = new DistributedSampler(sized(c.n), { numReplicas: c.numReplicas, rank, shuffle: c.shuffle, seed: c.seed, dropLast: c.dropLast });
      s.setEpoch(c.epoch);
      const mine = [...s];
      expect(mine.length).toBe(c.indices[rank].length);
      expect(s.length).toBe(c.indices[rank].length);
      if (!c.shuffle) expect(mine).toEqual(c.indices[rank]);
    }
  });

  it.each([[64, 2, false], [11, 4, false], [11, 4, true], [5, 8, false]])('shuffled n=%i over %i ranks (dropLast %s): shards cover the data, agree across ranks, change per epoch', (n, replicas, dropLast) => {
    const shards = (epoch: number): number[][] =>
      Array.from({ length: replicas }, (_, rank) => {
        const s = new DistributedSampler(sized(n), { numReplicas: replicas, rank, seed: 3, dropLast });
        s.setEpoch(epoch);
        return [...s];
      });
    const e0 = shards(0);
    const all = e0.flat();
    const distinct = new Set(all);
    if (dropLast) {
      expect(distinct.size).toBe(all.length); // disjoint
    } else {
      for (let i = 0; i < n; i++) expect(distinct.has(i)).toBe(true); // every sample is read
      expect(all.length - distinct.size).toBe(all.length - n); // repeats only as padding
    }
    expect(shards(0)).toEqual(e0); // same seed and epoch on every worker -> same shards
    if (n > replicas) expect(shards(1)).not.toEqual(e0);
  });

  it('checks its options', () => {
    expect(() => new DistributedSampler(sized(4), { numReplicas: 2, rank: 2 })).toThrow(DataOptionError);
    expect(() => new DistributedSampler(sized(4), { numReplicas: 0, rank: 0 })).toThrow(/numReplicas must be an integer/);
    expect(() => new DistributedSampler(sized(4))).toThrow(/call distributed.init\(\) first/);
    expect(() => new DistributedSampler(sized(4), { numReplicas: 2, rank: 0 }).setEpoch(-1)).toThrow(/epoch/);
  });
});
