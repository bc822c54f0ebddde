/**
 * The search space and one point in it (KerasTuner's `HyperParameters`).
 * Hyperparameters are registered lazily, the first time `build(hp)` (or a
 * training function) asks for them; each call returns the value of the
 * current trial, or the default when the tuner has not chosen one yet.
 *
 * @example
 * ```ts
 * const units = hp.Int('units', 32, 512, { step: 32 });
 * const lr = hp.Float('lr', 1e-4, 1e-2, { sampling: 'log' });
 * const kind = hp.Choice('kind', ['mlp', 'wide']);
 * hp.conditionalScope('kind', ['wide'], () => { hp.Int('wide_units', 64, 256); });
 * ```
 */
import { SearchSpaceError } from '../errors.js';
import {
  BooleanHp, Choice, Fixed, Float, HyperParameter, Int, conditionIsActive, conditionsEqual,
  type ChoiceOptions, type Condition, type HpValue, type HyperParameterConfig, type NumericalOptions,
} from './hyperparameter.js';

export class HyperParameters {
  /** Every registered hyperparameter, in registration order (KerasTuner's `space`). */
  readonly space: HyperParameter[] = [];
  /** The values of the active hyperparameters (and `tuner/...` bookkeeping for Hyperband). */
  values: Record<string, HpValue> = {};
  /** Conditions of the scopes currently open (nested `conditionalScope`s). */
  private readonly _conditions: Condition[] = [];

  /** An integer in [min, max], both included; `step` 1 unless log sampling. */
  Int(name: string, minValue: number, maxValue: number, options: NumericalOptions = {}): number | null {
    return this.retrieve(new Int(name, minValue, maxValue, options, [...this._conditions])) as number | null;
  }

  /** A float in [min, max]; `sampling: 'log'` for learning rates. */
  Float(name: string, minValue: number, maxValue: number, options: NumericalOptions = {}): number | null {
    return this.retrieve(new Float(name, minValue, maxValue, options, [...this._conditions])) as number | null;
  }

  /** One of `values` (all of one type); default the first. */
  Choice<V extends HpValue>(name: string, values: readonly V[], options: ChoiceOptions = {}): V | null {
    return this.retrieve(new Choice(name, values, options, [...this._conditions])) as V | null;
  }

  /** True or false; default false. */
  Boolean(name: string, options: { default?: boolean } = {}): boolean | null {
    return this.retrieve(new BooleanHp(name, options, [...this._conditions])) as boolean | null;
  }

  /** A value that is recorded with the trial but not tuned. */
  Fixed<V extends HpValue>(name: string, value: V): V | null {
    return this.retrieve(new Fixed(name, value, [...this._conditions])) as V | null;
  }

  /**
   * Hyperparameters registered inside `fn` are active only when the parent's
   * value is one of `parentValues` (KerasTuner's `conditional_scope`); when
   * inactive they are still registered but return null. `fn` always runs,
   * as the body of KerasTuner's `with` block does.
   */
  conditionalScope<R>(parentName: string, parentValues: HpValue | readonly HpValue[], fn: () => R): R {
    if (!this.space.some((h) => h.name === parentName)) {
      throw new SearchSpaceError(`conditionalScope: the parent hyperparameter "${parentName}" is not defined. Define it (hp.Choice, hp.Int, ...) before opening its scope. Defined: ${this.space.map((h) => h.name).join(', ') || '(none)'}`);
    }
    const values = Array.isArray(parentValues) ? [...(parentValues as HpValue[])] : [parentValues as HpValue];
    const parents = this.space.filter((h) => h.name === parentName);
    const possible = new Set(parents.flatMap((h) => h.values));
    const continuous = parents.some((h) => h instanceof Float && h.step === null);
    if (!continuous && !values.some((v) => possible.has(v))) {
      throw new SearchSpaceError(`conditionalScope("${parentName}", ${JSON.stringify(values)}): none of these values can be taken by "${parentName}", so the scope has no valid point. Allowed values: ${JSON.stringify([...possible])}`);
    }
    this._conditions.push({ name: parentName, values });
    try {
      return fn();
    } finally {
      this._conditions.pop();
    }
  }

  /** The value of an active hyperparameter. Throws for an inactive or unknown name. */
  get(name: string): HpValue {
    if (name in this.values) return this.values[name]!;
    if (this.space.some((h) => h.name === name)) throw new SearchSpaceError(`${name} is currently inactive (its conditional scope's parent has another value).`);
    throw new SearchSpaceError(`${name} does not exist. Known: ${this.space.map((h) => h.name).join(', ') || '(none)'}`);
  }

  has(name: string): boolean {
    return name in this.values;
  }

  /** Whether all of `hp`'s conditions hold for the current values. */
  isActive(hp: HyperParameter | string): boolean {
    if (typeof hp === 'string') return this.space.some((h) => h.name === hp && this.isActive(h));
    return hp.conditions.every((c) => conditionIsActive(c, this.values));
  }

  /** The registered hyperparameter with this name and these conditions (KerasTuner's `_exists`). */
  find(name: string, conditions: readonly Condition[]): HyperParameter | undefined {
    return this.space.find((h) => h.name === name && conditionsEqual(h.conditions, conditions));
  }

  /**
   * Get-or-register (KerasTuner's `_retrieve`). A second definition with the
   * same name under the same conditions returns the first one's value: the
   * new arguments are ignored, as in KerasTuner. The same name under other
   * conditions (another branch) is a separate entry.
   */
  private retrieve(hp: HyperParameter): HpValue | null {
    const existing = this.find(hp.name, hp.conditions);
    if (existing === undefined) {
      this.space.push(hp);
      if (this.isActive(hp) && !(hp.name in this.values)) this.values[hp.name] = hp.default;
    }
    return this.isActive(hp) ? (this.values[hp.name] ?? null) : null;
  }

  /** Add hyperparameters that are not yet in the space (KerasTuner's `merge`). */
  merge(space: readonly HyperParameter[]): void {
    for (const hp of space) if (this.find(hp.name, hp.conditions) === undefined) this.space.push(hp);
  }

  /** A copy with the same space and values. */
  copy(): HyperParameters {
    const out = new HyperParameters();
    out.space.push(...this.space);
    out.values = { ...this.values };
    return out;
  }

  getConfig(): { space: HyperParameterConfig[]; values: Record<string, HpValue> } {
    return { space: this.space.map((h) => h.getConfig()), values: { ...this.values } };
  }

  static fromConfig(config: { space: HyperParameterConfig[]; values?: Record<string, HpValue> }): HyperParameters {
    const out = new HyperParameters();
    for (const c of config.space) out.space.push(HyperParameter.fromConfig(c));
    out.values = { ...(config.values ?? {}) };
    return out;
  }

  /** Values for `values`' active hyperparameters only (drops inactive ones), filling defaults. */
  static activeValues(space: readonly HyperParameter[], values: Readonly<Record<string, HpValue>>): Record<string, HpValue> {
    const out: Record<string, HpValue> = {};
    for (const hp of space) {
      if (!hp.conditions.every((c) => conditionIsActive(c, out))) continue;
      if (!(hp.name in out)) out[hp.name] = hp.name in values ? values[hp.name]! : hp.default;
    }
    for (const [k, v] of Object.entries(values)) if (k.startsWith('tuner/')) out[k] = v;
    return out;
  }
}
