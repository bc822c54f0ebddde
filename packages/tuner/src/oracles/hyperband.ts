/**
 * Hyperband (Li et al. 2018, https://arxiv.org/abs/1603.06560), with
 * KerasTuner's brackets and rounds (`HyperbandOracle`): brackets from the
 * most aggressive (many trials, few epochs) down to bracket 0 (plain random
 * search at `maxEpochs`); inside a bracket, each round keeps the best
 * 1/`factor` of the previous round and trains them `factor` times longer,
 * continuing from the previous round's checkpoint (`tuner/trial_id`,
 * `tuner/initial_epoch`). The whole sweep repeats `hyperbandIterations` times.
 */
import { TunerValueError } from '../errors.js';
import type { HpValue } from '../hyperparameters/hyperparameter.js';
import { Oracle, type OracleOptions, type OracleState, type Populated } from './oracle.js';
import type { Trial } from '../trial.js';

interface RoundEntry {
  pastId: string | null;
  id: string;
}
interface Bracket {
  bracketNum: number;
  rounds: RoundEntry[][];
}

export interface HyperbandOptions extends OracleOptions {
  /** Epochs of the longest-trained models. Default 100. */
  maxEpochs?: number;
  /** Reduction factor between rounds (an integer >= 2). Default 3. */
  factor?: number;
  /** Sweeps over all brackets. Default 1. */
  hyperbandIterations?: number;
}

export class HyperbandOracle extends Oracle {
  readonly maxEpochs: number;
  readonly factor: number;
  readonly hyperbandIterations: number;
  readonly minEpochs = 1;
  private currentIteration = 0;
  private currentBracket: number;
  private brackets: Bracket[] = [];

  constructor(options: HyperbandOptions) {
    super({ ...options, maxTrials: null });
    this.maxEpochs = options.maxEpochs ?? 100;
    this.factor = options.factor ?? 3;
    this.hyperbandIterations = options.hyperbandIterations ?? 1;
    if (!Number.isInteger(this.maxEpochs) || this.maxEpochs < 1) throw new TunerValueError(`maxEpochs must be a positive integer. Received: maxEpochs=${String(options.maxEpochs)}`);
    if (!Number.isInteger(this.factor) || this.factor < 2) throw new TunerValueError(`factor needs to be an integer larger than 1. Received: factor=${String(options.factor)}`);
    if (!Number.isInteger(this.hyperbandIterations) || this.hyperbandIterations < 1) throw new TunerValueError(`hyperbandIterations must be a positive integer. Received: hyperbandIterations=${String(options.hyperbandIterations)}`);
    this.currentBracket = this.numBrackets() - 1;
    this.startNewBracket();
  }

  protected populateSpace(trialId: string): Populated {
    this.brackets = this.brackets.filter((b) => b.rounds[b.rounds.length - 1]!.length !== this.size(b.bracketNum, b.rounds.length - 1));
    for (const bracket of this.brackets) {
      const { bracketNum, rounds } = bracket;
      if (rounds[0]!.length < this.size(bracketNum, 0)) return this.randomTrial(trialId, bracket);
      for (let r = 1; r < rounds.length; r++) {
        const size = this.size(bracketNum, r);
        const pastSize = this.size(bracketNum, r - 1);
        const selected = new Set(rounds[r]!.map((e) => e.pastId));
        const candidates = rounds[r - 1]!.filter((e) => !selected.has(e.id)).map((e) => this.trials.get(e.id)!).filter((t) => t.status === 'COMPLETED');
        if (candidates.length > pastSize - size) {
          const dir = this.objective.direction === 'min' ? 1 : -1;
          const best = [...candidates].sort((a, b) => dir * ((a.score ?? Infinity * dir) - (b.score ?? Infinity * dir)))[0]!;
          const values: Record<string, HpValue> = {
            ...best.values,
            'tuner/trial_id': best.trialId,
            'tuner/epochs': this.epochs(bracketNum, r),
            'tuner/initial_epoch': this.epochs(bracketNum, r - 1),
            'tuner/bracket': bracketNum,
            'tuner/round': r,
          };
          rounds[r]!.push({ pastId: best.trialId, id: trialId });
          return { status: 'RUNNING', values };
        }
      }
    }
    if (this.currentBracket === 0 && this.currentIteration + 1 === this.hyperbandIterations) {
      return this.ongoing.length > 0 ? { status: 'IDLE' } : { status: 'STOPPED' };
    }
    this.currentBracket--;
    if (this.currentBracket < 0) {
      this.currentBracket = this.numBrackets() - 1;
      this.currentIteration++;
    }
    this.startNewBracket();
    return this.randomTrial(trialId, this.brackets[this.brackets.length - 1]!);
  }

  private startNewBracket(): void {
    this.brackets.push({ bracketNum: this.currentBracket, rounds: Array.from({ length: this.currentBracket + 1 }, () => []) });
  }

  private randomTrial(trialId: string, bracket: Bracket): Populated {
    const values = this.randomValues();
    if (values === null) return this.ongoing.length > 0 ? { status: 'IDLE' } : { status: 'STOPPED' };
    Object.assign(values, { 'tuner/epochs': this.epochs(bracket.bracketNum, 0), 'tuner/initial_epoch': 0, 'tuner/bracket': bracket.bracketNum, 'tuner/round': 0 });
    bracket.rounds[0]!.push({ pastId: null, id: trialId });
    return { status: 'RUNNING', values };
  }

  /** Trials in round `round` of bracket `bracket` (each bracket costs about the same). */
  size(bracket: number, round: number): number {
    // log_factor(maxEpochs), exact for powers of the factor as Python's math.log(x, base) is (V8's quotient can be 1 ulp above).
    const log = Math.log(this.maxEpochs) / Math.log(this.factor);
    const bracket0EndSize = Math.ceil(1 + (Math.abs(log - Math.round(log)) < 1e-9 ? Math.round(log) : log));
    return Math.ceil((bracket0EndSize / (bracket + 1)) * this.factor ** (bracket - round));
  }

  /** Epochs a model of round `round` of bracket `bracket` has been trained to. */
  epochs(bracket: number, round: number): number {
    return Math.ceil(this.maxEpochs / this.factor ** (bracket - round));
  }

  numBrackets(): number {
    let epochs = this.maxEpochs;
    let n = 0;
    while (epochs >= this.minEpochs) {
      epochs /= this.factor;
      n++;
    }
    return n;
  }

  override getState(): OracleState {
    return { ...super.getState(), brackets: this.brackets, currentBracket: this.currentBracket, currentIteration: this.currentIteration };
  }

  override setState(state: OracleState, trials: readonly Trial[]): void {
    super.setState(state, trials);
    this.brackets = state.brackets as Bracket[];
    this.currentBracket = state.currentBracket as number;
    this.currentIteration = state.currentIteration as number;
  }
}
