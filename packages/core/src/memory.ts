/**
 * Who owns a tensor's native memory, and when it is released.
 * See docs/design/memory.md for the design and its reasons.
 *
 * - USER: yours until you call `dispose()` (parameters, `keep()`-ed tensors,
 *   and everything created before training starts).
 * - AUTO: released at the second step boundary after it was last used.
 *   A step boundary is `backward()`, a DataLoader batch, or `markStep()`.
 * - SCOPE: released when the enclosing `scope(fn)` returns, unless returned.
 * - GRAD: owned by the leaf whose `.grad` it is.
 */
import { tf } from './engine.js';
import type { Tensor } from './tensor.js';

export const USER = 0;
export const AUTO = 1;
export const SCOPE = 2;
export const GRAD = 3;
export type Owner = typeof USER | typeof AUTO | typeof SCOPE | typeof GRAD;

let step = 0;
let started = false;
let autoList: Tensor[] = [];
const scopes: Tensor[][] = [];

/** The step counter that tensors record as "last used". */
export function currentStep(): number {
  return step;
}

/** Called by the Tensor constructor: decide who owns a new tensor. */
export function adopt(t: Tensor): void {
  t._lastUsed = step;
  const frame = scopes[scopes.length - 1];
  if (frame !== undefined) {
    t._owner = SCOPE;
    frame.push(t);
  } else if (started) {
    t._owner = AUTO;
    autoList.push(t);
  } else {
    t._owner = USER;
  }
}

/** Hand a tensor back to automatic management (e.g. a `.grad` that was reset). */
export function release(t: Tensor): void {
  if (t._tf === null) return;
  t._lastUsed = step;
  t._owner = AUTO;
  autoList.push(t);
}

/**
 * Mark a training-step boundary. Tensors managed automatically that were not
 * used during the last two steps are released. Inside `scope()` it does nothing
 * (the scope owns its tensors). `backward()` and DataLoader batches call it.
 */
export function markStep(): void {
  if (scopes.length > 0) return;
  step++;
  if (!started) {
    started = true;
    return;
  }
  const limit = step - 2;
  const keep: Tensor[] = [];
  for (const t of autoList) {
    if (t._owner !== AUTO || t._tf === null) continue;
    if (t._lastUsed <= limit) t._free(`it was released automatically at training step boundary #${step} (last used at step #${t._lastUsed})`);
    else keep.push(t);
  }
  autoList = keep;
}

/**
 * Run `fn`; every tensor it creates is released when it returns, except the
 * tensors in its result (a Tensor, or arrays/objects of them) and those you
 * `keep()`. Returned tensors belong to the enclosing scope (or to automatic
 * management). The tool for services and custom loops.
 */
export function scope<T>(fn: () => T): T {
  const frame: Tensor[] = [];
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
  const out = new Set<Tensor>();
  collectTensors(result, out, 0);
  for (const t of frame) {
    if (t._owner !== SCOPE) continue;
    if (out.has(t)) adopt(t);
    else t._free('its scope() ended');
  }
  return result;
}

let TensorClass: (new (...args: never[]) => Tensor) | undefined;
/** @internal the Tensor class registers itself to avoid an import cycle. */
export function _registerTensorClass(c: new (...args: never[]) => Tensor): void {
  TensorClass = c;
}

function collectTensors(v: unknown, out: Set<Tensor>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 8) return;
  if (TensorClass !== undefined && v instanceof TensorClass) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

export interface MemoryInfo {
  /** Native tensors alive in the engine (tfjs's count, includes Duet's caches). */
  numTensors: number;
  numBytes: number;
  /** Tensors that Duet will release automatically at a coming step boundary. */
  numAutoTensors: number;
  /** Step boundaries seen so far. */
  step: number;
}

export function memory(): MemoryInfo {
  const m = tf().memory();
  let numAuto = 0;
  for (const t of autoList) if (t._owner === AUTO && t._tf !== null) numAuto++;
  return { numTensors: m.numTensors, numBytes: m.numBytes, numAutoTensors: numAuto, step };
}
