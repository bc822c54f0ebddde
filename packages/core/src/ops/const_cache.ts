/**
 * Native constants (scalars, axes, shapes) uploaded once and reused, so a hot
 * op does not re-upload `0.1` or `[0]` every step. Bounded: past `max`
 * entries the least recently used is released, so a value that changes every
 * step (a scheduled learning rate) keeps the native tensor count flat instead
 * of growing. Callers use an entry as a kernel input right away and never hold
 * it across calls; since a hit becomes the most recent, an op that fetches
 * two constants cannot lose the first while fetching the second.
 */
import { tf, type TfTensor } from '../engine.js';

export class ConstCache {
  private readonly entries = new Map<string, TfTensor>();
  constructor(private readonly max: number) {}

  get(key: string, make: () => TfTensor): TfTensor {
    let t = this.entries.get(key);
    if (t !== undefined) {
      this.entries.delete(key); // most recent last
      this.entries.set(key, t);
    } else {
      if (this.entries.size >= this.max) {
        const [oldKey, old] = this.entries.entries().next().value as [string, TfTensor];
        this.entries.delete(oldKey);
        old.dispose();
      }
      t = tf().keep(make());
      this.entries.set(key, t);
    }
    return t;
  }
}
