/**
 * `keras.distribute.MultiWorkerMirroredStrategy`: TensorFlow's synchronous
 * data-parallel strategy for Keras models, on Duet's process group
 * (`distributed` in @duet/core, TensorFlow's collective runtime). The same
 * model code trains on every worker:
 *
 *   const strategy = new keras.distribute.MultiWorkerMirroredStrategy();
 *   const model = strategy.scope(() => { const m = ...; m.compile({...}); return m; });
 *   await model.fit(x, y, { batchSize: 64, epochs: 5 });  // 64 = the global batch
 *
 * What a model compiled inside `scope()` (or passed to `distributeModel`) does:
 * - weights: rank 0's are broadcast before the first fit/evaluate/trainOnBatch
 *   (a model not built yet is built from x's shape first);
 * - gradients: averaged across workers before each optimizer step (one
 *   CollectiveReduceV2 per step over all gradients);
 * - data: `fit`/`evaluate` given arrays (Tensors) take the full data on every
 *   worker and give each its part of every global batch (`batchSize` is
 *   global, divided by the number of workers; a tail that does not divide
 *   evenly is dropped, so every worker runs the same number of steps).
 *   Iterables (DataLoader) are used as given: shard them yourself
 *   (DistributedSampler) with equal lengths;
 * - metrics: the epoch's logs (History, callbacks' onEpochEnd, evaluate's
 *   result) are the mean over workers of each worker's value: exact for
 *   mean metrics (loss, accuracy) over equal shards. The progress bar within
 *   an epoch shows this worker's running values.
 * Design and limits: docs/design/distributed.md.
 */
import { Tensor, distributed, noGrad, tensor, type DTypeLike } from '@duet/core';
import { KerasValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { Model as ModelClass } from '../models/model.js';
import type { Variable } from '../layers/variable.js';

export interface MultiWorkerMirroredStrategyOptions {
  /** Passed to `distributed.init()` when no process group exists yet (default: DUET_CLUSTER/DUET_RANK, or TF_CONFIG). */
  cluster?: readonly string[] | string;
  rank?: number;
  timeoutMs?: number;
}

const distributedModels = new WeakSet<Model>();

type AnyFn = (...args: any[]) => any;

export class MultiWorkerMirroredStrategy {
  constructor(options: MultiWorkerMirroredStrategyOptions = {}) {
    if (!distributed.isInitialized()) distributed.init(options);
  }

  /** Workers training together (Keras's `num_replicas_in_sync`; one replica per worker). */
  get numReplicasInSync(): number {
    return distributed.getWorldSize();
  }

  /** This worker's index (TF_CONFIG's id in cluster; Keras's `cluster_resolver.task_id` over chief + workers). */
  get taskId(): number {
    return distributed.getRank();
  }

  /** Rank 0: the worker that saves checkpoints and writes logs. */
  get isChief(): boolean {
    return distributed.getRank() === 0;
  }

  /** Run `fn`; every model compiled inside it trains data-parallel. Returns `fn`'s result. */
  scope<T>(fn: () => T): T {
    const proto = ModelClass.prototype as unknown as { compile: AnyFn };
    const original = proto.compile;
    const strategy = this;
    proto.compile = function (this: Model, ...args: any[]) {
      const r = original.apply(this, args);
      strategy.distributeModel(this);
      return r;
    };
    try {
      return fn();
    } finally {
      proto.compile = original;
    }
  }

  /** Make a compiled model train data-parallel (what `scope()` does at `compile()`). Returns the model. */
  distributeModel(model: Model): Model {
    if (model.compiled === null) throw new KerasValueError('MultiWorkerMirroredStrategy: compile the model first (inside strategy.scope()), then distribute it.');
    wrapCompiled(model);
    if (distributedModels.has(model)) return model;
    distributedModels.add(model);
    const m = model as unknown as Record<string, AnyFn>;
    let synced = false;
    const syncWeights = (x: unknown): void => {
      if (synced) return;
      if (!model.built) {
        const first = x instanceof Tensor ? x : Array.isArray(x) && x[0] instanceof Tensor ? x[0] : undefined;
        if (first === undefined) {
          throw new KerasValueError('MultiWorkerMirroredStrategy: the model must be built before training on an iterable (give the first layer an inputShape, start from keras.Input, or call model.build()), so that every worker starts from rank 0\'s weights.');
        }
        model.maybeBuild([...first.shape]);
      }
      broadcastWeights(model.weights);
      synced = true;
    };
    const compile = m.compile!;
    m.compile = function (...args: any[]) {
      const r = compile.apply(model, args);
      wrapCompiled(model);
      return r;
    };
    for (const name of ['fit', 'evaluate'] as const) {
      const original = m[name]!;
      m[name] = (x?: unknown, y?: unknown, options?: Record<string, unknown>) => {
        syncWeights(x);
        if (!(x instanceof Tensor) && !isTensorList(x)) return original.call(model, x, y, options);
        const opts = { ...(options ?? {}) };
        const global = (opts.batchSize as number | null | undefined) ?? 32;
        const world = distributed.getWorldSize();
        const rank = distributed.getRank();
        if (!Number.isInteger(global) || global % world !== 0) {
          throw new KerasValueError(`MultiWorkerMirroredStrategy: batchSize is the global batch and must divide by the ${world} workers. Received: batchSize=${String(global)}`);
        }
        const rows = shardRows(rowsOf(x), global, world, rank);
        const owned: Tensor[] = [];
        const shard = (d: unknown): unknown => shardData(d, rows, owned);
        opts.batchSize = global / world;
        if (opts.sampleWeight !== undefined && opts.sampleWeight !== null) opts.sampleWeight = shard(opts.sampleWeight);
        if (name === 'fit' && Array.isArray(opts.validationData) && (opts.validationData[0] instanceof Tensor || isTensorList(opts.validationData[0]))) {
          const vGlobal = (opts.validationBatchSize as number | undefined) ?? global;
          if (vGlobal % world !== 0) throw new KerasValueError(`MultiWorkerMirroredStrategy: validationBatchSize must divide by the ${world} workers. Received: ${vGlobal}`);
          const vRows = shardRows(rowsOf(opts.validationData[0]), vGlobal, world, rank);
          opts.validationData = (opts.validationData as unknown[]).map((d) => shardData(d, vRows, owned));
          opts.validationBatchSize = vGlobal / world;
        }
        const release = (r: unknown) => {
          for (const t of owned) t.dispose();
          return r;
        };
        return (original.call(model, shard(x), y === undefined ? undefined : shard(y), opts) as Promise<unknown>).then(release, (e: unknown) => {
          release(undefined);
          throw e;
        });
      };
    }
    for (const name of ['trainOnBatch', 'testOnBatch'] as const) {
      const original = m[name]!;
      m[name] = (x?: unknown, ...rest: unknown[]) => {
        syncWeights(x);
        return original.call(model, x, ...rest);
      };
    }
    return model;
  }
}

function isTensorList(x: unknown): x is Tensor[] {
  return Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof Tensor);
}

function rowsOf(x: unknown): number {
  const t = x instanceof Tensor ? x : (x as Tensor[])[0]!;
  return t.shape[0] ?? 0;
}

/**
 * The rows worker `rank` reads: its part of every global batch, so that
 * with shuffle off the workers together see exactly the global batches.
 */
export function shardRows(n: number, globalBatch: number, world: number, rank: number): Int32Array {
  const usable = n - (n % world);
  const rows: number[] = [];
  for (let start = 0; start < usable; start += globalBatch) {
    const size = Math.min(globalBatch, usable - start);
    const per = size / world;
    for (let i = 0; i < per; i++) rows.push(start + rank * per + i);
  }
  return Int32Array.from(rows);
}

function shardData(d: unknown, rows: Int32Array, owned: Tensor[]): unknown {
  if (d instanceof Tensor) {
    const idx = tensor(rows, { dtype: 'int32' as DTypeLike });
    const out = d.indexSelect(0, idx);
    idx.dispose();
    owned.push(out);
    return out;
  }
  if (isTensorList(d)) return d.map((t) => shardData(t, rows, owned));
  if (d !== null && typeof d === 'object' && !ArrayBuffer.isView(d) && !Array.isArray(d) && Object.values(d).every((t) => t instanceof Tensor)) {
    return Object.fromEntries(Object.entries(d).map(([k, t]) => [k, shardData(t, rows, owned)]));
  }
  throw new KerasValueError('MultiWorkerMirroredStrategy: with Tensors for x, give y (and sampleWeight) as Tensors too, so that every worker takes the same rows of each.');
}

/** Rank 0's weights on every worker (one broadcast). */
function broadcastWeights(weights: Variable[]): void {
  const floats = weights.filter((w) => w.dtype === 'float32');
  const total = floats.reduce((s, w) => s + w.numel(), 0);
  if (total === 0) return;
  const flat = new Float32Array(total);
  let off = 0;
  for (const w of floats) {
    flat.set(w.dataSync() as Float32Array, off);
    off += w.numel();
  }
  const got = distributed.broadcastArray(flat, 0);
  off = 0;
  noGrad(() => {
    for (const w of floats) {
      const v = tensor(got.subarray(off, off + w.numel()), { shape: [...w.shape] });
      w.copy_(v);
      v.dispose();
      off += w.numel();
    }
  });
}

const wrappedStates = new WeakSet<object>();

/** The compiled state's optimizer averages gradients; its results are reduced across workers. */
function wrapCompiled(model: Model): void {
  const state = model.compiled!;
  if (wrappedStates.has(state)) return;
  wrappedStates.add(state);
  const opt = state.optimizer as unknown as { apply: (grads: Tensor[], vars: Variable[]) => void };
  const apply = opt.apply;
  opt.apply = function (grads: Tensor[], vars: Variable[]) {
    const total = grads.reduce((s, g) => s + g.numel(), 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (const g of grads) {
      flat.set(g.dataSync() as Float32Array, off);
      off += g.numel();
    }
    const avg = distributed.allReduceArray(flat, 'mean');
    off = 0;
    const averaged = grads.map((g) => {
      const t = tensor(avg.subarray(off, off + g.numel()), { shape: [...g.shape] });
      off += g.numel();
      return t;
    });
    try {
      apply.call(this, averaged, vars);
    } finally {
      for (const t of averaged) t.dispose();
    }
  };
  const s = state as unknown as { results: () => Record<string, number> };
  const results = s.results;
  s.results = function () {
    const local = results.call(this);
    const keys = Object.keys(local);
    const mean = distributed.allReduceArray(Float64Array.from(keys, (k) => local[k]!), 'mean');
    return Object.fromEntries(keys.map((k, i) => [k, mean[i]!]));
  };
}
