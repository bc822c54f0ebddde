/** Random search (KerasTuner's `RandomSearchOracle`): every trial samples the space uniformly. */
import { Oracle, type Populated } from './oracle.js';

export class RandomSearchOracle extends Oracle {
  protected populateSpace(): Populated {
    const values = this.randomValues();
    return values === null ? { status: 'STOPPED' } : { status: 'RUNNING', values };
  }
}
