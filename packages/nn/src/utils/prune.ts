/**
 * `nn.utils.prune`: magnitude pruning as PyTorch's `torch.nn.utils.prune`.
 *
 * Pruning `name` ('weight') of a module moves the parameter to
 * `weight_orig`, registers a buffer `weight_mask` (1 = kept, 0 = pruned) and
 * a forward pre-hook that recomputes `module.weight = weight_orig *
 * weight_mask` before every forward. The optimizer updates `weight_orig`;
 * the mask is re-applied on each call, so pruned weights stay zero through
 * fine-tuning (their gradient is zero too). `remove(module, 'weight')` makes
 * the pruning permanent: `weight` is a Parameter again, holding the masked
 * values. State-dict keys are PyTorch's (`fc1.weight_orig`, `fc1.weight_mask`).
 *
 * Pruning a pruned tensor again prunes the remaining entries (a
 * `PruningContainer` in PyTorch): `amount: 0.5` twice leaves 25 %.
 *
 * `amount`: a fraction in [0, 1] of the (remaining) entries, or an integer
 * greater than 1 = a number of entries; `{ count: n }` for any count
 * (Python tells `1` from `1.0`; JavaScript cannot, so `1` means 100 %). The
 * number pruned is `round(amount * n)` with Python's round-half-to-even.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * const fc = new nn.Linear(784, 128);
 * nn.utils.prune.l1Unstructured(fc, 'weight', { amount: 0.9 });
 * nn.utils.prune.sparsity(fc.weight); // 0.9
 * nn.utils.prune.remove(fc, 'weight'); // weight is a Parameter again, 90 % zeros
 * ```
 */
import { ArgumentError, Tensor, noGrad, rand, tensor } from '@duet/core';
import { Module } from '../module.js';
import type { RemovableHandle } from '../hooks.js';
import { Parameter } from '../parameter.js';

export type Amount = number | { count: number };

interface PruneOptions {
  amount: Amount;
  /** Scores ranked instead of the parameter's values (same shape); default the parameter itself. */
  importanceScores?: Tensor;
}

/** A pruning method: computes a new mask on the entries still unpruned. */
export abstract class BasePruningMethod {
  /** 'unstructured' (acts on the remaining entries) or 'global' (a mask given whole). */
  static readonly PRUNING_TYPE: 'unstructured' | 'global' = 'unstructured';
  /** The mask (1 keep, 0 prune) for `scores`, the values of the entries still unpruned. */
  abstract computeMask(scores: Float32Array): Uint8Array;
}

/** Prune the `amount` entries with the smallest absolute value (PyTorch's `L1Unstructured`). */
export class L1Unstructured extends BasePruningMethod {
  constructor(readonly amount: Amount) {
    super();
    checkAmount(amount, 'L1Unstructured');
  }
  computeMask(scores: Float32Array): Uint8Array {
    const k = nToPrune(this.amount, scores.length, 'L1Unstructured');
    const mask = new Uint8Array(scores.length).fill(1);
    if (k === 0) return mask;
    const order = Array.from(scores.keys()).sort((a, b) => Math.abs(scores[a]!) - Math.abs(scores[b]!) || a - b);
    for (let i = 0; i < k; i++) mask[order[i]!] = 0;
    return mask;
  }
}

/** Prune `amount` entries chosen at random (PyTorch's `RandomUnstructured`; Duet's seeded stream, `manualSeed`). */
export class RandomUnstructured extends BasePruningMethod {
  constructor(readonly amount: Amount) {
    super();
    checkAmount(amount, 'RandomUnstructured');
  }
  computeMask(scores: Float32Array): Uint8Array {
    const k = nToPrune(this.amount, scores.length, 'RandomUnstructured');
    const mask = new Uint8Array(scores.length).fill(1);
    if (k === 0) return mask;
    const u = rand([scores.length]);
    const r = u.dataSync();
    u.dispose();
    const order = Array.from(r.keys()).sort((a, b) => r[a]! - r[b]!);
    for (let i = 0; i < k; i++) mask[order[i]!] = 0;
    return mask;
  }
}

export type PruningMethodName = 'l1_unstructured' | 'L1Unstructured' | 'random_unstructured' | 'RandomUnstructured';
type MethodClass = new (amount: Amount) => BasePruningMethod;

function methodClass(m: MethodClass | PruningMethodName): MethodClass {
  if (typeof m === 'function') return m;
  if (m === 'l1_unstructured' || m === 'L1Unstructured') return L1Unstructured;
  if (m === 'random_unstructured' || m === 'RandomUnstructured') return RandomUnstructured;
  throw new ArgumentError(`prune: unknown pruningMethod ${JSON.stringify(m)}; expected prune.L1Unstructured, prune.RandomUnstructured or 'l1_unstructured' / 'random_unstructured'.`);
}

function checkAmount(amount: Amount, who: string): void {
  const v = typeof amount === 'number' ? amount : amount?.count;
  const count = typeof amount !== 'number';
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || ((count || v > 1) && !Number.isInteger(v))) {
    throw new ArgumentError(`${who}: amount must be a fraction in [0, 1], an integer > 1 or { count: n } with n >= 0; received ${JSON.stringify(amount)}.`);
  }
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function nToPrune(amount: Amount, n: number, who: string): number {
  const k = typeof amount === 'number' ? (amount <= 1 ? roundHalfEven(amount * n) : amount) : amount.count;
  if (k > n) throw new ArgumentError(`${who}: amount=${JSON.stringify(amount)} asks to prune ${k} entries, but only ${n} are left unpruned.`);
  return k;
}

// -------------------------------------------------------------- module state
type Slots = Record<string, Tensor | null | undefined>;
const hooks = new WeakMap<Module, Map<string, RemovableHandle>>();

/** True if `module` (or a submodule) has a pruned tensor (PyTorch's `prune.is_pruned`). */
export function isPruned(module: Module): boolean {
  for (const m of module.modules()) {
    const h = hooks.get(m);
    if (h !== undefined && h.size > 0) return true;
  }
  return false;
}

/** The fraction of zeros in a tensor (a sparsity report: `sparsity(fc.weight)`). */
export function sparsity(t: Tensor): number {
  const v = t.dataSync();
  let z = 0;
  for (const x of v) if (x === 0) z++;
  return v.length === 0 ? 0 : z / v.length;
}

function recompute(module: Module, name: string): void {
  const s = module as unknown as Slots;
  const orig = s[`${name}_orig`];
  const mask = s[`${name}_mask`];
  if (!(orig instanceof Tensor) || !(mask instanceof Tensor)) return; // removed (e.g. on a deep copy)
  s[name] = orig.mul(mask);
}

/**
 * Apply `newMask` (on the entries where the current mask is 1, or the whole
 * tensor for a global mask) to `module[name]`, setting up the pruning
 * re-parametrization on first use (PyTorch's `BasePruningMethod.apply`).
 */
function applyMask(module: Module, name: string, compute: (scores: Float32Array, current: Uint8Array) => Uint8Array, importanceScores: Tensor | undefined, who: string): Module {
  if (!(module instanceof Module)) throw new ArgumentError(`${who}: expected an nn.Module; received ${typeof module}.`);
  const s = module as unknown as Slots;
  const pruned = hooks.get(module)?.has(name) === true;
  const param = pruned ? s[`${name}_orig`] : s[name];
  if (!(param instanceof Parameter)) {
    const have = module.namedParameters({ recurse: false }).map(([n]) => n);
    throw new ArgumentError(`${who}: ${module.constructor.name} has no parameter '${name}' to prune; its parameters are ${JSON.stringify(have)}.`);
  }
  if (importanceScores !== undefined && (importanceScores.shape.length !== param.shape.length || importanceScores.shape.some((d, i) => d !== param.shape[i]))) {
    throw new ArgumentError(`${who}: importanceScores must have the parameter's shape [${param.shape.join(', ')}]; received [${importanceScores.shape.join(', ')}].`);
  }
  const current = pruned ? Uint8Array.from(s[`${name}_mask`]!.dataSync(), (v) => (v !== 0 ? 1 : 0)) : new Uint8Array(param.numel()).fill(1);
  const scores = Float32Array.from((importanceScores ?? param).dataSync());
  const mask = compute(scores, current);
  const maskTensor = tensor(Float32Array.from(mask), { shape: [...param.shape] });
  if (pruned) {
    const old = s[`${name}_mask`]!;
    s[`${name}_mask`] = maskTensor.keep();
    old.dispose();
  } else {
    module.registerParameter(`${name}_orig`, param);
    module.registerBuffer(`${name}_mask`, maskTensor);
    const handle = module.registerForwardPreHook((m) => void recompute(m, name));
    let byName = hooks.get(module);
    if (byName === undefined) hooks.set(module, (byName = new Map()));
    byName.set(name, handle);
  }
  noGrad(() => recompute(module, name));
  return module;
}

/** A method's mask over the entries still unpruned, scattered back into the full mask (PyTorch's PruningContainer). */
function onRemaining(method: BasePruningMethod) {
  return (scores: Float32Array, current: Uint8Array): Uint8Array => {
    const idx: number[] = [];
    current.forEach((v, i) => v === 1 && idx.push(i));
    const partial = method.computeMask(Float32Array.from(idx, (i) => scores[i]!));
    const out = Uint8Array.from(current);
    idx.forEach((i, j) => (out[i] = partial[j]!));
    return out;
  };
}

/** Prune the `amount` smallest-|value| entries of `module[name]` (PyTorch's `prune.l1_unstructured`). */
export function l1Unstructured(module: Module, name: string, options: PruneOptions): Module {
  return applyMask(module, name, onRemaining(new L1Unstructured(options?.amount)), options.importanceScores, 'prune.l1Unstructured');
}

/** Prune `amount` random entries of `module[name]` (PyTorch's `prune.random_unstructured`). */
export function randomUnstructured(module: Module, name: string, options: { amount: Amount }): Module {
  return applyMask(module, name, onRemaining(new RandomUnstructured(options?.amount)), undefined, 'prune.randomUnstructured');
}

/** Prune with a given mask (1 keep, 0 prune), combined with any earlier mask (PyTorch's `prune.custom_from_mask`). */
export function customFromMask(module: Module, name: string, mask: Tensor): Module {
  const m = Float32Array.from(mask.dataSync());
  return applyMask(
    module,
    name,
    (scores, current) => {
      if (m.length !== scores.length) throw new ArgumentError(`prune.customFromMask: the mask has ${m.length} entries; '${name}' has ${scores.length}.`);
      return Uint8Array.from(current, (c, i) => (c === 1 && m[i] !== 0 ? 1 : 0));
    },
    undefined,
    'prune.customFromMask',
  );
}

/** Set up the re-parametrization with an all-ones mask (PyTorch's `prune.identity`). */
export function identity(module: Module, name: string): Module {
  return applyMask(module, name, (_s, current) => current, undefined, 'prune.identity');
}

/**
 * Prune across several parameters at once: the `amount` entries with the
 * smallest scores among all of them (PyTorch's `prune.global_unstructured`;
 * `amount` counts the entries still unpruned in all of them together).
 */
export function globalUnstructured(
  parameters: Iterable<[Module, string]>,
  options: { pruningMethod: MethodClass | PruningMethodName; amount: Amount; importanceScores?: Map<[Module, string], Tensor> },
): void {
  const who = 'prune.globalUnstructured';
  const list = [...parameters];
  if (list.length === 0) throw new ArgumentError(`${who}: expected at least one (module, name) pair; received none.`);
  const Method = methodClass(options?.pruningMethod);
  const method = new Method(options.amount);
  const scoreParts: Float32Array[] = [];
  const currentParts: Float32Array[] = [];
  const sizes: number[] = [];
  for (const pair of list) {
    const [m, name] = pair;
    const s = m as unknown as Slots;
    const pruned = hooks.get(m)?.has(name) === true;
    const p = pruned ? s[`${name}_orig`] : s[name];
    if (!(p instanceof Tensor)) throw new ArgumentError(`${who}: ${m?.constructor?.name} has no parameter '${name}'.`);
    const imp = options.importanceScores?.get(pair) ?? p;
    scoreParts.push(Float32Array.from(imp.dataSync()));
    currentParts.push(pruned ? Float32Array.from(s[`${name}_mask`]!.dataSync()) : new Float32Array(p.numel()).fill(1));
    sizes.push(p.numel());
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  const scores = new Float32Array(total);
  const current = new Uint8Array(total);
  let at = 0;
  scoreParts.forEach((part, i) => {
    scores.set(part, at);
    currentParts[i]!.forEach((v, j) => (current[at + j] = v !== 0 ? 1 : 0));
    at += part.length;
  });
  const full = onRemaining(method)(scores, current);
  let off = 0;
  list.forEach(([m, name], i) => {
    const part = full.subarray(off, off + sizes[i]!);
    off += sizes[i]!;
    applyMask(m, name, (_s, cur) => Uint8Array.from(cur, (c, j) => (c === 1 && part[j] === 1 ? 1 : 0)), undefined, who);
  });
}

/**
 * Make the pruning permanent (PyTorch's `prune.remove`): `weight_orig`
 * becomes `weight` again holding `weight_orig * weight_mask`; the mask, the
 * `_orig` parameter and the hook go.
 */
export function remove(module: Module, name: string): Module {
  const handle = hooks.get(module)?.get(name);
  if (handle === undefined) {
    throw new ArgumentError(`prune.remove: parameter '${name}' of ${module?.constructor?.name} is not pruned (prune it first, e.g. prune.l1Unstructured(module, '${name}', { amount: 0.5 })).`);
  }
  const s = module as unknown as Slots;
  const orig = s[`${name}_orig`] as Parameter;
  const mask = s[`${name}_mask`]!;
  noGrad(() => orig.copy_(orig.mul(mask)));
  handle.remove();
  hooks.get(module)!.delete(name);
  s[`${name}_orig`] = null;
  s[`${name}_mask`] = null;
  mask.dispose();
  s[name] = orig;
  return module;
}
