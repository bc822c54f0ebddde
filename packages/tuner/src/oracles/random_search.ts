/**
 * Random search (KerasTuner's `RandomSearchOracle`): every trial samples the
 * space uniformly. When no unseen point is left while trials still run (a
 * training function's first trial has not registered its hyperparameters
 * yet, say), it waits (IDLE) rather than stopping.
 */
import { Oracle, type Populated } from './oracle.js';

export class RandomSearchOracle extends Oracle {
  protected populateSpace(): Populated {
    const values = this.randomValues();
    if (values === null) return this.ongoing.length > 0 ? { status: 'IDLE' } : { status: 'STOPPED' };
    return { status: 'RUNNING', values };
  }
}
