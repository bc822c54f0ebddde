/**
 * The base of every optimizer, PyTorch's `torch.optim.Optimizer`: it keeps
 * the parameter groups (each a list of parameters with its own options), the
 * per-parameter state, `zeroGrad()`, `step()` and the state dict. A subclass
 * implements only `update(group, params, grads)`: its update rule, applied
 * to the parameters of one group that have a gradient.
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, enableGrad, libraryCall, noGrad, runUserCode, scope, tensor } from '@duet/core';
import { fromPyName, toPyName } from './naming.js';
import { UninitializedParameter } from '../parameter.js';

/** One parameter group: its parameters, its options, and any extra keys (schedulers add `initialLr`). */
export type ParamGroup<O extends object = BaseOptions> = O & { params: Tensor[]; [key: string]: unknown };
/** A group as passed to a constructor or `addParamGroup`: options left out take the optimizer's defaults. */
export type ParamGroupInput<O extends object = BaseOptions> = Partial<O> & { params: Iterable<Tensor> | Tensor; [key: string]: unknown };
/** Parameters (`model.parameters()`) or a list of parameter groups. */
export type Params<O extends object = BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;
/** Per-parameter state: tensors (moments, buffers) and numbers (`step`). */
export type ParamState = Record<string, Tensor | number>;
export interface BaseOptions {
  lr: number;
}

/**
 * PyTorch's optimizer state dict: `state` keyed by parameter index (in the
 * order of the groups' parameters), `param_groups` with the options under
 * PyTorch's names and `params` as indices. The tensors are the optimizer's
 * own (like PyTorch's): save them or read them before the next `step()`.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}

/** `{ ...defaults, ...options }`, ignoring options set to `undefined`. */
export function withDefaults<O extends object>(defaults: O, options: Partial<O> | undefined): O {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) (out as Record<string, unknown>)[k] = [...v];
  return out;
}

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The options every group starts from. */
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  state = new Map<Tensor, ParamState>();

  constructor(params: Params<O>, defaults: O) {
    this.defaults = defaults;
    if (params instanceof Tensor || params == null || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(`${this.constructor.name}: params must be an iterable of Tensors or of parameter groups ({ params, ...options }), received ${describe(params)}.`);
    }
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new ArgumentError(`${this.constructor.name}: optimizer got an empty parameter list.`);
    if (items[0] instanceof Tensor) this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<O>);
    else for (const g of items) this.addParamGroup(g as ParamGroupInput<O>);
  }

  /** Add a group of parameters with its own options (e.g. to unfreeze layers during training). */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new ArgumentError(`${this.constructor.name}: expected parameters (Tensors) or parameter groups ({ params, ...options }), received ${describe(group)}.`);
    }
    const raw = group.params;
    const params = raw instanceof Tensor ? [raw] : [...(raw as Iterable<unknown>)];
    const seen = new Set<Tensor>();
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new ArgumentError(`${this.constructor.name}: optimizer can only optimize Tensors, but one of the params is ${describe(p)}.`);
      if (p instanceof UninitializedParameter) {
        throw new ArgumentError(
          `${this.constructor.name}: one of the params is an UninitializedParameter (a lazy module's, e.g. nn.LazyLinear, before its first call). ` +
            'Run a forward pass with a dummy batch first (PyTorch\'s "dry run"), then create the optimizer.',
        );
      }
      if (!p.isLeaf) throw new ArgumentError(`${this.constructor.name}: can't optimize a non-leaf Tensor (one computed by an op); optimize the leaf it came from.`);
      if (p.dtype !== 'float32') throw new DTypeError(`${this.constructor.name}: parameters must be float32, received a ${p.dtype} tensor of shape [${p.shape.join(', ')}].`);
      if (seen.has(p)) throw new ArgumentError(`${this.constructor.name}: a parameter group contains the same parameter twice.`);
      seen.add(p);
    }
    for (const g of this.paramGroups) {
      if (g.params.some((p) => seen.has(p))) throw new ArgumentError(`${this.constructor.name}: some parameters appear in more than one parameter group.`);
    }
    const merged = withDefaults(this.defaults, group as Partial<O>) as ParamGroup<O>;
    merged.params = params as Tensor[];
    this.validate(merged);
    this.paramGroups.push(merged);
  }

  /** Check a group's options; subclasses throw an ArgumentError naming the bad value. */
  protected validate(group: ParamGroup<O>): void {
    checkNumber(this, group, 'lr', (v) => v >= 0);
  }

  /**
   * The update rule: change `params` in place given their `grads` (the group's parameters that have a gradient).
   * Runs under `noGrad`, inside `scope()`: tensors it stores in the state must be `keep()`-ed.
   */
  protected abstract update(group: ParamGroup<O>, params: Tensor[], grads: Tensor[]): void;

  /**
   * One optimization step over every parameter that has a gradient.
   * `closure` (optional) re-evaluates the model and returns the loss, which
   * `step` returns.
   */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    return libraryCall(this, 'step', () => this.stepInner(closure));
  }

  private stepInner(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = closure === undefined ? undefined : runUserCode(undefined, () => enableGrad(closure));
    noGrad(() => {
      for (const group of this.paramGroups) {
        const params: Tensor[] = [];
        const grads: Tensor[] = [];
        for (const p of group.params) {
          const g = p.grad;
          if (g === null) continue;
          params.push(p);
          grads.push(g);
        }
        // The update's temporaries are released when it returns; its state tensors are kept.
        if (params.length > 0) scope(() => this.update(group, params, grads));
      }
    });
    return loss;
  }

  /** Reset the gradients of all optimized parameters: to null (default), or to zeros with `setToNone: false`. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const toNone = options.setToNone ?? true;
    libraryCall(this, 'zeroGrad', () => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          if (toNone) p.grad = null;
          else noGrad(() => p.grad!.zero_());
        }
      }
    });
  }

  /** The state of parameter `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }
  /**
   * Advance every parameter's `step` (after `init` made its state on the
   * first update) and group `params`' indices by the new step: parameters at
   * the same step share bias corrections or a learning rate, so a fused
   * kernel runs once per distinct step (Adam, AdamW, Adagrad).
   */
  protected advanceSteps(params: readonly Tensor[], init: (state: ParamState, p: Tensor) => void): Map<number, number[]> {
    const byStep = new Map<number, number[]>();
    params.forEach((p, i) => {
      const s = this.stateOf(p);
      init(s, p);
      const step = (s.step = ((s.step as number | undefined) ?? 0) + 1);
      const idx = byStep.get(step);
      if (idx === undefined) byStep.set(step, [i]);
      else idx.push(i);
    });
    return byStep;
  }


  /** PyTorch's state dict (see `OptimizerStateDict`). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[toPyName(k)] = Array.isArray(v) ? [...v] : v;
      const ids = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return { ...packed, params: ids };
    });
    const state: Record<number, Record<string, Tensor | number>> = {};
    for (const [p, s] of this.state) {
      const id = index.get(p);
      if (id === undefined) continue;
      state[id] = Object.fromEntries(Object.entries(s).map(([k, v]) => [toPyName(k), v]));
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Restore options and state from `stateDict()` (of an optimizer of the same
   * kind over parameters of the same shapes, in the same order), so training
   * resumes exactly. The values are copied; the optimizer's previous state
   * tensors are released. PyTorch's snake_case and camelCase keys both load.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const name = this.constructor.name;
    const sd = stateDict as unknown as Record<string, unknown>;
    const groups = sd?.param_groups ?? sd?.paramGroups;
    if (!Array.isArray(groups) || sd.state === null || typeof sd.state !== 'object') {
      throw new ArgumentError(`${name}.loadStateDict: expected { state, param_groups } as returned by stateDict(), received ${describe(stateDict)}.`);
    }
    if (groups.length !== this.paramGroups.length) {
      throw new ArgumentError(`${name}.loadStateDict: loaded state dict has ${groups.length} parameter group(s), the optimizer has ${this.paramGroups.length}.`);
    }
    const byId = new Map<number, Tensor>();
    const newGroups = groups.map((saved: Record<string, unknown>, i) => {
      const ours = this.paramGroups[i]!;
      const ids = saved?.params;
      if (!Array.isArray(ids) || ids.length !== ours.params.length) {
        throw new ArgumentError(`${name}.loadStateDict: loaded parameter group ${i} has ${Array.isArray(ids) ? ids.length : 'no'} parameters, the optimizer's group has ${ours.params.length}.`);
      }
      ids.forEach((id, j) => byId.set(Number(id), ours.params[j]!));
      const g: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(saved)) if (k !== 'params') g[fromPyName(k)] = Array.isArray(v) ? [...v] : v;
      g.params = ours.params;
      this.validate(g as ParamGroup<O>);
      return g as ParamGroup<O>;
    });
    const newState = new Map<Tensor, ParamState>();
    try {
      for (const [id, saved] of Object.entries(sd.state as Record<string, Record<string, unknown>>)) {
        const p = byId.get(Number(id));
        if (p === undefined) throw new ArgumentError(`${name}.loadStateDict: state for parameter index ${id}, which no parameter group lists.`);
        const s: ParamState = {};
        newState.set(p, s);
        for (const [k, v] of Object.entries(saved ?? {})) s[fromPyName(k)] = copyStateValue(v, p, `${name}.loadStateDict: state[${id}].${k}`, this.isScalarState(fromPyName(k)));
      }
    } catch (e) {
      disposeState(newState);
      throw e;
    }
    disposeState(this.state);
    this.state = newState;
    this.paramGroups = newGroups;
    this.onStateLoaded();
  }

  /** State entries kept as numbers (PyTorch keeps them as 0-d tensors): `step`, plus e.g. NAdam's `muProduct`. A loaded tensor becomes its value. */
  protected isScalarState(key: string): boolean {
    return key === 'step';
  }

  /** Called after `loadStateDict`: subclasses drop caches derived from the old state. */
  protected onStateLoaded(): void {}

  /** Release the optimizer's state tensors now (it can still step; state restarts from zero). */
  dispose(): void {
    disposeState(this.state);
    this.state.clear();
    this.onStateLoaded();
  }
}

function copyStateValue(v: unknown, p: Tensor, where: string, isStep: boolean): Tensor | number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (!(v instanceof Tensor)) throw new ArgumentError(`${where}: expected a Tensor or a number, received ${describe(v)}.`);
  if (isStep) return v.item();
  if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
    throw new ShapeError(`${where}: shape [${v.shape.join(', ')}] does not match the parameter's shape [${p.shape.join(', ')}].`);
  }
  return noGrad(() => v.to('float32').clone()).keep();
}

function disposeState(state: Map<Tensor, ParamState>): void {
  for (const s of state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
}

/** Throw unless `group[key]` is a number satisfying `ok`. */
export function checkNumber(opt: object, group: Record<string, unknown>, key: string, ok: (v: number) => boolean, expected = 'a number >= 0'): void {
  const v = group[key];
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) {
    throw new ArgumentError(`${opt.constructor.name}: invalid ${key}: expected ${expected}, received ${describe(v, true)}.`);
  }
}

export function describe(v: unknown, showValue = false): string {
  if (showValue && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  if (showValue && typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}

/**
 * A float32 0-d tensor for a number that changes every step (a bias-corrected
 * step size, a decaying rate). Ops given a plain number cache it as a native
 * constant (core's bounded ConstCache), which suits constants (betas, eps)
 * but would add a cache entry per step for these; this tensor is released
 * at the step boundaries like any other temporary.
 */
export function stepScalar(v: number): Tensor {
  return tensor(v);
}

/**
 * The weight of `m.lerp_(g, 1 - beta1)` when a scheduler may change beta1
 * every step (OneCycleLR's cycleMomentum): a step scalar, so that each value
 * does not become a cached constant. A weight of 0.5 or more keeps the number:
 * lerp then uses PyTorch's other formula (end - (end - start) * (1 - w)), and
 * such a beta1 is not a scheduled one in practice (the cache bound holds it).
 */
export function lerpWeight(w: number): number | Tensor {
  return w < 0.5 ? stepScalar(w) : w;
}

/** Throw unless `group[key]` is a pair of numbers, each satisfying `ok` (Adam's betas, Rprop's etas). */
export function checkPair(opt: object, group: Record<string, unknown>, key: string, ok: (v: number, i: number) => boolean, expected: string): void {
  const b = group[key];
  if (!Array.isArray(b) || b.length !== 2) throw new ArgumentError(`${opt.constructor.name}: invalid ${key}: expected a pair [a, b], received ${JSON.stringify(b)}.`);
  b.forEach((x, i) => {
    if (typeof x !== 'number' || Number.isNaN(x) || !ok(x, i)) throw new ArgumentError(`${opt.constructor.name}: invalid ${key}[${i}]: expected ${expected}, received ${describe(x, true)}.`);
  });
}
