/**
 * `torch.autograd.Function`: an op whose forward and backward you write with
 * Tensor ops. The forward runs without recording; its outputs share one node
 * of Duet's autograd (autograd.ts's `recordGroup`), whose rule calls your
 * static `backward` once with a gradient per output.
 *
 * @example
 * ```ts
 * import { autograd, linspace, type Tensor } from '@duet/core';
 * class LegendrePolynomial3 extends autograd.Function {
 *   static forward(ctx: autograd.FunctionCtx<[Tensor]>, input: Tensor): Tensor {
 *     ctx.saveForBackward(input);
 *     return input.pow(3).mul(5).sub(input.mul(3)).mul(0.5);
 *   }
 *   static backward(ctx: autograd.FunctionCtx<[Tensor]>, gradOutput: Tensor): Tensor {
 *     const [input] = ctx.savedTensors;
 *     return gradOutput.mul(1.5).mul(input.pow(2).mul(5).sub(1));
 *   }
 * }
 * const x = linspace(-1, 1, 5, { requiresGrad: true });
 * LegendrePolynomial3.apply(x).sum().backward();
 * ```
 *
 * Memory is Duet's: what forward makes and does not return is freed when
 * apply() returns; saved tensors are held by the graph and released with it
 * (after backward(), or when the outputs' graph is released), so nothing
 * needs `keep()`. Left out: `ctx.markDirty` (in-place forwards), double
 * backward (`create_graph`), `once_differentiable`, `vmap`/`jvp`.
 */
import { tf, type TfTensor } from './kernels/index.js';
import { isGradEnabled, noGrad, recordGroup, unbroadcast, type OutputGroup } from './autograd.js';
import { AutogradError } from './errors.js';
import { libraryCall, scope } from './memory.js';
import { Tensor } from './tensor.js';

/**
 * The `ctx` of a custom Function: what forward stashes for backward.
 * `S` types what `saveForBackward` takes and `savedTensors` gives back
 * (`FunctionCtx<[Tensor, Tensor]>`). Other values go on it as properties
 * (`ctx.constant = 0.5`), as in PyTorch.
 */
export class FunctionCtx<S extends (Tensor | null)[] = (Tensor | null)[]> {
  [attribute: string]: any;
  /** Per argument of apply(): a Tensor that requires grad (PyTorch's `ctx.needs_input_grad`). */
  readonly needsInputGrad: readonly boolean[];
  /** @internal what forward saved, until apply() records it. */
  _toSave: S | null = null;
  /** @internal the saved values, wrapped while backward runs. */
  _saved: S | null = null;
  /** @internal outputs marked non-differentiable. */
  _nonDiff = new Set<Tensor>();
  /** @internal `setMaterializeGrads`. */
  _materialize = true;

  /** @internal */
  constructor(needsInputGrad: boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }

  /** Save tensors (inputs, outputs or intermediates; `null` allowed) for backward: `ctx.save_for_backward`. Call it once, in forward. */
  saveForBackward(...tensors: S): void {
    for (const [i, t] of tensors.entries()) {
      if (t !== null && !(t instanceof Tensor)) {
        throw new AutogradError(`saveForBackward(): expected Tensors or null, received ${describe(t)} at position ${i}. Store other values as properties of ctx.`);
      }
    }
    this._toSave = tensors;
  }

  /** The tensors saved in forward, in order (read them in backward): `ctx.saved_tensors`. */
  get savedTensors(): S {
    if (this._saved === null) {
      throw new AutogradError('savedTensors: the saved tensors are available inside backward() only (and once the graph was backpropagated without retainGraph, no more).');
    }
    return this._saved;
  }

  /** Outputs that get no gradient (indices, masks): `ctx.mark_non_differentiable`. */
  markNonDifferentiable(...outputs: Tensor[]): void {
    for (const t of outputs) this._nonDiff.add(t);
  }

  /** `false`: backward receives null (not zeros) for outputs that got no gradient: `ctx.set_materialize_grads`. */
  setMaterializeGrads(value: boolean): void {
    this._materialize = value;
  }
}

/** What a custom Function class provides: static `forward(ctx, ...args)` and `backward(ctx, ...gradOutputs)`. */
export interface FunctionClass {
  name: string;
  forward(ctx: FunctionCtx<any>, ...args: any[]): unknown;
  backward(ctx: FunctionCtx<any>, ...gradOutputs: any[]): unknown;
}
type ApplyArgs<F extends FunctionClass> = F['forward'] extends (ctx: any, ...args: infer A) => unknown ? A : never;
type Grad = Tensor | null | undefined;

/**
 * Base class of custom autograd ops (`torch.autograd.Function`): subclass it
 * with static `forward` and `backward`, call `MyFunction.apply(...args)`.
 */
export class Function {
  /** Run forward on `args` and record backward for its outputs: `MyFunction.apply(x)`. */
  static apply<F extends FunctionClass>(this: F, ...args: ApplyArgs<F>): ReturnType<F['forward']> {
    if ((this as unknown) === undefined) {
      throw new AutogradError('apply() was called without its class: a static method taken alone loses it in JavaScript. Wrap it: const P3 = (x: Tensor) => MyFunction.apply(x).');
    }
    return applyFunction(this, args) as ReturnType<F['forward']>;
  }
}

function applyFunction(cls: FunctionClass, args: unknown[]): unknown {
  const name = `${cls.name}Backward`;
  for (const m of ['forward', 'backward'] as const) {
    if (typeof cls[m] !== 'function') {
      throw new AutogradError(`${cls.name}.apply(): a custom Function needs a static ${m}(ctx, ...) method; received none.`);
    }
  }
  const recording = isGradEnabled() && args.some((a) => a instanceof Tensor && a.requiresGrad);
  const ctx = new FunctionCtx(args.map((a) => recording && a instanceof Tensor && a.requiresGrad));
  const inputs: Tensor[] = [];
  const inputArg: number[] = []; // the argument index of each node input
  args.forEach((a, i) => {
    if (a instanceof Tensor) {
      inputs.push(a);
      inputArg.push(i);
    }
  });
  let savedRaw: TfTensor[] = [];
  // A library call: what forward makes and does not return is freed when it returns (saved values are cloned first).
  const result = libraryCall(cls.name, 'forward', () => {
    const r = noGrad(() => cls.forward(ctx, ...args));
    if (recording) savedRaw = (ctx._toSave ?? []).flatMap((t) => (t === null ? [] : [tf().clone(t._v())]));
    return r;
  });
  if (!recording) {
    ctx._toSave = null;
    return result;
  }
  const multi = Array.isArray(result);
  const raw: unknown[] = multi ? result : [result];
  // Each output must be a tensor of its own (an input returned as is, or one output twice, becomes a new tensor sharing the values).
  const seen = new Set<Tensor>(inputs);
  const outs = raw.map((o) => {
    if (!(o instanceof Tensor)) return o;
    const fresh = seen.has(o) || o._node !== null || o.requiresGrad ? new Tensor(tf().clone(o._stored()), o._nhwc) : o;
    seen.add(fresh);
    return fresh;
  });
  // What backward needs of the call, without holding its tensors (their values go in `saved`).
  const sig: Signature = {
    name,
    args: args.map((a) => (a instanceof Tensor ? null : describe(a))),
    inputArg,
    inputShapes: inputs.map((x) => x.shape),
    outShapes: outs.map((o) => (o instanceof Tensor ? o.shape : null)),
    savedSlots: (ctx._toSave ?? []).map((t) => t !== null),
  };
  ctx._toSave = null;
  const group: OutputGroup = { size: outs.length, pending: null, freed: false, members: [], backward: (grads, saved) => runBackward(cls, sig, ctx, grads, saved) };
  const diff = outs.map((o, i) => (o instanceof Tensor && o.dtype === 'float32' && !ctx._nonDiff.has(raw[i] as Tensor) ? o : null));
  ctx._nonDiff.clear();
  recordGroup(name, diff, inputs, group, savedRaw);
  for (const s of savedRaw) s.dispose();
  return multi ? outs : outs[0];
}

/** What the rule of one apply() needs to know of it. */
interface Signature {
  name: string;
  /** Per argument of apply(): null for a Tensor, else how it reads in an error. */
  args: (string | null)[];
  /** The argument index of each node input (the Tensor arguments). */
  inputArg: number[];
  inputShapes: (readonly number[])[];
  /** Per output: its shape (for materialized zeros); null if not a Tensor. */
  outShapes: (readonly number[] | null)[];
  /** Per saveForBackward() argument: a tensor (its value is in the node's saved list) or null. */
  savedSlots: boolean[];
}

/** The group's rule: wrap the gradients and saved values, call the user's backward, check and return its gradients (one per node input). */
function runBackward(cls: FunctionClass, sig: Signature, ctx: FunctionCtx, grads: (TfTensor | null)[], saved: TfTensor[]): (TfTensor | null)[] {
  let out: (TfTensor | null)[] = [];
  // Everything wrapped or computed here is freed when the scope ends; the results leave as raw clones.
  scope(() => noGrad(() => {
    let k = 0;
    ctx._saved = sig.savedSlots.map((has) => (has ? new Tensor(tf().clone(saved[k++]!)) : null));
    const gradOutputs = grads.map((g, i) => {
      if (g !== null) return new Tensor(tf().clone(g));
      const shape = sig.outShapes[i];
      return ctx._materialize && shape != null ? new Tensor(tf().zeros(shape as number[])) : null;
    });
    let r: unknown;
    try {
      r = cls.backward(ctx, ...gradOutputs);
    } finally {
      ctx._saved = null;
    }
    const rs = checkGrads(sig, (Array.isArray(r) ? r : [r]) as Grad[]);
    out = sig.inputArg.map((i, j) => {
      const g = rs[i];
      return g == null || !ctx.needsInputGrad[i] ? null : sumTo(sig.name, i, g, sig.inputShapes[j]!);
    });
  }));
  return out;
}

/** PyTorch's checks of what backward returned: one gradient per forward argument (trailing nulls may follow), null for non-tensors. */
function checkGrads(sig: Signature, rs: Grad[]): Grad[] {
  const { name, args } = sig;
  let n = rs.length;
  while (n > args.length && rs[n - 1] == null) n--;
  if (n !== args.length) {
    throw new AutogradError(`function ${name} returned an incorrect number of gradients: expected ${args.length} (one per argument of apply()), received ${rs.length}.`);
  }
  rs.forEach((g, i) => {
    if (g == null || i >= args.length) return;
    if (!(g instanceof Tensor)) throw new AutogradError(`function ${name} returned an invalid gradient at index ${i}: expected a Tensor or null, received ${describe(g)}.`);
    if (args[i] !== null) {
      throw new AutogradError(`function ${name} returned a gradient different than null at index ${i}, but the corresponding forward argument was not a Tensor (received ${args[i]}).`);
    }
  });
  return rs;
}

/** The gradient for an input of shape `xs` as a raw clone, summed over broadcast dims if its shape expands `xs` (PyTorch's `sum_to`). */
function sumTo(name: string, index: number, g: Tensor, xs: readonly number[]): TfTensor {
  if (g.dtype !== 'float32') throw new AutogradError(`function ${name} returned an invalid gradient at index ${index}: expected dtype float32, received ${g.dtype}.`);
  const gs = g.shape;
  const lead = gs.length - xs.length;
  const expandable = lead >= 0 && xs.every((d, i) => d === 1 || d === gs[i + lead]);
  if (!expandable) {
    throw new AutogradError(`function ${name} returned an invalid gradient at index ${index}: expected shape [${xs.join(', ')}] (the input's), received [${gs.join(', ')}].`);
  }
  const v = g._v();
  const s = unbroadcast(v, xs);
  return s === v ? tf().clone(v) : s;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `the ${typeof v} ${String(v)}`;
}
