/**
 * `model.predict()`: outputs for all of `x`, batch by batch. Each batch is
 * computed inside `scope()` and copied to the host, so native memory stays
 * flat however large `x` is; the result is one Tensor per output, an
 * ordinary one: valid while you hold it, released once you drop it
 * (docs/design/memory.md), so a loop of `predict` calls stays flat.
 */
import type { Tensor } from '@duet/core';
import { CallbackList } from '../callbacks/callback_list.js';
import type { Callback } from '../callbacks/callback.js';
import type { Model } from '../models/model.js';
import type { XData } from './data_adapters/data_adapter.js';
import { runPredictLoop } from './epoch_loop.js';
import { makeAdapter } from './make_adapter.js';

export interface PredictOptions {
  /** Default 32 (arrays only). */
  batchSize?: number | null;
  /** Default 'auto' = 1 (progress bar). */
  verbose?: 0 | 1 | 2 | 'auto';
  steps?: number | null;
  callbacks?: Callback[];
}

export async function predict(model: Model, x: XData, options: PredictOptions = {}): Promise<Tensor | Tensor[]> {
  const verbose = options.verbose === 'auto' || options.verbose === undefined ? 1 : options.verbose;
  const owned: Tensor[] = [];
  const adapter = makeAdapter(x, null, { batchSize: options.batchSize, shuffle: false, steps: options.steps, owned });
  const callbacks = new CallbackList(options.callbacks ?? [], { model, addHistory: false, addProgbar: verbose !== 0, verbose, epochs: 1, steps: adapter.numBatches });
  try {
    const outs = await runPredictLoop(model, adapter, callbacks);
    return outs.length === 1 ? outs[0]! : outs;
  } finally {
    callbacks.progbar?.close();
    adapter.dispose();
  }
}
