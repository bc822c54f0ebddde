/**
 * The loops over batches shared by fit, evaluate and predict, with the
 * synchronous fast path: a batch source or a callback that returns a
 * Promise is awaited; otherwise a whole epoch runs without an await.
 */
import { Tensor, markStep, scope, tensor, type DType } from '@duet/core';
import type { CallbackList } from '../callbacks/callback_list.js';
import type { Model } from '../models/model.js';
import type { CompileState } from './compile.js';
import type { Batch, DataAdapter } from './data_adapters/data_adapter.js';
import { builtInSteps, logsToNumbers, predictStep, testStep, type StepContext, type StepLogs } from './train_step.js';

/**
 * Run `fn` on each batch of the epoch (sync adapters: inside `scope()`, so nothing outlives the step).
 * `stop` is asked after each batch, as Keras checks `model.stop_training` after `on_train_batch_end`.
 */
export async function forEachBatch(adapter: DataAdapter, fn: (b: Batch, step: number) => void | Promise<void>, scoped: boolean, stop?: () => boolean): Promise<number> {
  let step = 0;
  for (;;) {
    let b: Batch | null;
    if (!adapter.async && scoped) {
      let r: void | Promise<void> = undefined;
      const done = scope(() => {
        const batch = adapter.next() as Batch | null;
        if (batch === null) return true;
        r = fn(batch, step);
        return false;
      });
      if (done) break;
      if (r !== undefined) {
        // An async callback: the rest of the step ran outside the scope; a boundary releases it.
        await r;
        markStep();
      }
    } else {
      const n = adapter.next();
      b = n instanceof Promise ? await n : n;
      if (b === null) break;
      const r = scoped ? scope(() => fn(b!, step)) : fn(b, step);
      if (r instanceof Promise) await r;
      // Batches from an async source were made outside any scope: a boundary releases them.
      if (scoped) markStep();
    }
    step++;
    if (stop?.()) break;
  }
  return step;
}

/** The test loop (evaluate, and validation inside fit); returns the logs. */
export async function runTestLoop(model: Model, state: CompileState, adapter: DataAdapter, callbacks: CallbackList, ctx: StepContext): Promise<Record<string, number>> {
  model.resetMetrics();
  const custom = !builtInSteps.has(model.testStep);
  let r = callbacks.onTestBegin({});
  if (r) await r;
  adapter.beginEpoch(0);
  let last: Record<string, number> = {};
  await forEachBatch(adapter, (batch, step) => {
    const b = callbacks.onTestBatchBegin(step, {});
    const after = () => {
      const logs: StepLogs = testStep(model, state, batch, ctx);
      // Read inside the step's scope: an overridden step may return Tensors.
      if (custom) last = logsToNumbers(logs);
      return callbacks.onTestBatchEnd(step, custom ? last : (logs as Record<string, number>));
    };
    return b instanceof Promise ? b.then(after) : after();
  }, true);
  const logs = custom ? last : state.results();
  r = callbacks.onTestEnd(logs);
  if (r) await r;
  return logs;
}

/** The predict loop: outputs gathered on the host batch by batch, returned as ordinary tensors (valid while you hold them; docs/design/memory.md). */
export async function runPredictLoop(model: Model, adapter: DataAdapter, callbacks: CallbackList): Promise<Tensor[]> {
  let r = callbacks.onPredictBegin({});
  if (r) await r;
  adapter.beginEpoch(0);
  const chunks: { shape: number[]; dtype: DType; parts: (Float32Array | Int32Array | Uint8Array)[] }[] = [];
  await forEachBatch(adapter, (batch, step) => {
    const b = callbacks.onPredictBatchBegin(step, {});
    const after = () => {
      const outs = predictStep(model, batch.x);
      outs.forEach((o, i) => {
        const c = (chunks[i] ??= { shape: [0, ...o.shape.slice(1)], dtype: o.dtype, parts: [] });
        c.parts.push(o.dataSync().slice());
        c.shape[0]! += o.shape[0] ?? 1;
      });
      return callbacks.onPredictBatchEnd(step, { outputs: outs.length === 1 ? outs[0]! : outs });
    };
    return b instanceof Promise ? b.then(after) : after();
  }, true);
  r = callbacks.onPredictEnd({});
  if (r) await r;
  return chunks.map((c) => {
    const n = c.parts.reduce((a, p) => a + p.length, 0);
    const all = c.dtype === 'float32' ? new Float32Array(n) : c.dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
    let k = 0;
    for (const p of c.parts) {
      all.set(p, k);
      k += p.length;
    }
    return tensor(all, { shape: c.shape, dtype: c.dtype });
  });
}
