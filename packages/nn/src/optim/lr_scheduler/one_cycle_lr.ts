/**
 * The 1cycle policy: `torch.optim.lr_scheduler.OneCycleLR` (Smith & Topin,
 * 2017, "Super-Convergence", https://arxiv.org/abs/1708.07120).
 */
import { ArgumentError } from '@duet/core';
import { LRScheduler, type AnyOptimizer } from './base.js';
import type { LastEpochOption } from './decay.js';

export interface OneCycleLROptions extends LastEpochOption {
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate. Default 0.3. */
  pctStart?: number;
  /** Default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's `momentum`, or Adam's beta1) inversely to the rate. Default true. */
  cycleMomentum?: boolean;
  /** Default 0.85. */
  baseMomentum?: number | number[];
  /** Default 0.95. */
  maxMomentum?: number | number[];
  /** `initialLr = maxLr / divFactor`. Default 25. */
  divFactor?: number;
  /** `minLr = initialLr / finalDivFactor`. Default 1e4. */
  finalDivFactor?: number;
  /** A third phase annihilates the rate (fast.ai's variant when false). Default false. */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The rate rises from `maxLr / divFactor` to `maxLr`, then falls to
 * `initialLr / finalDivFactor`, over `totalSteps` steps; call `step()` after
 * every batch. Momentum cycles the other way.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const scheduler = new optim.lrScheduler.OneCycleLR(optimizer, 0.01, { epochs: 10, stepsPerEpoch: loader.length });
 * ```
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  cycleMomentum: boolean;
  useBeta1: boolean;
  private _schedulePhases: Phase[];
  private _annealFuncType: 'cos' | 'linear';

  constructor(optimizer: AnyOptimizer, maxLr: number | number[], options: OneCycleLROptions = {}) {
    const o = { pctStart: 0.3, annealStrategy: 'cos' as const, cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, lastEpoch: -1, ...stripUndefined(options) };
    const total = totalStepsOf(o);
    if (!(o.pctStart >= 0 && o.pctStart <= 1)) throw new ArgumentError(`OneCycleLR: expected pctStart between 0 and 1, received ${o.pctStart}.`);
    if (o.annealStrategy !== 'cos' && o.annealStrategy !== 'linear') throw new ArgumentError(`OneCycleLR: annealStrategy must be 'cos' or 'linear', received '${o.annealStrategy}'.`);
    const groups = optimizer.paramGroups;
    const maxLrs = perGroup('maxLr', groups.length, maxLr);
    if (o.lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / o.divFactor;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / o.finalDivFactor;
      });
    }
    let useBeta1 = false;
    if (o.cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      if (!('momentum' in d) && !('betas' in d)) throw new ArgumentError('OneCycleLR: optimizer must support momentum or beta1 with the cycleMomentum option enabled.');
      useBeta1 = 'betas' in d;
      const maxM = perGroup('maxMomentum', groups.length, o.maxMomentum);
      const baseM = perGroup('baseMomentum', groups.length, o.baseMomentum);
      if (o.lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i]!, ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i]!;
          g.maxMomentum = maxM[i]!;
          g.baseMomentum = baseM[i]!;
        });
      }
    }
    super(optimizer, o.lastEpoch);
    this.totalSteps = total;
    this.cycleMomentum = o.cycleMomentum;
    this.useBeta1 = useBeta1;
    this._annealFuncType = o.annealStrategy;
    const p = o.pctStart * total;
    this._schedulePhases = o.threePhase
      ? [
          { endStep: p - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * o.pctStart * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: p - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this._annealFuncType === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ArgumentError(`OneCycleLR: tried to step ${step} times. The specified number of total steps is ${this.totalSteps}.`);
    }
    return this.optimizer.paramGroups.map((g) => {
      let start = 0.0;
      const phases = this._schedulePhases;
      for (let i = 0; i < phases.length; i++) {
        const ph = phases[i]!;
        if (step <= ph.endStep || i === phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          const lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) {
            const m = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
            if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
            else g.momentum = m;
          }
          return lr;
        }
        start = ph.endStep;
      }
      throw new Error('unreachable');
    });
  }
}

function totalStepsOf(o: OneCycleLROptions): number {
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (o.totalSteps !== undefined) {
    if (!posInt(o.totalSteps)) throw new ArgumentError(`OneCycleLR: expected a positive integer totalSteps, received ${o.totalSteps}.`);
    return o.totalSteps;
  }
  if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
    if (!posInt(o.epochs)) throw new ArgumentError(`OneCycleLR: expected a positive integer epochs, received ${o.epochs}.`);
    if (!posInt(o.stepsPerEpoch)) throw new ArgumentError(`OneCycleLR: expected a positive integer stepsPerEpoch, received ${o.stepsPerEpoch}.`);
    return o.epochs * o.stepsPerEpoch;
  }
  throw new ArgumentError('OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch).');
}

function perGroup(name: string, n: number, v: number | number[]): number[] {
  if (!Array.isArray(v)) return Array<number>(n).fill(v);
  if (v.length !== n) throw new ArgumentError(`OneCycleLR: expected ${n} values for ${name}, received ${v.length}.`);
  return [...v];
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
