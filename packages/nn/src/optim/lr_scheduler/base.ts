/**
 * The base of the learning-rate schedulers, PyTorch's
 * `torch.optim.lr_scheduler.LRScheduler`: it remembers each group's
 * `initialLr`, counts epochs (`lastEpoch`) and writes the rate that `getLr()`
 * computes into `optimizer.paramGroups[i].lr` on every `step()`.
 *
 * The rates are computed as PyTorch computes them (its chainable forms, in
 * double precision), so they match PyTorch's to the last bits.
 */
import { ArgumentError } from '@duet/core';
import { Optimizer } from '../optimizer.js';
import { fromPyName, toPyName } from '../naming.js';

export type AnyOptimizer = Optimizer<any>;

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** The index of the last epoch (step) seen; -1 before the first. */
  lastEpoch: number;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  protected _stepCount = 0;
  protected _isInitial = false;
  protected _lastLr: number[] = [];

  /**
   * Subclasses set their fields after `super()` and then call
   * `this.initialStep()` (PyTorch's `_initial_step`), which sets the first rate.
   * `recordInitialLr: false` (ReduceLROnPlateau) leaves the groups alone.
   */
  constructor(optimizer: AnyOptimizer, lastEpoch = -1, options: { recordInitialLr?: boolean } = {}) {
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(`${new.target.name}: expected an Optimizer, received ${optimizer}.`);
    this.optimizer = optimizer;
    this.lastEpoch = lastEpoch;
    this._lastLr = this.groupLrs();
    if (options.recordInitialLr === false) {
      // ReduceLROnPlateau: PyTorch's skips LRScheduler.__init__ (no initial_lr on the groups, no base_lrs).
      this.baseLrs = [];
      return;
    }
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined) {
        throw new ArgumentError(`${new.target.name}: param 'initialLr' is not specified in paramGroups[${i}] when resuming a scheduler with lastEpoch >= 0; load the optimizer's state dict first, or start from lastEpoch = -1.`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** The first step, made by the constructor: sets the rates for epoch `lastEpoch + 1`. */
  protected initialStep(): void {
    this._stepCount = 0;
    this._isInitial = true;
    try {
      this.step();
    } finally {
      this._isInitial = false;
    }
  }

  /** The rates for `lastEpoch` (already advanced), one per group. */
  abstract getLr(): number[];

  /** Rates computed from `lastEpoch` alone, for schedules that have a closed form (used when jumping to an epoch). */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  /** Advance one epoch (or step) and set the groups' rates. Call it after `optimizer.step()`. */
  step(): void {
    this._stepCount += 1;
    this._updateLr();
  }

  /** @internal set the rates for the next epoch, or for `epoch` (closed form when there is one). */
  _updateLr(epoch?: number): void {
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = values[i]!));
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The rates set by the last `step()`, one per group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** The scheduler's fields under PyTorch's names (everything but the optimizer and functions). */
  stateDict(): Record<string, unknown> {
    return schedulerState(this);
  }
  /** Restore the fields saved by `stateDict()`. */
  loadStateDict(stateDict: Record<string, unknown>): void {
    loadSchedulerState(this, stateDict);
  }

  /** The current rates of the groups. */
  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** PyTorch's `state_dict`: the object's own data fields (not the optimizer, not functions), deep-copied. */
export function schedulerState(obj: object, skip: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'optimizer' || skip.includes(k) || typeof v === 'function') continue;
    out[toPyName(k)] = copyData(v);
  }
  return out;
}

/** PyTorch's `load_state_dict`: `__dict__.update(state_dict)`, with snake_case or camelCase keys. */
export function loadSchedulerState(obj: object, stateDict: Record<string, unknown>, skip: string[] = []): void {
  if (stateDict === null || typeof stateDict !== 'object') throw new ArgumentError(`${obj.constructor.name}.loadStateDict: expected an object, received ${stateDict}.`);
  for (const [k, v] of Object.entries(stateDict)) {
    const key = fromPyName(k);
    if (key === 'optimizer' || skip.includes(key)) continue;
    (obj as Record<string, unknown>)[key] = copyData(v);
  }
}

function copyData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyData);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyData(x)]));
  }
  return v;
}

/** Python's `bisect.bisect_right`: the index after the last element <= x in sorted `a`. */
export function bisectRight(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < a[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A value for an error message; an object where a number belongs usually means a positional argument was passed as an option. */
export function shown(v: unknown, positional?: string): string {
  if (v !== null && typeof v === 'object') {
    return `${JSON.stringify(v)}${positional ? ` (${positional} is a positional argument, as in PyTorch)` : ''}`;
  }
  return String(v);
}
