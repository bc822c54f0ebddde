/**
 * PyTorch's `torch.utils.data.DistributedSampler`: each of `numReplicas`
 * workers reads its own disjoint shard of the dataset; call `setEpoch(epoch)`
 * before each epoch so that every worker draws the same new order.
 * Sharding follows torch/utils/data/distributed.py exactly: the order is
 * padded by repeating its first indices up to a multiple of `numReplicas`
 * (or cut down to one, with `dropLast`), and rank r takes positions r,
 * r + numReplicas, ... The shuffled order comes from Duet's `Generator`
 * seeded with `seed + epoch` (the same on every worker; not torch's numbers).
 */
import { Generator, distributed } from '@duet/core';
import { DataOptionError } from './errors.js';
import { Sampler, type Sized } from './samplers.js';

export interface DistributedSamplerOptions {
  /** Number of workers (default: the process group's world size). */
  numReplicas?: number;
  /** This worker's rank (default: the process group's rank). */
  rank?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Shared by every worker (default 0). */
  seed?: number;
  /** Drop the tail so the shards divide evenly instead of padding (default false). */
  dropLast?: boolean;
}

/** Samples per replica, as torch computes `num_samples`. */
export function shardLength(n: number, numReplicas: number, dropLast: boolean): number {
  return dropLast && n % numReplicas !== 0 ? Math.ceil((n - numReplicas) / numReplicas) : Math.ceil(n / numReplicas);
}

/**
 * Rank `rank`'s shard of `order` (torch's padding and striding): the
 * indices a DistributedSampler yields given the (shuffled or not) order.
 */
export function shardIndices(order: ArrayLike<number>, numReplicas: number, rank: number, dropLast: boolean): number[] {
  const n = order.length;
  const numSamples = shardLength(n, numReplicas, dropLast);
  const total = numSamples * numReplicas;
  const out: number[] = [];
  for (let pos = rank; pos < total; pos += numReplicas) out.push(order[pos % n]!);
  return out;
}

function checkInt(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new DataOptionError(name, `DistributedSampler: ${name} must be an integer in ${min}..${max}; received ${String(v)}.`);
  }
  return v;
}

export class DistributedSampler extends Sampler<number> {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  epoch = 0;

  constructor(readonly dataset: Sized, options: DistributedSamplerOptions = {}) {
    super();
    const inGroup = distributed.isInitialized();
    if ((options.numReplicas === undefined || options.rank === undefined) && !inGroup) {
      throw new DataOptionError(
        options.numReplicas === undefined ? 'numReplicas' : 'rank',
        'DistributedSampler: pass numReplicas and rank, or call distributed.init() first (they default to the process group\'s world size and rank).',
      );
    }
    this.numReplicas = checkInt(options.numReplicas ?? distributed.getWorldSize(), 'numReplicas', 1, 2 ** 31 - 1);
    this.rank = checkInt(options.rank ?? distributed.getRank(), 'rank', 0, this.numReplicas - 1);
    this.shuffle = options.shuffle ?? true;
    this.seed = checkInt(options.seed ?? 0, 'seed', 0, 2 ** 32 - 1);
    this.dropLast = options.dropLast ?? false;
  }

  /** Samples this worker yields per epoch (torch's `num_samples`). */
  get length(): number {
    return shardLength(this.dataset.length, this.numReplicas, this.dropLast);
  }

  /** torch's `set_epoch`: the next pass uses the order of `seed + epoch`. */
  setEpoch(epoch: number): void {
    this.epoch = checkInt(epoch, 'epoch', 0, 2 ** 32 - 1);
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataset.length;
    if (n === 0) return;
    const order = this.shuffle ? new Generator((this.seed + this.epoch) >>> 0).randperm(n) : Int32Array.from({ length: n }, (_, i) => i);
    yield* shardIndices(order, this.numReplicas, this.rank, this.dropLast);
  }
}
