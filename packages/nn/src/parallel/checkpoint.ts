/**
 * Training checkpoints for data-parallel runs (PyTorch's DDP recipe: rank 0
 * saves, every rank loads). One safetensors file, written to a temporary
 * name and renamed (nn's `saveSync`), so a reader never sees half a file:
 *   model.<key>                   the model's state dict
 *   optimizer.state.<i>.<name>    the optimizer's state tensors
 *   __metadata__['duet.checkpoint'] JSON: the optimizer's numbers and param
 *                                  groups, and your `extra` values (epoch, step).
 */
import { ArgumentError, Tensor, distributed } from '@duet/core';
import type { Module } from '../module.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import { loadSync, saveSync } from '../serialization/index.js';

const META_KEY = 'duet.checkpoint';
export type CheckpointExtra = Record<string, number | string | boolean>;

export interface CheckpointParts {
  model: Module;
  optimizer?: Optimizer<any>;
  /** Small JSON values to keep with the checkpoint (epoch, step, ...). */
  extra?: CheckpointExtra;
}

/**
 * Save a checkpoint. In a process group only rank 0 writes, and every rank
 * returns once the file is complete (a barrier), so all can load it next.
 */
export function saveCheckpoint(path: string, parts: CheckpointParts): void {
  const grouped = distributed.isInitialized();
  if (!grouped || distributed.getRank() === 0) {
    const tensors: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(parts.model.stateDict())) tensors[`model.${k}`] = v;
    let optimizer: { state: Record<string, Record<string, number>>; param_groups: unknown } | undefined;
    if (parts.optimizer !== undefined) {
      const sd = parts.optimizer.stateDict();
      const numbers: Record<string, Record<string, number>> = {};
      for (const [i, s] of Object.entries(sd.state)) {
        numbers[i] = {};
        for (const [name, v] of Object.entries(s)) {
          if (v instanceof Tensor) tensors[`optimizer.state.${i}.${name}`] = v;
          else numbers[i]![name] = v;
        }
      }
      optimizer = { state: numbers, param_groups: sd.param_groups };
    }
    saveSync(tensors, path, { metadata: { [META_KEY]: JSON.stringify({ version: 1, optimizer, extra: parts.extra ?? {} }) } });
  }
  if (grouped) distributed.barrier();
}

/** Load a checkpoint written by `saveCheckpoint` into the model (and optimizer); returns its `extra`. */
export function loadCheckpoint(path: string, parts: Omit<CheckpointParts, 'extra'>): CheckpointExtra {
  const loaded = loadSync(path);
  const metaText = loaded.__metadata__?.[META_KEY];
  if (metaText === undefined) throw new ArgumentError(`loadCheckpoint: ${path} is a safetensors file without Duet checkpoint metadata (__metadata__['${META_KEY}']); write it with saveCheckpoint().`);
  const meta = JSON.parse(metaText) as { optimizer?: { state: Record<string, Record<string, number>>; param_groups: OptimizerStateDict['param_groups'] }; extra: CheckpointExtra };
  const model: Record<string, Tensor> = {};
  const optState: Record<string, Record<string, Tensor | number>> = {};
  const entries = Object.entries(loaded as Record<string, Tensor>);
  for (const [k, v] of entries) {
    if (k.startsWith('model.')) model[k.slice(6)] = v;
    else {
      const m = /^optimizer\.state\.(\d+)\.(.+)$/.exec(k);
      if (m !== null) (optState[m[1]!] ??= {})[m[2]!] = v;
    }
  }
  parts.model.loadStateDict(model);
  if (parts.optimizer !== undefined) {
    if (meta.optimizer === undefined) throw new ArgumentError(`loadCheckpoint: ${path} holds no optimizer state; pass no optimizer, or save one with saveCheckpoint({ optimizer }).`);
    for (const [i, s] of Object.entries(meta.optimizer.state)) Object.assign((optState[i] ??= {}), s);
    parts.optimizer.loadStateDict({ state: optState, param_groups: meta.optimizer.param_groups });
  }
  for (const [, v] of entries) v.dispose();
  return meta.extra;
}
