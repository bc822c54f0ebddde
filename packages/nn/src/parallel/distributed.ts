/**
 * `nn.parallel.DistributedDataParallel`: PyTorch's DDP over Duet's process
 * group (`distributed` in @duet/core; TensorFlow's collective runtime).
 * Design and its limits: docs/design/distributed.md.
 *
 * - At construction, rank 0's parameters and buffers are broadcast, so every
 *   worker starts from the same model.
 * - During `backward()`, each parameter announces its gradient as the
 *   autograd engine accumulates it; parameters are grouped in buckets
 *   (reverse registration order, about `bucketCapMb` MB each, as PyTorch), and
 *   a bucket is averaged across workers (one TensorFlow CollectiveReduceV2
 *   with final op Div) as soon as all its gradients are in, buckets in order.
 *   After `backward()` every worker holds the same averaged `.grad`s.
 * - `noSync(fn)` accumulates gradients locally (PyTorch's `no_sync()`); the
 *   next `backward()` outside it averages the accumulated sum.
 * - A parameter that gets no gradient in a backward (an unused branch)
 *   leaves its bucket waiting: the next `forward()` raises a
 *   DistributedStateError; call `syncGradients()` after such a backward
 *   (it averages every bucket still waiting, missing gradients as zeros).
 */
import { ArgumentError, Tensor, distributed, noGrad, tensor } from '@duet/core';
import { Module, callForward } from '../module.js';
import type { Parameter } from '../parameter.js';

export interface DistributedDataParallelOptions {
  /** Bucket size in MB (PyTorch's bucket_cap_mb, default 25). */
  bucketCapMb?: number;
  /** Broadcast rank 0's buffers (BatchNorm running stats) before every forward (default true). */
  broadcastBuffers?: boolean;
}

interface Bucket {
  params: Parameter[];
  numel: number;
  ready: number;
  done: boolean;
}

type Accumulate = (g: unknown) => void;

export class DistributedDataParallel extends Module {
  declare readonly module: Module;
  readonly bucketCapMb: number;
  readonly broadcastBuffers: boolean;
  private declare _buckets: Bucket[];
  private declare _bucketOf: Map<Parameter, Bucket>;
  private declare _next: number;
  private declare _syncOn: boolean;
  private declare _seen: Set<Parameter>;

  constructor(module: Module, options: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new ArgumentError(`DistributedDataParallel: expected an nn.Module, received ${module === null ? 'null' : typeof module}.`);
    if (!distributed.isInitialized()) {
      throw new distributed.DistributedStateError('DistributedDataParallel: call distributed.init() first (or start the script with pnpm duet-run).');
    }
    this.module = module;
    this.bucketCapMb = options.bucketCapMb ?? 25;
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    const hidden = (k: string, v: unknown) => Object.defineProperty(this, k, { value: v, writable: true, configurable: true, enumerable: false });
    hidden('_next', 0);
    hidden('_syncOn', true);
    hidden('_seen', new Set<Parameter>());
    // Every worker starts from rank 0's weights.
    syncTensors(module.parameters(), 0);
    syncTensors(module.buffers(), 0);
    // Buckets: parameters that train, in reverse order (roughly the order backward produces their gradients).
    const params = module.parameters().filter((p) => p.requiresGrad).reverse();
    const cap = this.bucketCapMb * 1024 * 1024;
    const buckets: Bucket[] = [];
    let cur: Bucket | null = null;
    for (const p of params) {
      if (p.dtype !== 'float32') continue;
      const n = p.numel();
      if (cur === null || (cur.numel > 0 && (cur.numel + n) * 4 > cap)) {
        cur = { params: [], numel: 0, ready: 0, done: false };
        buckets.push(cur);
      }
      cur.params.push(p);
      cur.numel += n;
    }
    hidden('_buckets', buckets);
    hidden('_bucketOf', new Map(buckets.flatMap((b) => b.params.map((p) => [p, b] as const))));
    for (const p of this._bucketOf.keys()) this._hook(p);
  }

  /** Wrap the parameter's gradient accumulation: the autograd engine calls it once per backward with the gradient. */
  private _hook(p: Parameter): void {
    const target = p as unknown as { _accumulateGrad: Accumulate };
    const original = target._accumulateGrad;
    target._accumulateGrad = (g: unknown) => {
      original.call(p, g);
      this._onGrad(p);
    };
  }

  private _onGrad(p: Parameter): void {
    if (!this._syncOn || this._seen.has(p)) return;
    this._seen.add(p);
    const b = this._bucketOf.get(p)!;
    b.ready++;
    // Reduce buckets in order, each once all its gradients are in: every worker issues the same collectives in the same order.
    while (this._next < this._buckets.length) {
      const next = this._buckets[this._next]!;
      if (next.ready < next.params.length) break;
      this._reduce(next);
      this._next++;
    }
    if (this._next === this._buckets.length) this._reset();
  }

  private _reset(): void {
    for (const b of this._buckets) {
      b.ready = 0;
      b.done = false;
    }
    this._next = 0;
    this._seen.clear();
  }

  /** Average one bucket's gradients across workers: one host copy in, one collective, one copy out. */
  private _reduce(b: Bucket): void {
    const flat = new Float32Array(b.numel);
    let off = 0;
    for (const p of b.params) {
      const g = p.grad;
      if (g !== null) flat.set(g.dataSync() as Float32Array, off);
      off += p.numel();
    }
    const avg = distributed.allReduceArray(flat, 'mean');
    off = 0;
    noGrad(() => {
      for (const p of b.params) {
        const n = p.numel();
        p.grad = tensor(avg.subarray(off, off + n), { shape: [...p.shape] });
        off += n;
      }
    });
    b.done = true;
  }

  /**
   * Average every bucket not yet averaged since the last complete backward
   * (missing gradients count as zeros). Needed only after a backward in which
   * some parameter got no gradient; all workers must call it together.
   */
  syncGradients(): void {
    while (this._next < this._buckets.length) this._reduce(this._buckets[this._next++]!);
    this._reset();
  }

  /** PyTorch's `no_sync()`: run `fn` (forward and backward) without averaging; gradients accumulate locally. */
  noSync<T>(fn: () => T): T {
    const prev = this._syncOn;
    this._syncOn = false;
    try {
      return fn();
    } finally {
      this._syncOn = prev;
    }
  }

  forward(...args: any[]): any {
    if (this._next > 0 || this._seen.size > 0) {
      const missing = [...this._bucketOf.keys()].filter((p) => !this._seen.has(p)).length;
      throw new distributed.DistributedStateError(
        `DistributedDataParallel: the previous backward() left ${missing} parameter(s) without a gradient, so their buckets were never averaged. ` +
          'Call ddp.syncGradients() after such a backward (every worker), or make every parameter take part in the loss.',
      );
    }
    if (this.broadcastBuffers && this.training) syncTensors(this.module.buffers(), 0);
    return callForward(this.module, ...args);
  }
}

/** Overwrite `tensors` with rank `src`'s values: one broadcast per dtype. */
function syncTensors(tensors: Tensor[], src: number): void {
  for (const dtype of ['float32', 'int32'] as const) {
    const group = tensors.filter((t) => t.dtype === dtype);
    if (group.length === 0) continue;
    const total = group.reduce((s, t) => s + t.numel(), 0);
    const flat = dtype === 'float32' ? new Float32Array(total) : new Int32Array(total);
    let off = 0;
    for (const t of group) {
      flat.set(t.dataSync() as Float32Array | Int32Array, off);
      off += t.numel();
    }
    const got = distributed.broadcastArray(flat, src);
    off = 0;
    noGrad(() => {
      for (const t of group) {
        const n = t.numel();
        const v = tensor(got.subarray(off, off + n) as Float32Array | Int32Array, { shape: [...t.shape], dtype });
        t.copy_(v);
        v.dispose();
        off += n;
      }
    });
  }
}
