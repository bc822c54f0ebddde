/**
 * A running sum held on the device, so that metrics cost no host sync and
 * (almost) no kernel per step: `add(t, weight)` keeps `t` as it is (a
 * batch's per-sample values, even booleans, or a 0-d loss); every 32 adds
 * the pending values are summed into one kept total (Pack, Cast, Sum and a
 * Mul per distinct weight: amortized over the 32 steps); `read()` syncs
 * once. With `reduce: 'all'` every element is summed into a scalar; with
 * `reduce: 'batch'` values of one shape are summed elementwise (AUC's
 * per-threshold counts). Memory stays bounded by the flush size.
 */
import { Tensor, cat, libraryCall, noGrad, stack } from '@duet/core';

const FLUSH_EVERY = 32;

export class DeviceSum {
  /** Pending values grouped by weight, shape and dtype (stack needs equal shapes). */
  private pending = new Map<string, { weight: number; ts: Tensor[] }>();
  private n = 0;
  private total: Tensor | null = null;

  constructor(readonly reduce: 'all' | 'batch' = 'all') {}

  /** Add `weight * sum(t)` (or elementwise `weight * t` with reduce 'batch'); the weight is applied at the next flush. */
  add(t: Tensor, weight = 1): void {
    const key = `${weight}|${t.dtype}|${t.shape.join(',')}`;
    let g = this.pending.get(key);
    if (g === undefined) this.pending.set(key, (g = { weight, ts: [] }));
    g.ts.push(t.detach().keep());
    if (++this.n >= FLUSH_EVERY) this.flush();
  }

  private flush(): void {
    if (this.n === 0) return;
    // A library call: the partial sums are freed when it returns (only the kept total survives).
    libraryCall('metrics', 'flush', () => noGrad(() => {
      let total = this.total;
      for (const { weight, ts } of this.pending.values()) {
        let s: Tensor;
        if (ts.length === 1) s = ts[0]!.clone();
        // Vectors of one shape: one ConcatV2 (stack would add a reshape per value); scalars need the stack.
        else if (ts[0]!.ndim > 0) s = this.reduce === 'all' ? cat(ts, 0) : cat(ts, 0).reshape([ts.length, ...ts[0]!.shape]);
        else s = stack(ts);
        if (s.dtype !== 'float32') s = s.float();
        s = this.reduce === 'all' ? s.sum() : ts.length === 1 ? s : s.sum(0);
        if (weight !== 1) s = s.mul(weight);
        total = total === null ? s : total.add(s);
        for (const t of ts) t.dispose();
      }
      if (total !== this.total) {
        total!.keep();
        this.total?.dispose();
        this.total = total;
      }
    }));
    this.pending.clear();
    this.n = 0;
  }

  /** The sum as a tensor (kept by this object: read it before the next reset). */
  value(): Tensor | null {
    this.flush();
    return this.total;
  }

  /** The sum's values (one sync), or null if nothing was added. */
  read(): Float32Array | null {
    const t = this.value();
    return t === null ? null : (t.dataSync() as Float32Array);
  }

  reset(): void {
    for (const { ts } of this.pending.values()) for (const t of ts) t.dispose();
    this.pending.clear();
    this.n = 0;
    this.total?.dispose();
    this.total = null;
  }
}
