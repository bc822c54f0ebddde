/**
 * `keras.activations`: functions of a tensor, looked up by Keras's names
 * (`'relu'`, `'leaky_relu'` / `'leakyRelu'`, ...). Each is the core op, so
 * Keras layers compute with the same kernels as @duet/nn.
 */
import type { Tensor } from '@duet/core';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { identifierKey } from '../utils/naming.js';
import { rememberLogits } from './logits.js';

export type ActivationFn = (x: Tensor) => Tensor;

export const linear: ActivationFn = (x) => x;
export const relu: ActivationFn = (x) => x.relu();
export const relu6: ActivationFn = (x) => x.clamp(0, 6);
export const sigmoid: ActivationFn = (x) => rememberLogits(x.sigmoid(), x, 'sigmoid');
/** Softmax over the last axis; the logits are remembered for crossentropy losses. */
export const softmax: ActivationFn = (x) => {
  if (x.ndim <= 1) throw new KerasValueError(`Cannot apply softmax to a tensor that is 1D. Received input: shape=[${x.shape.join(', ')}]`);
  return rememberLogits(x.softmax(-1), x, 'softmax');
};
export const logSoftmax: ActivationFn = (x) => x.logSoftmax(-1);
export const tanh: ActivationFn = (x) => x.tanh();
export const elu: ActivationFn = (x) => x.elu(1);
/** Keras's selu: scale * elu(x, alpha) with the self-normalizing constants. */
export const selu: ActivationFn = (x) => {
  const e = x.elu(1.6732632423543772);
  return e.mul(1.0507009873554805);
};
export const softplus: ActivationFn = (x) => x.softplus();
export const softsign: ActivationFn = (x) => x.div(x.abs().add(1));
export const silu: ActivationFn = (x) => x.silu();
export const swish: ActivationFn = silu;
/** Keras's `gelu` default: the exact (erf) form. */
export const gelu: ActivationFn = (x) => x.gelu();
export const exponential: ActivationFn = (x) => x.exp();
/** Keras 3's leaky_relu default slope is 0.2. */
export const leakyRelu: ActivationFn = (x) => x.leakyRelu(0.2);
/** Keras 3's hard_sigmoid: relu6(x + 3) / 6. */
export const hardSigmoid: ActivationFn = (x) => x.add(3).clamp(0, 6).div(6);
export const hardSilu: ActivationFn = (x) => x.mul(hardSigmoid(x));
export const mish: ActivationFn = (x) => x.mul(x.softplus().tanh());

/** Keras's names (snake_case) of the built-ins, in Keras's spelling. */
const BUILTINS: Record<string, ActivationFn> = {
  linear, relu, relu6, sigmoid, softmax, log_softmax: logSoftmax, tanh, elu, selu, softplus, softsign, silu, swish, gelu,
  exponential, leaky_relu: leakyRelu, hard_sigmoid: hardSigmoid, hard_silu: hardSilu, hard_swish: hardSilu, mish,
};
const BY_KEY = new Map(Object.entries(BUILTINS).map(([k, f]) => [identifierKey(k), [k, f] as const]));
const NAME_OF = new Map<ActivationFn, string>(Object.entries(BUILTINS).map(([k, f]) => [f, k]));
NAME_OF.set(swish, 'silu');

export type ActivationIdentifier = string | ActivationFn | null | undefined;

/** The activation for a name (any spelling), a function, or null/undefined (linear). */
export function getActivation(identifier: ActivationIdentifier): ActivationFn {
  if (identifier === null || identifier === undefined) return linear;
  if (typeof identifier === 'function') return identifier;
  if (typeof identifier === 'string') {
    const hit = BY_KEY.get(identifierKey(identifier));
    if (hit === undefined) throw new UnknownIdentifierError('activation', identifier, Object.keys(BUILTINS));
    return hit[1];
  }
  throw new KerasValueError(`Could not interpret activation function identifier: ${String(identifier)}`);
}

/** Keras's name of a built-in activation ('relu'), or the function's own name for a custom one. */
export function serializeActivation(fn: ActivationFn): string {
  return NAME_OF.get(fn) ?? (fn.name || 'custom');
}
