/**
 * Who owns a tensor's native memory, and when it is released.
 * See docs/design/memory.md for the design and its reasons.
 *
 * - USER: yours until you call `dispose()` (parameters, `keep()`-ed tensors).
 * - AUTO: managed at step boundaries. A tensor not used for two boundaries
 *   is either freed, if it is *internal* (made inside a library call - a
 *   module's forward, a loss, an optimizer step - and not returned), or
 *   *moved to JavaScript memory* (spilled) otherwise: its values stay valid
 *   and go back to the native engine if it is used again; the copy is
 *   collected with the Tensor object by JavaScript's garbage collector.
 *   Boundaries: `backward()`, a DataLoader batch, `markStep()` (explicit),
 *   and automatic ones when many tensors were made without any.
 * - SCOPE: released when the enclosing `scope(fn)` returns, unless returned.
 * - GRAD: owned by the leaf whose `.grad` it is.
 */
import { constantCount, tf, type TfTensor } from './kernels/index.js';
import type { HostArray } from './storage.js';

export const USER = 0;
export const AUTO = 1;
export const SCOPE = 2;
export const GRAD = 3;
export type Owner = typeof USER | typeof AUTO | typeof SCOPE | typeof GRAD;

/** What memory management reads of an autograd node (autograd.ts's Node). */
export interface ManagedNode {
  backward: unknown;
  saved: { dispose(): void }[] | undefined;
  inputs: readonly Managed[];
}

/**
 * What this file manages: the Tensor extends it, so memory.ts sees tensors
 * (`instanceof Managed`) without importing tensor.ts. It holds the ownership
 * fields; the value and graph belong to the Tensor, which implements the rest.
 */
export abstract class Managed {
  /** @internal ownership (see the top of this file). */
  _owner: Owner = USER;
  /** @internal step at which this tensor was last used. */
  _lastUsed = 0;
  /** @internal made inside a library call and not handed to user code: may be freed, not just spilled. */
  _internal = false;
  /** @internal used as an input of a recorded autograd node (its graph was extended). */
  _consumed = false;
  /** @internal the library call whose result or leftover this is. */
  _rec: FrameRecord | null = null;
  /** @internal the native value as stored; null once released or spilled. */
  abstract get _tf(): TfTensor | null;
  /** @internal the resource variable behind the value, if any. */
  abstract get _res(): TfTensor | null;
  /** @internal the JavaScript copy of the values, if any. */
  abstract get _host(): HostArray | null;
  /** @internal the autograd node that made it (null for leaves). */
  abstract _node: ManagedNode | null;
  /** A leaf whose gradient backward() computes. */
  abstract requiresGrad: boolean;
  /** @internal make it the user's (never released automatically). */
  abstract keep(): this;
  /** @internal bytes of the stored value. */
  abstract _bytes(): number;
  /** @internal release everything (native value, variable, copy, graph), naming `reason` in later errors. */
  abstract _free(reason: string): void;
  /** @internal move the value to JavaScript memory. */
  abstract _spill(): void;
  /** @internal release the autograd graph, naming `reason` in a later backward(). */
  abstract _dropGraph(reason: string): void;
}

let step = 0;
/** Native AUTO tensors outside library calls (and what library calls left behind). */
let autoList: Managed[] = [];
/** autoList's length after the last boundary, and bytes added since: what triggers an automatic boundary. */
let afterBoundary = 0;
let pendingBytes = 0;
const scopes: Managed[][] = [];

/** An automatic boundary comes after this many new AUTO tensors (or bytes) without one. */
const AUTO_TENSORS = 1000;
const AUTO_BYTES = 256 * 2 ** 20;
/** Grows to twice the largest number of tensors seen between two explicit boundaries (a training step never gets an automatic one). */
let autoTensors = AUTO_TENSORS;

/** The step counter that tensors record as "last used". */
export function currentStep(): number {
  return step;
}

// ------------------------------------------------------------ library calls
/**
 * A library call (a module's forward, a loss, an optimizer step) in progress.
 * Tensors made inside it are *internal* unless it returns them: when the
 * outermost call ends they are freed at once if no autograd graph was
 * recorded, else they live as long as the graph of what it returned.
 */
let depth = 0;
let frameTensors: Managed[] = [];
let frameOwner: object | string | null = null;
let frameWhat = '';
let frameNodes = 0;
/** Nodes recorded so far (autograd's record() counts them). */
let nodeCount = 0;

/** @internal autograd calls this for every node it records; `inputs` are now part of a graph. */
export function noteRecorded(inputs: readonly Managed[]): void {
  nodeCount++;
  for (const x of inputs) x._consumed = true;
}

/**
 * Group of tensors a library call made and left behind with a graph: they
 * live as long as one of the call's results (`roots`) may still need them.
 */
export interface FrameRecord {
  label: string;
  roots: Managed[];
}

/**
 * @internal Enter a library call: `owner`'s method `what` (named in error
 * messages as `MyModel.forward()`; `owner` may be a name). Pair with `exitLibraryCall`.
 */
export function enterLibraryCall(owner: object | string, what: string): void {
  if (depth++ === 0) {
    frameOwner = owner;
    frameWhat = what;
    frameNodes = nodeCount;
  }
}

/**
 * @internal Leave a library call, handing out `result`. When the outermost
 * call ends, what it made and does not return is released (no graph) or tied
 * to the returned tensors' graph. Returns `result`.
 */
export function exitLibraryCall<T>(result: T): T {
  if (--depth > 0) return result;
  const owner = frameOwner;
  frameOwner = null;
  const made = frameTensors;
  if (made.length === 0) {
    maybeAutoBoundary(); // e.g. zeroGrad() handed reset gradients to automatic management
    return result;
  }
  frameTensors = [];
  // The common result, one Tensor, needs no set.
  const single = result instanceof Managed ? result : null;
  const returned = new Set<Managed>();
  if (single !== null) returned.add(single);
  else collectTensors(result, returned, 0);
  const graph = nodeCount !== frameNodes;
  if (result instanceof Promise) {
    // An async forward goes on after it returned: what it made so far is not known to be done with.
    for (const t of made) if (t._owner === AUTO && t._tf !== null) {
      t._internal = false;
      toAuto(t);
    }
    return result;
  }
  const label = `${typeof owner === 'string' ? owner : (owner?.constructor.name ?? 'a library call')}.${frameWhat}()`;
  let reason: string | undefined;
  const internals: Managed[] = [];
  for (const t of made) {
    if (t._owner !== AUTO || t._tf === null) continue;
    if (!t._internal || t === single || returned.has(t)) {
      t._internal = false;
      toAuto(t);
    } else if (!graph) t._free((reason ??= internalReason(label, 'when that call returned')));
    else internals.push(t);
  }
  if (internals.length > 0) {
    const rec: FrameRecord = { label, roots: [] };
    for (const r of returned) if (r._owner === AUTO && r._node !== null) {
      r._rec = rec;
      rec.roots.push(r);
    }
    for (const t of internals) {
      if (rec.roots.length === 0) t._free((reason ??= internalReason(label, 'when that call returned')));
      else {
        t._rec = rec;
        toAuto(t);
      }
    }
  }
  maybeAutoBoundary();
  return result;
}

/** Run `fn` as `owner`'s library call `what` (see `enterLibraryCall`); optimizers and utilities wrap their work in it. */
export function libraryCall<T>(owner: object | string, what: string, fn: () => T): T {
  enterLibraryCall(owner, what);
  let r: T;
  try {
    r = fn();
  } catch (e) {
    exitLibraryCall(undefined);
    throw e;
  }
  return exitLibraryCall(r);
}

/**
 * @internal Run user code (a forward hook, an optimizer's closure) inside a
 * library call: the tensors in `handedOut` (what it receives) and those it
 * makes are the user's; library calls it makes are outermost calls of their own.
 */
export function runUserCode<T>(handedOut: unknown, fn: () => T): T {
  if (depth === 0) return fn();
  markUserReachable(handedOut);
  const saved = { depth, frameTensors, frameOwner, frameWhat, frameNodes };
  depth = 0;
  frameTensors = [];
  try {
    return fn();
  } finally {
    ({ depth, frameTensors, frameOwner, frameWhat, frameNodes } = saved);
  }
}

/** @internal The tensors in `v` can be reached by user code: never freed as internal. */
export function markUserReachable(v: unknown): void {
  if (depth === 0) return;
  const s = new Set<Managed>();
  collectTensors(v, s, 0);
  for (const t of s) t._internal = false;
}

/** True inside a library call (and not in user code it runs). */
export function inLibraryCall(): boolean {
  return depth > 0;
}

function internalReason(label: string, when: string): string {
  return (
    `it was made inside ${label} and not returned, so Duet released it ${when} ` +
    '(tensors that a module\'s forward(), a loss or an optimizer step make and do not return are freed early). ' +
    'To keep such a tensor (e.g. one stored on the module as this.h = ...), return it, or call .keep() on it when you store it (and .dispose() when done)'
  );
}

// ------------------------------------------------------------------ owners
/** Called by the Tensor constructor: decide who owns a new tensor. */
export function adopt(t: Managed): void {
  t._lastUsed = step;
  const frame = scopes[scopes.length - 1];
  if (frame !== undefined) {
    t._owner = SCOPE;
    frame.push(t);
    return;
  }
  t._owner = AUTO;
  if (depth > 0) {
    t._internal = true;
    frameTensors.push(t);
    return;
  }
  // A lazy row (no native value yet) joins the automatic list when it is made (release()).
  if (t._tf === null) return;
  toAuto(t);
  maybeAutoBoundary();
}

function toAuto(t: Managed): void {
  autoList.push(t);
  pendingBytes += t._bytes();
}

/**
 * A leaf's `.grad` was reset (`grad = null`, `zeroGrad()`) or the leaf was
 * released. A gradient that user code never read (reads inside library
 * calls, or inside the scope() that computed it, do not count) cannot be
 * reached any more: it is freed now. One that user code read is yours: it
 * goes to automatic management (spilled at a boundary, collected with the
 * Tensor object).
 */
export function releaseGrad(g: Managed): void {
  if (g._tf === null) return;
  if (g._internal) g._free(GRAD_REASON);
  else release(g);
}

/** `leaf.grad = ...` replaced the gradient `g` (user code, or a library call such as zeroGrad()). */
export function resetGrad(g: Managed): void {
  releaseGrad(g);
  maybeAutoBoundary(); // a read gradient handed to automatic management counts towards the next automatic boundary
}

const GRAD_REASON =
  'it was a .grad that was reset (zeroGrad(), grad = null) or whose tensor was released, and Duet frees such a gradient at once ' +
  'unless your code read it outside the scope() that computed it. To keep a gradient, return it from the scope() or clone() it before the reset';

/** Hand a tensor back to automatic management (e.g. a `.grad` that user code read and that was reset, a spilled tensor used again). */
export function release(t: Managed): void {
  if (t._tf === null) return;
  t._lastUsed = step;
  t._owner = AUTO;
  toAuto(t);
}

// -------------------------------------------------------------- boundaries
/**
 * Mark a training-step boundary. Tensors managed automatically that were not
 * used during the last two steps are freed (internal ones) or moved to
 * JavaScript memory (the others, and their autograd graphs are released).
 * Inside `scope()` it does nothing (the scope owns its tensors).
 * `backward()` and DataLoader batches call it.
 */
export function markStep(): void {
  if (scopes.length > 0) return;
  const made = autoList.length - afterBoundary;
  if (made * 2 > autoTensors) autoTensors = made * 2;
  boundary(true);
}

/** An automatic boundary when many tensors were made without one (outside library calls only). */
function maybeAutoBoundary(): void {
  if (depth > 0 || scopes.length > 0) return;
  if (autoList.length - afterBoundary >= autoTensors || pendingBytes >= AUTO_BYTES) boundary(false);
}

let droppedGraphs = 0;
let warned = false;
/** Graphs dropped by automatic boundaries before the one-time warning. */
const WARN_AFTER = 500;

/**
 * Free or spill what was not used during the last two boundaries.
 * Explicit boundaries (a training step) release old graphs, as the step's
 * backward() has used them. Automatic ones keep every graph that may still be
 * backpropagated: they drop only graphs whose result nothing used since it
 * was made (e.g. a model output made with gradient recording and thrown away).
 */
function boundary(explicit: boolean): void {
  step++;
  const limit = step - 2;
  const where = explicit ? `step boundary #${step}` : `automatic step boundary #${step}`;
  // Reasons are built once per boundary (and per library call for internals), not per tensor.
  const reasons = new Map<FrameRecord | null, string>();
  const freed = (t: Managed, when: string): string => {
    let r = reasons.get(t._rec);
    if (r === undefined) reasons.set(t._rec, (r = internalReason(t._rec?.label ?? 'a library call', `at ${where}, ${when}`)));
    return r;
  };
  let graphReason: string | undefined;
  const kept: Managed[] = [];
  for (const t of autoList) {
    if (t._owner !== AUTO || t._tf === null) continue;
    if (t._lastUsed > limit || t._res !== null) {
      kept.push(t);
      continue;
    }
    if (explicit) {
      if (t._internal) {
        if (recordState(t._rec, limit) === 'held') kept.push(t); // a result of its call is still in use (or kept): so is its graph
        else t._free(freed(t, 'two boundaries after its last use'));
      } else {
        if (t._node !== null) t._dropGraph((graphReason ??= `its graph was released at ${where}, two step boundaries after it was last used`));
        t._spill();
      }
      continue;
    }
    if (isDroppableRoot(t, limit) && (t._rec === null || recordState(t._rec, limit) === 'dead')) {
      droppedGraphs++;
      dropGraphDeep(t, limit, `its graph was released at ${where}: nothing used it for two boundaries and no backward() ran`);
    }
    if (t._internal) {
      const s = recordState(t._rec, limit);
      if (s === 'dead') {
        t._free(freed(t, 'once nothing could use it'));
        continue;
      }
      if (s === 'held') {
        kept.push(t);
        continue;
      }
    }
    // A live node's saved tensors are native: keep them with their tensor (spilling would orphan them).
    if (t._node !== null && t._node.backward !== null && t._node.saved !== undefined) kept.push(t);
    else t._spill();
  }
  autoList = kept;
  afterBoundary = kept.length;
  pendingBytes = 0;
  if (!warned && droppedGraphs >= WARN_AFTER) warnGraphs();
}

/** A tensor with a graph that nothing consumed and that was not used for two boundaries. */
function isDroppableRoot(t: Managed, limit: number): boolean {
  return t._node !== null && t._node.backward !== null && !t._consumed && t._owner === AUTO && t._lastUsed <= limit;
}

/** Drop `root`'s graph and those of the old tensors only it led to. */
function dropGraphDeep(root: Managed, limit: number, reason: string): void {
  const stack = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const node = t._node;
    if (node === null || node.backward === null) continue;
    const inputs = node.inputs;
    t._dropGraph(reason);
    for (const x of inputs) if (x._owner === AUTO && !x._internal && x._lastUsed <= limit) stack.push(x);
  }
}

/** A library-call result that can no longer need the call's internals. */
function rootDone(r: Managed, limit: number): boolean {
  if (r._tf === null && r._host === null) return true; // released
  if (r._node === null || r._node.backward === null) return true; // no graph left
  return isDroppableRoot(r, limit);
}

/** 'dead': no result of the call can need its internals; 'live': a graph that may be backpropagated needs them; 'held': a result is in use. */
function recordState(rec: FrameRecord | null, limit: number): 'dead' | 'live' | 'held' {
  if (rec === null) return 'dead';
  let state: 'dead' | 'live' | 'held' = 'dead';
  for (const r of rec.roots) {
    if (rootDone(r, limit)) continue;
    if (r._owner !== AUTO || r._lastUsed > limit) return 'held';
    state = 'live';
  }
  return state;
}

function warnGraphs(): void {
  warned = true;
  process.emitWarning(
    `${droppedGraphs} results of module calls were made with gradient recording on and never used by backward() or another op; ` +
      'Duet released their graphs at automatic step boundaries and moved the results to JavaScript memory. ' +
      'If this is inference, run it under noGrad(() => ...): intermediates are then freed as soon as each call returns. See docs/design/memory.md.',
    { type: 'DuetMemoryWarning', code: 'DUET_GRAPHS_WITHOUT_BACKWARD' },
  );
}

// ------------------------------------------------------------------- scope
/**
 * Run `fn`; every tensor it creates is released when it returns, except the
 * tensors in its result (a Tensor, or arrays/objects of them) and those you
 * `keep()`. Returned tensors belong to the enclosing scope (or to automatic
 * management). The tool for services and custom loops.
 */
export function scope<T>(fn: () => T): T {
  const frame: Managed[] = [];
  scopes.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of frame) if (t._owner === SCOPE) t._free('its scope() ended');
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of frame) if (t._owner === SCOPE) t._free('its scope() ended');
    throw new TypeError('scope(fn) takes a synchronous function; await inside it is not supported. Received a function that returned a Promise.');
  }
  const out = new Set<Managed>();
  collectTensors(result, out, 0);
  // Gradients computed here live on in their leaf's .grad (an optimizer outside the
  // scope steps with them); read here and not returned, they are not yours: freed
  // when the .grad is reset or the leaf released (releaseGrad).
  for (const t of frame) if (t._owner === GRAD) t._internal = !out.has(t);
  for (const t of frame) {
    if (t._owner !== SCOPE) continue;
    if (!out.has(t)) t._free('its scope() ended');
    else if (t.requiresGrad && t._node === null && scopes.length === 0) t.keep(); // a returned leaf: a parameter, as requiresGrad_() makes one outside scope()
    else adopt(t);
  }
  return result;
}

/** The tensors in a value: a Tensor, arrays, Maps, Sets and objects (plain or class instances) of them. */
function collectTensors(v: unknown, out: Set<Managed>, depthLeft: number): void {
  if (v === null || typeof v !== 'object' || depthLeft > 8) return;
  if (v instanceof Managed) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depthLeft + 1);
  else if (v instanceof Map || v instanceof Set) for (const x of v.values()) collectTensors(x, out, depthLeft + 1);
  else if (!ArrayBuffer.isView(v) && !(v instanceof Promise)) {
    // Data properties only: a getter (lazy logs, a computed property) is not called here.
    for (const d of Object.values(Object.getOwnPropertyDescriptors(v))) if ('value' in d) collectTensors(d.value, out, depthLeft + 1);
  }
}

export interface MemoryInfo {
  /** Native tensors alive in the engine (tfjs's count, includes Duet's caches). */
  numTensors: number;
  numBytes: number;
  /** Native tensors that Duet will free or move to JavaScript memory at a coming step boundary. */
  numAutoTensors: number;
  /** Step boundaries seen so far (explicit and automatic). */
  step: number;
  /** Tensors moved to JavaScript memory at boundaries so far (their values stay valid). */
  numSpilled: number;
  /**
   * Of `numTensors`, the constants Duet's bounded cache holds (small scalars,
   * shapes and axes, made once per distinct value and reused; at most a few
   * thousand). A leak check compares `numTensors - numCached`.
   */
  numCached: number;
}

let spills = 0;
/** @internal counted by Tensor._spill. */
export function noteSpill(): void {
  spills++;
}

export function memory(): MemoryInfo {
  const m = tf().memory();
  let numAuto = 0;
  for (const t of autoList) if (t._owner === AUTO && t._tf !== null) numAuto++;
  for (const t of frameTensors) if (t._owner === AUTO && t._tf !== null) numAuto++;
  return { numTensors: m.numTensors, numBytes: m.numBytes, numAutoTensors: numAuto, step, numSpilled: spills, numCached: constantCount() };
}
