/**
 * The gradient of each example's target output with respect to the inputs,
 * the primitive under Saliency, Integrated Gradients and SmoothGrad
 * (Captum's `compute_gradients`). The examples are independent, so one
 * backward of the sum gives every example's gradient at once.
 */
import type { Tensor } from '@duet/core';
import { selectTarget, type ForwardFunc } from './model.js';

/** The target index per example, given the model's output shape (validated by the caller's rules). */
export type TargetPicker = (outShape: readonly number[]) => number[] | null;

export interface GradientResult {
  /** d out[i, target[i]] / d x[i], shape of x. */
  grads: Tensor;
  /** out[i, target[i]], shape [batch] (no graph). */
  evals: Tensor;
}

/**
 * Run inside `scope()`: the input leaf and its `.grad` are released here;
 * what is returned belongs to the caller's scope.
 */
export function inputGradients(forward: ForwardFunc, x: Tensor, pick: TargetPicker): GradientResult {
  const leaf = x.detach().requiresGrad_(true);
  try {
    const out = forward(leaf);
    const picked = selectTarget(out, pick(out.shape));
    picked.sum().backward();
    const g = leaf.grad!;
    const grads = g.mul(1); // a copy owned by the enclosing scope
    return { grads, evals: picked.detach() };
  } finally {
    leaf.grad?.dispose();
    leaf.grad = null;
    leaf.dispose();
  }
}
