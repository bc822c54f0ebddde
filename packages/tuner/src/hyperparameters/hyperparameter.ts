/**
 * The hyperparameter types of KerasTuner (`keras_tuner/engine/hyperparameters/
 * hp_types`): Int, Float, Choice, Boolean, Fixed. Each maps a cumulative
 * probability in [0, 1) to a value (`probToValue`) and back (`valueToProb`);
 * random search samples that probability uniformly and the Bayesian oracle
 * works in that unit cube.
 */
import { SearchSpaceError } from '../errors.js';

export type HpValue = number | string | boolean;
export type Sampling = 'linear' | 'log' | 'reverse_log';

/** "Parent value in this list": the condition of a conditional scope (KerasTuner's `conditions.Parent`). */
export interface Condition {
  name: string;
  values: HpValue[];
}

export function conditionsEqual(a: readonly Condition[], b: readonly Condition[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.values.length === b[i]!.values.length && c.values.every((v, j) => v === b[i]!.values[j]));
}

export function conditionIsActive(c: Condition, values: Readonly<Record<string, HpValue>>): boolean {
  return c.name in values && c.values.includes(values[c.name]!);
}

/** KerasTuner's `hp_utils.prob_to_index`. */
export function probToIndex(prob: number, n: number): number {
  const index = Math.floor(prob / (1 / n));
  return index === n ? n - 1 : index;
}

/** KerasTuner's `hp_utils.index_to_prob`: the centre of the index's bucket. */
export function indexToProb(index: number, n: number): number {
  return (index + 0.5) / n;
}

export interface HyperParameterConfig {
  class: 'Int' | 'Float' | 'Choice' | 'Boolean' | 'Fixed';
  name: string;
  conditions: Condition[];
  [key: string]: unknown;
}

export abstract class HyperParameter {
  constructor(
    readonly name: string,
    readonly conditions: Condition[] = [],
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new SearchSpaceError(`A hyperparameter name must be a non-empty string. Received: name=${JSON.stringify(name)}`);
  }

  abstract get default(): HpValue;
  /** The values a grid would visit (all of them for discrete types; ten bucket centres for a continuous range, as KerasTuner's `values`). */
  abstract get values(): HpValue[];
  abstract probToValue(prob: number): HpValue;
  abstract valueToProb(value: HpValue): number;
  abstract getConfig(): HyperParameterConfig;

  /** A value at a uniform random cumulative probability. */
  randomSample(rand: () => number): HpValue {
    return this.probToValue(rand());
  }

  static fromConfig(config: HyperParameterConfig): HyperParameter {
    const c = config as Record<string, unknown> & HyperParameterConfig;
    const conditions = c.conditions ?? [];
    switch (c.class) {
      case 'Int':
        return new Int(c.name, c.minValue as number, c.maxValue as number, { step: (c.step as number | null) ?? undefined, sampling: c.sampling as Sampling, default: (c.default as number | null) ?? undefined }, conditions);
      case 'Float':
        return new Float(c.name, c.minValue as number, c.maxValue as number, { step: (c.step as number | null) ?? undefined, sampling: c.sampling as Sampling, default: (c.default as number | null) ?? undefined }, conditions);
      case 'Choice':
        return new Choice(c.name, c.values as HpValue[], { ordered: c.ordered as boolean, default: (c.default as HpValue | null) ?? undefined }, conditions);
      case 'Boolean':
        return new BooleanHp(c.name, { default: c.default as boolean }, conditions);
      case 'Fixed':
        return new Fixed(c.name, c.value as HpValue, conditions);
      default:
        throw new SearchSpaceError(`Unknown hyperparameter class ${JSON.stringify(c.class)}. Expected one of Int, Float, Choice, Boolean, Fixed.`);
    }
  }
}

export interface NumericalOptions {
  /** Linear: the distance between values; log/reverse_log: the factor (> 1). Default for Int with linear sampling: 1; otherwise continuous. */
  step?: number;
  /** 'linear' (default), 'log' or 'reverse_log'. */
  sampling?: Sampling;
  /** Default `minValue`. */
  default?: number;
}

const SAMPLINGS: readonly Sampling[] = ['linear', 'log', 'reverse_log'];

/** KerasTuner's `Numerical`: a range with a sampling and an optional step. */
abstract class Numerical extends HyperParameter {
  readonly sampling: Sampling;
  readonly step: number | null;
  protected readonly _default: number | null;

  constructor(
    name: string,
    readonly minValue: number,
    readonly maxValue: number,
    options: NumericalOptions = {},
    conditions: Condition[] = [],
  ) {
    super(name, conditions);
    const what = `${this.constructor.name}(name='${name}')`;
    if (typeof minValue !== 'number' || !Number.isFinite(minValue) || typeof maxValue !== 'number' || !Number.isFinite(maxValue)) {
      throw new SearchSpaceError(`For ${what}, minValue and maxValue must be finite numbers. Received: minValue=${String(minValue)}, maxValue=${String(maxValue)}`);
    }
    if (minValue > maxValue) throw new SearchSpaceError(`For ${what}, minValue ${minValue} is greater than the maxValue ${maxValue}: the range has no valid point. Expected minValue <= maxValue.`);
    const sampling = (options.sampling ?? 'linear').toLowerCase() as Sampling;
    if (!SAMPLINGS.includes(sampling)) throw new SearchSpaceError(`For ${what}, sampling must be one of ${SAMPLINGS.join(', ')}. Received: sampling=${JSON.stringify(options.sampling)}`);
    this.sampling = sampling;
    if (sampling !== 'linear' && minValue <= 0) throw new SearchSpaceError(`For ${what}, sampling='${sampling}' needs minValue > 0 (a log range cannot start at 0 or below). Received: minValue=${minValue}`);
    const step = options.step ?? null;
    if (step !== null && (typeof step !== 'number' || !Number.isFinite(step))) throw new SearchSpaceError(`For ${what}, step must be a finite number. Received: step=${String(step)}`);
    if (step !== null && sampling !== 'linear' && step <= 1) throw new SearchSpaceError(`For ${what}, expected step > 1 with sampling='${sampling}'. Received: step=${step}.`);
    if (step !== null && sampling === 'linear' && step <= 0) throw new SearchSpaceError(`For ${what}, expected step > 0 with sampling='linear'. Received: step=${step}.`);
    this.step = step;
    const d = options.default ?? null;
    if (d !== null && (typeof d !== 'number' || d < minValue || d > maxValue)) throw new SearchSpaceError(`For ${what}, the default must lie in [${minValue}, ${maxValue}]. Received: default=${String(d)}`);
    this._default = d;
  }

  get default(): number {
    return this._default ?? this.minValue;
  }

  protected sampleNumerical(prob: number, max = this.maxValue): number {
    const min = this.minValue;
    if (this.sampling === 'linear') return prob * (max - min) + min;
    if (this.sampling === 'log') return min * Math.pow(max / min, prob);
    return max + min - min * Math.pow(max / min, 1 - prob);
  }

  protected numericalToProb(value: number, max = this.maxValue): number {
    const min = this.minValue;
    if (max === min) return 0.5;
    if (this.sampling === 'linear') return (value - min) / (max - min);
    if (this.sampling === 'log') return Math.log(value / min) / Math.log(max / min);
    return 1 - Math.log((max + min - value) / min) / Math.log(max / min);
  }

  protected nValues(): number {
    const step = this.step!;
    if (this.sampling === 'linear') return Math.floor((this.maxValue - this.minValue) / step + 1e-9) + 1;
    return Math.floor(Math.log(this.maxValue / this.minValue) / Math.log(step) + 1e-8) + 1;
  }

  protected valueByIndex(index: number): number {
    const step = this.step!;
    if (this.sampling === 'linear') return this.minValue + index * step;
    if (this.sampling === 'log') return this.minValue * Math.pow(step, index);
    return this.maxValue + this.minValue - this.minValue * Math.pow(step, index);
  }

  protected probWithStep(value: number): number {
    const step = this.step!;
    let index: number;
    if (this.sampling === 'linear') index = Math.floor((value - this.minValue) / step + 1e-9);
    else if (this.sampling === 'log') index = Math.log(value / this.minValue) / Math.log(step);
    else index = Math.log((this.maxValue - value + this.minValue) / this.minValue) / Math.log(step);
    return indexToProb(index, this.nValues());
  }

  get values(): number[] {
    if (this.step === null) return [...new Set(Array.from({ length: 10 }, (_, i) => this.probToValue(i * 0.1 + 0.05) as number))].sort((a, b) => a - b);
    return Array.from({ length: this.nValues() }, (_, i) => this.valueByIndex(i));
  }

  protected numericalConfig(cls: 'Int' | 'Float'): HyperParameterConfig {
    return { class: cls, name: this.name, conditions: this.conditions, minValue: this.minValue, maxValue: this.maxValue, step: this.step, sampling: this.sampling, default: this._default };
  }
}

function checkInt(v: number | null | undefined, arg: string, name: string): void {
  if (v !== null && v !== undefined && !Number.isInteger(v)) throw new SearchSpaceError(`For Int(name='${name}'), ${arg} must be an integer. Received: ${arg}=${String(v)}`);
}

/** An integer in [minValue, maxValue], both included (KerasTuner's `hp.Int`). */
export class Int extends Numerical {
  constructor(name: string, minValue: number, maxValue: number, options: NumericalOptions = {}, conditions: Condition[] = []) {
    checkInt(minValue, 'minValue', name);
    checkInt(maxValue, 'maxValue', name);
    checkInt(options.step, 'step', name);
    checkInt(options.default, 'default', name);
    const sampling = options.sampling ?? 'linear';
    super(name, minValue, maxValue, { ...options, step: options.step ?? (sampling === 'linear' ? 1 : undefined) }, conditions);
  }

  probToValue(prob: number): number {
    if (this.step === null) return Math.floor(this.sampleNumerical(prob, this.maxValue + 1));
    return Math.round(this.valueByIndex(probToIndex(prob, this.nValues())));
  }

  valueToProb(value: HpValue): number {
    if (this.step === null) return this.numericalToProb((value as number) + 0.5, this.maxValue + 1);
    return this.probWithStep(value as number);
  }

  getConfig(): HyperParameterConfig {
    return this.numericalConfig('Int');
  }
}

/** A float in [minValue, maxValue] (KerasTuner's `hp.Float`). */
export class Float extends Numerical {
  probToValue(prob: number): number {
    if (this.step === null) return this.sampleNumerical(prob);
    return this.valueByIndex(probToIndex(prob, this.nValues()));
  }

  valueToProb(value: HpValue): number {
    if (this.step === null) return this.numericalToProb(value as number);
    return this.probWithStep(value as number);
  }

  getConfig(): HyperParameterConfig {
    return this.numericalConfig('Float');
  }
}

export interface ChoiceOptions {
  /** Whether the values are ordered (default: true for numbers, must be false otherwise). */
  ordered?: boolean;
  /** Default: the first value. */
  default?: HpValue;
}

/** One of a list of values of one type (KerasTuner's `hp.Choice`). */
export class Choice extends HyperParameter {
  readonly ordered: boolean;
  private readonly _values: HpValue[];
  private readonly _default: HpValue | null;

  constructor(name: string, values: readonly HpValue[], options: ChoiceOptions = {}, conditions: Condition[] = []) {
    super(name, conditions);
    if (!Array.isArray(values) || values.length === 0) throw new SearchSpaceError(`For Choice(name='${name}'), values must be a non-empty array of numbers, strings or booleans: an empty Choice has no valid point. Received: values=${JSON.stringify(values)}`);
    const types = new Set(values.map((v) => typeof v));
    if (types.size > 1) throw new SearchSpaceError(`A Choice can contain only one type of value. Received: values=${JSON.stringify(values)} with types ${[...types].join(', ')}`);
    const t = [...types][0]!;
    if (t !== 'number' && t !== 'string' && t !== 'boolean') throw new SearchSpaceError(`A Choice can contain only numbers, strings or booleans. Received: values=${JSON.stringify(values)} of type ${t}`);
    if (new Set(values).size !== values.length) throw new SearchSpaceError(`For Choice(name='${name}'), values must be distinct. Received: values=${JSON.stringify(values)}`);
    this._values = [...values];
    const d = options.default ?? null;
    if (d !== null && !values.includes(d)) throw new SearchSpaceError(`The default value should be one of the choices. Received: values=${JSON.stringify(values)}, default=${JSON.stringify(d)}`);
    this._default = d;
    if (options.ordered && t !== 'number') throw new SearchSpaceError(`For Choice(name='${name}'), ordered must be false for non-numeric values. Received: ordered=true with values=${JSON.stringify(values)}`);
    this.ordered = options.ordered ?? t === 'number';
  }

  get values(): HpValue[] {
    return [...this._values];
  }

  get default(): HpValue {
    return this._default ?? this._values[0]!;
  }

  probToValue(prob: number): HpValue {
    return this._values[probToIndex(prob, this._values.length)]!;
  }

  valueToProb(value: HpValue): number {
    return indexToProb(this._values.indexOf(value), this._values.length);
  }

  getConfig(): HyperParameterConfig {
    return { class: 'Choice', name: this.name, conditions: this.conditions, values: this._values, ordered: this.ordered, default: this._default };
  }
}

/** True or false (KerasTuner's `hp.Boolean`, default false). */
export class BooleanHp extends HyperParameter {
  private readonly _default: boolean;

  constructor(name: string, options: { default?: boolean } = {}, conditions: Condition[] = []) {
    super(name, conditions);
    const d = options.default ?? false;
    if (typeof d !== 'boolean') throw new SearchSpaceError(`For Boolean(name='${name}'), default must be a boolean. Received: default=${JSON.stringify(d)}`);
    this._default = d;
  }

  get default(): boolean {
    return this._default;
  }

  get values(): boolean[] {
    return [true, false];
  }

  probToValue(prob: number): boolean {
    return prob >= 0.5;
  }

  valueToProb(value: HpValue): number {
    return value ? 0.75 : 0.25;
  }

  getConfig(): HyperParameterConfig {
    return { class: 'Boolean', name: this.name, conditions: this.conditions, default: this._default };
  }
}

/** A value that is not tuned (KerasTuner's `hp.Fixed`). */
export class Fixed extends HyperParameter {
  constructor(
    name: string,
    readonly value: HpValue,
    conditions: Condition[] = [],
  ) {
    super(name, conditions);
    if (!['number', 'string', 'boolean'].includes(typeof value)) throw new SearchSpaceError(`For Fixed(name='${name}'), value must be a number, string or boolean. Received: ${JSON.stringify(value)} of type ${typeof value}`);
  }

  get default(): HpValue {
    return this.value;
  }

  get values(): HpValue[] {
    return [this.value];
  }

  probToValue(): HpValue {
    return this.value;
  }

  valueToProb(): number {
    return 0.5;
  }

  getConfig(): HyperParameterConfig {
    return { class: 'Fixed', name: this.name, conditions: this.conditions, value: this.value };
  }
}
