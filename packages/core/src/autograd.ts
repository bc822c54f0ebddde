/**
 * Reverse-mode autograd on our own tape, micrograd's shape: each op that
 * needs a gradient attaches a Node (its inputs and a backward rule) to its
 * output; `backward()` sorts the graph topologically and walks it in reverse,
 * adding each rule's results into its inputs' gradients. Rules compute on raw
 * tfjs tensors, so no Duet bookkeeping runs inside backward.
 * See docs/design/autograd.md.
 */
import { tf, scalarConst, binaryKernel, reduceKernel, reshapeKernel, type TfTensor } from './kernels/index.js';
import { gradForRule, gradFromRule, gradToLogical, gradToStored, type GradLayout } from './layout.js';
import { AutogradError, TensorReleasedError } from './errors.js';
import { markStep, noteRecorded } from './memory.js';
import type { Tensor } from './tensor.js';

/** A backward rule: gradient of the output in, gradients of the inputs out (null = none). */
export type BackwardFn = (grad: TfTensor) => (TfTensor | null)[];

export interface Node {
  name: string;
  inputs: Tensor[];
  backward: BackwardFn | null; // null once the graph was freed
  /** Internal tensors the rule needs, released with the graph. */
  saved: TfTensor[] | undefined;
  /** The layout the rule exchanges gradients in (layout.ts's opLayout decides it); undefined = logical everywhere. */
  layout: GradLayout | undefined;
  /** Why the graph was released before a backward() used it (memory.ts), for the error. */
  releasedBecause?: string;
  /** Set on the nodes of a multi-output op (a custom Function): output `index` of `group`. */
  group?: { of: OutputGroup; index: number };
  /** The node as user code sees it (`tensor.gradFn`), made once. */
  fn?: GradFn;
}

/**
 * One backward rule shared by several outputs (PyTorch's multi-output Node):
 * each output's node stashes its gradient, and the rule runs once, when the
 * walk reaches the last of them, with a gradient per output (null = unused).
 */
export interface OutputGroup {
  size: number;
  backward: (grads: (TfTensor | null)[], saved: TfTensor[]) => (TfTensor | null)[];
  /** Gradients stashed during one backward() walk. */
  pending: (TfTensor | null)[] | null;
  /** Set once the rule ran without retainGraph: a second walk through another output is an error. */
  freed: boolean;
  /** The outputs' nodes (recordGroup fills it): freed together once the rule ran without retainGraph. */
  members: Node[];
}

/**
 * PyTorch's `tensor.grad_fn`: the node that made a tensor, by name
 * (`name()`, also what it prints as), and the nodes of its inputs
 * (`nextFunctions`: `[node, 0]` per input; an `AccumulateGrad` for a leaf
 * that requires grad, null for an input that needs no gradient). The edges
 * go once backward() has freed the graph (PyTorch keeps them).
 */
export class GradFn {
  /** @internal */
  constructor(private readonly _name: string, private readonly _n: Node | null) {}
  name(): string {
    return this._name;
  }
  get nextFunctions(): [GradFn | null, number][] {
    return (this._n?.inputs ?? []).map((x) => [x._node !== null ? x._gradFnNode() : x.requiresGrad ? new AccumulateGrad(x) : null, 0]);
  }
  toString(): string {
    return this._name;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `<${this._name}>`;
  }
}

/** The node that adds a gradient into a leaf's `.grad` (PyTorch's `AccumulateGrad`); `variable` is the leaf. */
export class AccumulateGrad extends GradFn {
  /** @internal */
  constructor(readonly variable: Tensor) {
    super('AccumulateGrad', null);
  }
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording the graph (like `torch.no_grad()`); returns what `fn` returns. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** @internal set grad mode, returning the previous one (grad_mode.ts's disposable forms). */
export function _setGradEnabled(flag: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = flag;
  return prev;
}

/** Run `fn` with graph recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Attach a node to `out` if grad mode is on and any input requires grad. */
export function record(out: Tensor, name: string, inputs: Tensor[], backward: BackwardFn, saved?: TfTensor[], layout?: GradLayout): Tensor {
  if (gradEnabled) {
    for (const x of inputs) {
      if (x.requiresGrad) {
        out.requiresGrad = true;
        out._node = { name, inputs, backward, saved, layout };
        noteRecorded(inputs);
        return out;
      }
    }
  }
  if (saved !== undefined) for (const s of saved) s.dispose();
  return out;
}

/**
 * Attach one shared rule to several outputs (a custom Function's, autograd_function.ts)
 * if grad mode is on and any input requires grad. Each output's node holds its own
 * handles of `saved` (clones share the data), so releasing one output's graph
 * (memory.ts) leaves the others' intact. `outputs[i]` null = not differentiable.
 */
export function recordGroup(name: string, outputs: (Tensor | null)[], inputs: Tensor[], group: OutputGroup, saved: TfTensor[]): void {
  if (!gradEnabled || !inputs.some((x) => x.requiresGrad)) return;
  outputs.forEach((out, index) => {
    if (out === null) return;
    out.requiresGrad = true;
    out._node = { name, inputs, backward: groupMember, saved: saved.map((s) => tf().clone(s)), layout: undefined, group: { of: group, index } };
    group.members.push(out._node);
  });
  noteRecorded(inputs);
}

/** The backward of a group member's node: never called (the engine runs the group's rule); non-null while the node is live. */
const groupMember: BackwardFn = () => {
  throw new AutogradError('internal: a multi-output node was backpropagated on its own.');
};

/**
 * Backward-time fusion (docs/design/autograd.md, "Fusion across nodes"): a
 * rule may hand a second result, with the gradient it returns for an input,
 * to the rule of the node that made that input (`passAlong`). Max pooling of
 * a conv + ReLU output returns its gradient already through the ReLU, with
 * the bias's gradient (pool.ts, conv.ts). The producer's rule takes it
 * (`takeAlong`) only when it receives that very tensor: a gradient added to
 * another one, or converted to another layout, loses it, and the producer
 * computes it itself (a ReLU's mask applied twice is the mask). What no rule
 * takes is disposed after the rule that received it, or at the walk's end.
 */
const along = new Map<TfTensor, TfTensor>();
/** Tensors whose gradients a `gradients()` walk returns: their gradient must be the true one, so no fusion may change it. */
let observed: Set<Tensor> | null = null;
let walkDepth = 0;

/** Hand `extra` (owned by the walk from now on) to the rule of the node that made the input `g` is the gradient of. */
export function passAlong(g: TfTensor, extra: TfTensor): void {
  tf().keep(extra);
  along.set(g, extra);
}
/** What the rule that made `g` passed along with it (the caller owns it), or undefined. */
export function takeAlong(g: TfTensor): TfTensor | undefined {
  const e = along.get(g);
  if (e !== undefined) along.delete(g);
  return e;
}
function dropAlong(g: TfTensor): void {
  const e = along.get(g);
  if (e === undefined) return;
  along.delete(g);
  e.dispose();
}
/** True when a `gradients()` walk in progress returns `t`'s gradient (a rule must then give `t` its true gradient). */
export function gradObserved(t: Tensor): boolean {
  return observed?.has(t) ?? false;
}

/** Sum `g` over the dimensions that broadcasting added or expanded, back to `shape`. */
export function unbroadcast(g: TfTensor, shape: readonly number[]): TfTensor {
  const gs = g.shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return g;
  const lead = gs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && gs[i] !== 1)) axes.push(i);
  }
  // One raw Sum kernel (tf.sum goes through tfjs's wrapper); a Reshape only when size-1 dims must come back.
  const s = axes.length > 0 ? reduceKernel('Sum', g, axes, false) : g;
  return s.rank === shape.length && s.shape.every((d, i) => d === shape[i]) ? s : reshapeKernel(s, shape);
}

function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t._node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const x = inputs[i]!;
      if (x.requiresGrad && !seen.has(x)) {
        seen.add(x);
        stack.push([x, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order; // inputs before outputs
}

export interface BackwardOptions {
  retainGraph?: boolean;
}

/** `tensor.backward(gradient?)`: accumulate d(root)/d(leaf) into every leaf's `.grad`. */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  walkBackward(root, gradient, options, (t, g) => t._accumulateGrad(owned(g, gradToLogical(g, t)))); // a leaf's .grad is logical
}

/**
 * The gradients of `root` with respect to `sources` (leaves or intermediate
 * tensors), as raw logical-layout tensors in `sources` order, null where
 * `root` does not depend on a source (torch.autograd.grad). No `.grad` is
 * touched. grad.ts wraps the results as Tensors.
 */
export function gradients(root: Tensor, sources: readonly Tensor[], gradient?: Tensor, options: BackwardOptions = {}): (TfTensor | null)[] {
  const T = tf();
  const out = new Map<Tensor, TfTensor>();
  const want = new Set(sources);
  const take = (t: Tensor, g: TfTensor) => {
    if (!want.has(t)) return;
    const logical = gradToLogical(g, t);
    const prev = out.get(t);
    const mine = logical === g ? T.clone(g) : logical;
    if (prev === undefined) out.set(t, mine);
    else {
      out.set(t, binaryKernel('AddV2', prev, mine));
      prev.dispose();
      mine.dispose();
    }
  };
  walkBackward(root, gradient, options, (_t, g) => g.dispose(), take, want);
  return sources.map((s) => out.get(s) ?? null);
}

/**
 * Walk the graph of `root` in reverse: `atLeaf` receives (and owns) each
 * leaf's gradient; `visit` (optional) sees every tensor's gradient, leaves
 * and intermediate ones, without owning it. With `only`, gradients flow
 * only into the parts of the graph that lead to one of those tensors (a
 * GAN's discriminator step stops at the generated images).
 */
function walkBackward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions, atLeaf: (t: Tensor, g: TfTensor) => void, visit?: (t: Tensor, g: TfTensor) => void, only?: Set<Tensor>): void {
  if (!root.requiresGrad) {
    throw new AutogradError('backward(): the tensor does not require grad and has no grad_fn. Create inputs with { requiresGrad: true } and do not call backward() inside noGrad().');
  }
  if (gradient === undefined && root.numel() !== 1) {
    throw new AutogradError(`backward(): grad can be implicitly created only for scalar outputs. Expected a tensor with 1 element, received shape [${root.shape.join(', ')}]; pass backward(gradient) with that shape.`);
  }
  if (gradient !== undefined && !sameShape(gradient.shape, root.shape)) {
    throw new AutogradError(`backward(gradient): expected a gradient of shape [${root.shape.join(', ')}], received [${gradient.shape.join(', ')}].`);
  }
  const T = tf();
  const order = topoSort(root);
  // The tensors from which one of `only` can be reached (order lists inputs before outputs).
  let leads: Set<Tensor> | null = null;
  if (only !== undefined) {
    const l = new Set<Tensor>();
    for (const x of order) if (only.has(x) || (x._node?.inputs.some((i) => l.has(i)) ?? false)) l.add(x);
    leads = l;
  }
  const grads = new Map<Tensor, TfTensor>();
  const seed = gradient !== undefined ? T.clone(gradient._v()) : root.ndim === 0 ? T.clone(scalarConst(1, 'float32')) : T.ones(root.shape as number[]);
  grads.set(root, owned(seed, gradToStored(seed, root)));
  const retain = options.retainGraph === true;
  // A multi-output rule runs at the first of its outputs in `order`: the walk goes backwards, so the others came before it.
  const fireAt = new Map<OutputGroup, number>();
  order.forEach((t, k) => {
    const of = t._node?.group?.of;
    if (of !== undefined && !fireAt.has(of)) fireAt.set(of, k);
  });
  const outerObserved = observed;
  observed = visit !== undefined ? (only ?? null) : null;
  walkDepth++;
  try {
    walkNodes(order, grads, fireAt, retain, atLeaf, visit, leads);
  } finally {
    observed = outerObserved;
    if (--walkDepth === 0) {
      for (const e of along.values()) e.dispose();
      along.clear();
    }
  }
  markStep();
}

function walkNodes(order: Tensor[], grads: Map<Tensor, TfTensor>, fireAt: Map<OutputGroup, number>, retain: boolean, atLeaf: (t: Tensor, g: TfTensor) => void, visit: ((t: Tensor, g: TfTensor) => void) | undefined, leads: Set<Tensor> | null): void {
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const member = t._node?.group;
    let g = grads.get(t);
    if (g === undefined && (member === undefined || fireAt.get(member.of) !== k)) continue;
    grads.delete(t);
    if (g !== undefined) visit?.(t, g);
    const node = t._node;
    if (node === null) {
      atLeaf(t, g!);
      continue;
    }
    const rule = node.backward;
    if (rule === null || member?.of.freed === true) {
      g?.dispose();
      for (const r of grads.values()) r.dispose();
      discardPending(fireAt);
      if (node.releasedBecause !== undefined) throw graphReleased(node.name, node.releasedBecause);
      throw new AutogradError(`backward(): trying to backward through the graph a second time (the saved tensors of '${node.name}' were already freed). Pass { retainGraph: true } to the first backward() if you need to call it twice.`);
    }
    if (member !== undefined) {
      const of = member.of;
      const pending = (of.pending ??= new Array<TfTensor | null>(of.size).fill(null));
      if (g !== undefined) pending[member.index] = owned(g, gradToLogical(g, t)); // group rules take logical gradients
      if (fireAt.get(of) !== k) continue;
      of.pending = null;
      if (pending.every((x) => x === null)) continue;
      const saved = node.saved ?? [];
      let inGrads: (TfTensor | null)[];
      try {
        inGrads = runRule(node, () => of.backward(pending, saved), null, grads, fireAt, undefined);
      } finally {
        for (const p of pending) p?.dispose();
      }
      addInputGrads(node, inGrads, grads, leads);
      if (!retain) {
        of.freed = true;
        for (const m of of.members) freeNode(m);
        of.members = [];
      }
      continue;
    }
    const layout = node.layout;
    const gi = g!;
    addInputGrads(node, runRule(node, () => rule(gradForRule(gi, t, layout)), gi, grads, fireAt, layout), grads, leads);
    dropAlong(gi);
    if (!retain) freeNode(node);
  }
}

/**
 * Run one node's rule inside a tidy, disposing `g` (its gradient) after it. Rules may pass
 * `g` through (or return one tensor twice): each input gets its own handle.
 * Gradients are kept in each tensor's stored layout; layout.ts converts where the rule's layout differs.
 */
function runRule(
  node: Node, rule: () => (TfTensor | null)[], g: TfTensor | null, grads: Map<Tensor, TfTensor>, fireAt: Map<OutputGroup, number>, layout: GradLayout | undefined,
): (TfTensor | null)[] {
  const T = tf();
  let inGrads: (TfTensor | null)[];
  try {
    inGrads = T.tidy(() => {
      const seen = new Set<TfTensor>(g === null ? [] : [g]);
      return rule().map((x, i) => {
        if (x === null) return null;
        const input = node.inputs[i]!;
        if (!input.requiresGrad) return null;
        const gi = gradFromRule(x, i, layout, input);
        if (seen.has(gi)) return T.clone(gi);
        seen.add(gi);
        return gi;
      }) as TfTensor[];
    });
  } catch (e) {
    g?.dispose();
    for (const r of grads.values()) r.dispose();
    discardPending(fireAt);
    if (e instanceof TensorReleasedError) throw graphReleased(node.name, e.message);
    throw e;
  }
  g?.dispose();
  return inGrads;
}

/** Add a rule's results into the gradients waiting for its inputs. */
function addInputGrads(node: Node, inGrads: (TfTensor | null)[], grads: Map<Tensor, TfTensor>, leads: Set<Tensor> | null): void {
  node.inputs.forEach((x, i) => {
    const gi = inGrads[i];
    if (gi == null) return;
    // With `only` (gradients()), inputs that lead to none of the wanted tensors get nothing.
    if (leads !== null && !leads.has(x)) {
      dropAlong(gi);
      gi.dispose();
      return;
    }
    const prev = grads.get(x);
    if (prev === undefined) grads.set(x, gi);
    else {
      // A sum is not the gradient anything was passed along with.
      dropAlong(prev);
      dropAlong(gi);
      grads.set(x, binaryKernel('AddV2', prev, gi));
      prev.dispose();
      gi.dispose();
    }
  });
}

/** A failed walk drops the gradients its multi-output rules had stashed. */
function discardPending(fireAt: Map<OutputGroup, number>): void {
  for (const of of fireAt.keys()) {
    for (const p of of.pending ?? []) p?.dispose();
    of.pending = null;
  }
}

/** The error for a graph that a step boundary released before backward() reached it. */
function graphReleased(name: string, why: string): AutogradError {
  return new AutogradError(
    `backward(): part of this graph (at '${name}') was released before backward() reached it: ${why}. ` +
      'A graph must be backpropagated before the next-but-one step boundary (a DataLoader batch, backward() or markStep()). ' +
      'To accumulate gradients over several batches, call backward() on each batch\'s loss (gradients add up in .grad) instead of summing the losses first.',
  );
}

/** `converted` (made from `g` outside a tidy) in place of `g`: `g` is disposed if a conversion made a new tensor. */
function owned(g: TfTensor, converted: TfTensor): TfTensor {
  if (converted !== g) g.dispose();
  return converted;
}

function freeNode(node: Node): void {
  node.backward = null;
  node.inputs = [];
  if (node.saved !== undefined) for (const s of node.saved) s.dispose();
  node.saved = undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
