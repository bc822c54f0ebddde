/**
 * Weights between the two front ends: a Keras `Dense` keeps its kernel as
 * `[in, out]` (Keras's layout, and the `.keras` / `.weights.h5` files'),
 * an `nn.Linear` its weight as `[out, in]` (PyTorch's layout, and the
 * safetensors files'); the biases are the same `[out]` vector. Both compute
 * `x @ kernel + bias` = `x @ weight^T + bias`, so copying with a transpose
 * gives the same outputs.
 *
 * @example
 * ```ts
 * const dense = new keras.layers.Dense(3);
 * dense.maybeBuild([null, 4]);
 * const linear = new nn.Linear(4, 3);
 * keras.saving.denseToLinear(dense, linear); // linear.forward(x) equals dense.apply(x)
 * ```
 */
import { noGrad, type Tensor } from '@duet/core';
import type { nn } from '@duet/nn';
import { KerasValueError } from '../errors.js';
import type { Dense } from '../layers/core/dense.js';

function check(dense: Dense, linear: nn.Linear, what: string): void {
  if (dense.weights.length === 0) throw new KerasValueError(`${what}: Dense layer "${dense.name}" has no weights yet: call it on data, or dense.maybeBuild([null, inFeatures]).`);
  const [inF, outF] = dense.kernel.shape as [number, number];
  if (linear.inFeatures !== inF || linear.outFeatures !== outF) {
    throw new KerasValueError(`${what}: Dense "${dense.name}" has kernel [${inF}, ${outF}] (in, out), which needs nn.Linear(${inF}, ${outF}); received nn.Linear(${linear.inFeatures}, ${linear.outFeatures}).`);
  }
  if ((dense.bias === null) !== (linear.bias === null)) {
    throw new KerasValueError(`${what}: one layer has a bias and the other has none (Dense useBias=${dense.bias !== null}, Linear bias=${linear.bias !== null}).`);
  }
}

function copyInto(target: Tensor, source: Tensor): void {
  noGrad(() => target.copy_(source));
}

/** Set `linear`'s weight to `dense`'s kernel transposed (`[in, out]` -> `[out, in]`) and copy the bias. */
export function denseToLinear(dense: Dense, linear: nn.Linear): void {
  check(dense, linear, 'denseToLinear');
  noGrad(() => {
    const w = dense.kernel.t();
    copyInto(linear.weight, w);
    w.dispose();
    if (dense.bias !== null) copyInto(linear.bias!, dense.bias);
  });
}

/** Set `dense`'s kernel to `linear`'s weight transposed (`[out, in]` -> `[in, out]`) and copy the bias. */
export function linearToDense(linear: nn.Linear, dense: Dense): void {
  check(dense, linear, 'linearToDense');
  noGrad(() => {
    const k = linear.weight.t();
    copyInto(dense.kernel, k);
    k.dispose();
    if (linear.bias !== null) copyInto(dense.bias!, linear.bias);
  });
}
