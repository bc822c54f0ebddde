/**
 * One evaluation of a point of the search space (KerasTuner's `Trial`):
 * its values, status, per-epoch metrics and score.
 */
import type { HpValue } from './hyperparameters/hyperparameter.js';

/** KerasTuner's `TrialStatus` (IDLE and STOPPED are oracle answers, not trial states, here). */
export type TrialStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'INVALID';

export interface Trial {
  trialId: string;
  /** The trial's hyperparameter values (and `tuner/epochs`, `tuner/initial_epoch`, `tuner/bracket`, `tuner/round`, `tuner/trial_id` under Hyperband). */
  values: Record<string, HpValue>;
  status: TrialStatus;
  /** The best value of the objective over the trial's epochs, or null until it completes. */
  score: number | null;
  /** The epoch (0-based, counted from the trial's first) of `score`. */
  bestStep: number | null;
  /** Each metric's value per epoch, as the trial reported them. */
  metrics: Record<string, number[]>;
  /** Why the trial failed (the error message, or how its worker process died). */
  message: string | null;
  /** Epochs this trial trained (Hyperband: tuner/epochs - tuner/initial_epoch). */
  epochs: number;
  /** Wall time of the trial, in seconds. */
  seconds: number | null;
}

export function newTrial(trialId: string, values: Record<string, HpValue>): Trial {
  return { trialId, values, status: 'RUNNING', score: null, bestStep: null, metrics: {}, message: null, epochs: 0, seconds: null };
}
