/**
 * Keras masks (Keras 3's `backend/common/masking.py`): a layer that knows
 * which timesteps are padding (Embedding with `maskZero`) attaches a boolean
 * mask `[batch, time]` to its output tensor; layers that honour masks (RNNs,
 * Bidirectional, TimeDistributed, MultiHeadAttention) read it from their
 * input and attach the mask of their own output (`computeMask`). The mask
 * travels with the tensor object, so it passes through Sequential and
 * functional models, which hand each layer's output tensor to the next
 * layer as is. A layer that does not know about masks returns a new tensor
 * without one, which ends the propagation there (Keras instead passes masks
 * through layers that declare `supports_masking`).
 */
import type { Tensor } from '@duet/core';

const masks = new WeakMap<Tensor, Tensor>();

/** Attach `mask` (bool `[batch, time]`) to `t`, or remove its mask with null. */
export function setKerasMask(t: Tensor, mask: Tensor | null): void {
  if (mask === null) masks.delete(t);
  else masks.set(t, mask);
}

/** The mask attached to `t`, or null (also once the mask has been released). */
export function getKerasMask(t: Tensor): Tensor | null {
  const m = masks.get(t);
  return m === undefined || m.isDisposed ? null : m;
}
