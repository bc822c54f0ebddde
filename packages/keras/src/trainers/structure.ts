/** Matching model outputs and targets: flat lists in the model's output order. */
import { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import type { Model } from '../models/model.js';

/** The model's output names, or `['output']` when it has one output of unknown name. */
export function outputNamesOf(model: Model, n: number): string[] {
  const names = model.outputNames;
  if (names.length === n) return names;
  return n === 1 ? ['output'] : Array.from({ length: n }, (_, i) => `output_${i + 1}`);
}

/** A model's outputs (a Tensor, an array, or an object) as a flat list. */
export function flattenOutputs(out: unknown): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out as Tensor[];
  if (out !== null && typeof out === 'object') return Object.values(out) as Tensor[];
  throw new KerasValueError(`A model's call must return Tensors. Received: ${String(out)}`);
}

/** Targets aligned with `names` (a single Tensor for one output, an array in order, or an object by name). */
export function alignTargets(y: unknown, names: string[]): (Tensor | null)[] {
  if (y instanceof Tensor) {
    if (names.length !== 1) throw new KerasValueError(`The model has ${names.length} outputs (${names.join(', ')}) but received a single target array. Pass an array or an object of targets, one per output.`);
    return [y];
  }
  if (Array.isArray(y)) {
    if (y.length !== names.length) throw new KerasValueError(`The model has ${names.length} output(s) but received ${y.length} target arrays.`);
    return y as Tensor[];
  }
  if (y !== null && typeof y === 'object') {
    const o = y as Record<string, Tensor>;
    const unknown = Object.keys(o).filter((k) => !names.includes(k));
    if (unknown.length > 0) throw new KerasValueError(`Unknown entries in the targets: ${JSON.stringify(unknown)}. The model's outputs are ${JSON.stringify(names)}.`);
    return names.map((n) => o[n] ?? null);
  }
  throw new KerasValueError(`Targets must be Tensors (one per output). Received: ${String(y)}`);
}
