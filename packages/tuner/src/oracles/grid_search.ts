/**
 * Exhaustive grid (KerasTuner's `GridSearchOracle`): every combination of
 * the hyperparameters' `values` (a continuous Float without a step gives
 * ten bucket centres, as KerasTuner's `values`), in order, the last
 * hyperparameter varying fastest. Conditional children are only combined
 * with the parent values that activate them.
 */
import type { HpValue } from '../hyperparameters/hyperparameter.js';
import { Oracle, type OracleState, type Populated } from './oracle.js';
import type { Trial } from '../trial.js';

export class GridSearchOracle extends Oracle {
  private cursor = 0;

  /** Every point of the grid, in visiting order. */
  grid(): Record<string, HpValue>[] {
    let points: Record<string, HpValue>[] = [{}];
    for (const hp of this.space.space) {
      const next: Record<string, HpValue>[] = [];
      for (const p of points) {
        const active = hp.conditions.every((c) => c.name in p && c.values.includes(p[c.name]!));
        if (!active || hp.name in p) next.push(p);
        else for (const v of hp.values) next.push({ ...p, [hp.name]: v });
      }
      points = next;
    }
    return points;
  }

  protected populateSpace(): Populated {
    const grid = this.grid();
    while (this.cursor < grid.length) {
      const values = grid[this.cursor++]!;
      if (!this.triedSoFar.has(this.valuesHash(values))) return { status: 'RUNNING', values };
    }
    return { status: 'STOPPED' };
  }

  override getState(): OracleState {
    return { ...super.getState(), cursor: this.cursor };
  }

  override setState(state: OracleState, trials: readonly Trial[]): void {
    super.setState(state, trials);
    this.cursor = (state.cursor as number) ?? 0;
  }
}
