/**
 * Keras's TensorFlow backend remembers the logits behind a softmax or sigmoid
 * output (`output._keras_logits`), and its crossentropy losses compute from
 * those logits instead of the clipped probabilities. Duet does the same with
 * a WeakMap, which is what lets `Dense(10, softmax)` +
 * `sparse_categorical_crossentropy` run the one-kernel
 * `SparseSoftmaxCrossEntropyWithLogits`, as Keras's own numbers do.
 */
import type { Tensor } from '@duet/core';

export type LogitsOf = 'softmax' | 'sigmoid';
const logits = new WeakMap<Tensor, { logits: Tensor; op: LogitsOf }>();

export function rememberLogits(output: Tensor, x: Tensor, op: LogitsOf): Tensor {
  logits.set(output, { logits: x, op });
  return output;
}

/** The logits `output` was computed from by `op`, if it was. */
export function logitsOf(output: Tensor, op: LogitsOf): Tensor | null {
  const e = logits.get(output);
  return e !== undefined && e.op === op && !e.logits.isDisposed ? e.logits : null;
}
