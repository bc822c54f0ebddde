/**
 * A running sum held on the device, so that metrics cost no host sync per
 * step: `add(t, weight)` keeps `t` (a 0-d tensor, or a vector such as AUC's
 * per-threshold counts); every 32 adds the pending values are summed into
 * one kept total (one Pack + Sum, amortized); `read()` syncs once. Memory
 * stays bounded by the flush size.
 */
import { Tensor, noGrad, stack } from '@duet/core';

const FLUSH_EVERY = 32;

export class DeviceSum {
  /** Pending values grouped by their host-side weight. */
  private pending = new Map<number, Tensor[]>();
  private n = 0;
  private total: Tensor | null = null;

  /** Add `weight * t` (the weight is applied at the next flush, on the host's side of the bargain: one Mul per flush). */
  add(t: Tensor, weight = 1): void {
    const v = t.detach().keep();
    let g = this.pending.get(weight);
    if (g === undefined) this.pending.set(weight, (g = []));
    g.push(v);
    if (++this.n >= FLUSH_EVERY) this.flush();
  }

  private flush(): void {
    if (this.n === 0) return;
    noGrad(() => {
      let total = this.total;
      for (const [w, ts] of this.pending) {
        let s = ts.length === 1 ? ts[0]!.clone() : stack(ts).sum(0);
        if (w !== 1) s = s.mul(w);
        total = total === null ? s : total.add(s);
        for (const t of ts) t.dispose();
      }
      if (total !== this.total) {
        total!.keep();
        this.total?.dispose();
        this.total = total;
      }
    });
    this.pending.clear();
    this.n = 0;
  }

  /** The sum as a tensor (kept by this object: read it before the next reset). */
  value(): Tensor | null {
    this.flush();
    return this.total;
  }

  /** The sum's values (one sync); `empty` if nothing was added. */
  read(): Float32Array | null {
    const t = this.value();
    return t === null ? null : (t.dataSync() as Float32Array);
  }

  reset(): void {
    for (const ts of this.pending.values()) for (const t of ts) t.dispose();
    this.pending.clear();
    this.n = 0;
    this.total?.dispose();
    this.total = null;
  }
}
