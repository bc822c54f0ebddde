/**
 * The oracle decides what to try next (KerasTuner's `Oracle`): it owns the
 * search space, the trials and their order, and answers `createTrial()` with
 * a new trial, IDLE (wait for running trials) or STOPPED. Subclasses write
 * only `populateSpace`, as in KerasTuner. Its whole state is JSON, so a
 * search resumes from disk after a crash.
 */
import { HyperParameters } from '../hyperparameters/hyperparameters.js';
import { Fixed, type HpValue, type HyperParameterConfig } from '../hyperparameters/hyperparameter.js';
import { Objective } from '../objective.js';
import { Rng } from '../random.js';
import { newTrial, type Trial } from '../trial.js';

export type Populated = { status: 'RUNNING'; values: Record<string, HpValue> } | { status: 'IDLE' } | { status: 'STOPPED' };
export type Created = { status: 'RUNNING'; trial: Trial } | { status: 'IDLE' } | { status: 'STOPPED' };

export interface OracleOptions {
  objective: Objective;
  /** Stop after this many trials (null: the oracle decides, as Hyperband does). */
  maxTrials?: number | null;
  seed: number;
  /** Consecutive failed trials after which the search stops (KerasTuner's default 3). */
  maxConsecutiveFailedTrials?: number;
}

export interface OracleState {
  space: HyperParameterConfig[];
  order: string[];
  rng: number;
  triedSoFar: string[];
  nextId: number;
  [key: string]: unknown;
}

export abstract class Oracle {
  readonly objective: Objective;
  readonly maxTrials: number | null;
  readonly maxConsecutiveFailedTrials: number;
  space = new HyperParameters();
  readonly trials = new Map<string, Trial>();
  /** Trial ids in creation order. */
  order: string[] = [];
  protected rng: Rng;
  protected triedSoFar = new Set<string>();
  private nextId = 0;
  /** KerasTuner gives up on finding unseen random values after this many collisions. */
  protected readonly maxCollisions = 20;

  constructor(options: OracleOptions) {
    this.objective = options.objective;
    this.maxTrials = options.maxTrials ?? null;
    this.maxConsecutiveFailedTrials = options.maxConsecutiveFailedTrials ?? 3;
    this.rng = new Rng(options.seed);
  }

  /** What the next trial's values are: the one method a search algorithm writes. */
  protected abstract populateSpace(trialId: string): Populated;

  get ongoing(): Trial[] {
    return this.order.map((id) => this.trials.get(id)!).filter((t) => t.status === 'RUNNING');
  }

  get completed(): Trial[] {
    return this.order.map((id) => this.trials.get(id)!).filter((t) => t.status === 'COMPLETED');
  }

  createTrial(): Created {
    if (this.maxTrials !== null && this.order.length >= this.maxTrials) return { status: 'STOPPED' };
    if (this.consecutiveFailures() >= this.maxConsecutiveFailedTrials) return { status: 'STOPPED' };
    const trialId = String(this.nextId).padStart(4, '0');
    const populated = this.populateSpace(trialId);
    if (populated.status !== 'RUNNING') return populated;
    this.nextId++;
    const trial = newTrial(trialId, populated.values);
    this.trials.set(trialId, trial);
    this.order.push(trialId);
    this.triedSoFar.add(this.valuesHash(populated.values));
    return { status: 'RUNNING', trial };
  }

  /** Record a finished trial and the hyperparameters its run registered. */
  endTrial(trial: Trial, space?: HyperParameters): void {
    if (space) this.space.merge(space.space);
    this.trials.set(trial.trialId, trial);
    this.triedSoFar.add(this.valuesHash(trial.values));
  }

  /** Trials with a score, best first. */
  bestTrials(n = 1): Trial[] {
    const dir = this.objective.direction === 'min' ? 1 : -1;
    return this.completed.filter((t) => t.score !== null && Number.isFinite(t.score)).sort((a, b) => dir * (a.score! - b.score!)).slice(0, n);
  }

  private consecutiveFailures(): number {
    let n = 0;
    for (let i = this.order.length - 1; i >= 0; i--) {
      const s = this.trials.get(this.order[i]!)!.status;
      if (s === 'FAILED') n++;
      else if (s === 'COMPLETED') break;
    }
    return n;
  }

  /** The trial's identity for collision checks: its active tuned values, sorted. Hyperband drops its `tuner/` keys. */
  protected valuesHash(values: Record<string, HpValue>): string {
    return JSON.stringify(Object.entries(values).filter(([k]) => !k.startsWith('tuner/')).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /**
   * Uniformly random values for the active hyperparameters, walking the
   * space in order so a parent's value decides its children's activity;
   * null after `maxCollisions` draws that were all tried before (KerasTuner's
   * `_random_values`).
   */
  protected randomValues(): Record<string, HpValue> | null {
    for (let collisions = 0; collisions <= this.maxCollisions; collisions++) {
      const values: Record<string, HpValue> = {};
      for (const hp of this.space.space) {
        if (!hp.conditions.every((c) => c.name in values && c.values.includes(values[c.name]!))) continue;
        if (hp.name in values) continue;
        values[hp.name] = hp instanceof Fixed ? hp.value : hp.randomSample(() => this.rng.next());
      }
      if (!this.triedSoFar.has(this.valuesHash(values))) return values;
    }
    return null;
  }

  getState(): OracleState {
    return { space: this.space.getConfig().space, order: [...this.order], rng: this.rng.state, triedSoFar: [...this.triedSoFar], nextId: this.nextId };
  }

  setState(state: OracleState, trials: readonly Trial[]): void {
    this.space = HyperParameters.fromConfig({ space: state.space });
    this.order = [...state.order];
    this.rng = new Rng(state.rng);
    this.triedSoFar = new Set(state.triedSoFar);
    this.nextId = state.nextId;
    this.trials.clear();
    for (const t of trials) this.trials.set(t.trialId, t);
  }
}
