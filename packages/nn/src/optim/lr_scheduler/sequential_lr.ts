/** Schedulers one after another: `torch.optim.lr_scheduler.SequentialLR`. */
import { ArgumentError } from '@duet/core';
import { LRScheduler, bisectRight, loadSchedulerState, schedulerState, type AnyOptimizer } from './base.js';
import type { LastEpochOption } from './decay.js';
import { ReduceLROnPlateau } from './reduce_lr_on_plateau.js';

/**
 * Run `schedulers[0]` until `milestones[0]`, then `schedulers[1]`, and so on
 * (each later scheduler starts from its epoch 0 at its milestone).
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const { LinearLR, ExponentialLR, SequentialLR } = optim.lrScheduler;
 * const warmup = new LinearLR(optimizer, { startFactor: 0.1, totalIters: 2 });
 * const decay = new ExponentialLR(optimizer, 0.9);
 * const scheduler = new SequentialLR(optimizer, [warmup, decay], [2]);
 * ```
 */
export class SequentialLR extends LRScheduler {
  private _schedulers: LRScheduler[];
  private _milestones: number[];

  constructor(optimizer: AnyOptimizer, schedulers: LRScheduler[], milestones: number[], options: LastEpochOption = {}) {
    if (schedulers.length < 1) throw new ArgumentError('SequentialLR expects at least one scheduler, but got no scheduler.');
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new ArgumentError(`SequentialLR: the scheduler at index ${i} is not an LRScheduler, received ${s === null ? 'null' : typeof s}.`);
      if (s instanceof ReduceLROnPlateau) {
        throw new ArgumentError(`SequentialLR does not support \`ReduceLROnPlateau\` scheduler as it requires additional kwargs to be specified when calling \`step\`, but got one at index ${i} in the given schedulers sequence.`);
      }
      if (s.optimizer !== optimizer) throw new ArgumentError(`SequentialLR expects all schedulers to belong to the same optimizer, but the scheduler at index ${i} (${s.constructor.name}) has another one.`);
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(`SequentialLR expects the number of schedulers to be one more than the number of milestones, but got ${schedulers.length} schedulers and ${milestones.length} milestones.`);
    }
    const lastEpoch = options.lastEpoch ?? -1;
    super(optimizer, lastEpoch);
    this._schedulers = schedulers;
    this._milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    // Undo the steps the sub-schedulers' constructors made, and start the first one over.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    this.recursiveUndo(this);
    const idx = bisectRight(this._milestones, 0);
    const first = this._schedulers[idx]!;
    (first as unknown as { initialStep(): void }).initialStep();
    this._lastLr = first.getLastLr();
  }

  private recursiveUndo(s: LRScheduler): void {
    if (s instanceof SequentialLR) for (const c of s._schedulers) this.recursiveUndo(c);
    else s.lastEpoch -= 1;
  }

  getLr(): number[] {
    return this.getLastLr();
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const s = this._schedulers[idx]!;
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) s._updateLr(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }

  override stateDict(): Record<string, unknown> {
    return { ...schedulerState(this, ['_schedulers']), _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: Record<string, unknown>): void {
    loadSchedulerState(this, stateDict, ['_schedulers']);
    const subs = stateDict._schedulers;
    if (Array.isArray(subs)) subs.forEach((sd, i) => this._schedulers[i]?.loadStateDict(sd as Record<string, unknown>));
  }
}
