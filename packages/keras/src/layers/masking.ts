/**
 * Masks (Keras's `_keras_mask`): a boolean tensor attached to an output,
 * marking which timesteps are real (e.g. `Embedding(maskZero: true)` marks
 * the non-zero ids). `apply()` passes the first input's mask to `call` as
 * `options.mask` and, for layers with `supportsMasking`, attaches
 * `computeMask()`'s result to the outputs, so masks flow through a model.
 * Held in a WeakMap: a mask lives as long as its tensor is reachable.
 */
import type { Tensor } from '@duet/core';

const masks = new WeakMap<Tensor, Tensor>();

/** The mask attached to `t`, or null (Keras's `backend.get_keras_mask`). */
export function getKerasMask(t: Tensor): Tensor | null {
  const m = masks.get(t);
  return m !== undefined && !m.isDisposed ? m : null;
}

/** Attach `mask` to `t` (Keras's `backend.set_keras_mask`). */
export function setKerasMask(t: Tensor, mask: Tensor): void {
  masks.set(t, mask);
}
