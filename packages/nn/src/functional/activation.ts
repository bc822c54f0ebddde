/** Activation functions (`F.relu`, `F.gelu`, ...): one native kernel each where TF has one. */
import type { Tensor } from '@duet/core';

export const relu = (x: Tensor): Tensor => x.relu();
/** min(max(x, 0), 6). */
export const relu6 = (x: Tensor): Tensor => x.clamp(0, 6);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => x.leakyRelu(negativeSlope);
export const elu = (x: Tensor, alpha = 1): Tensor => x.elu(alpha);
/** Exact GELU (erf), or the tanh approximation with `{ approximate: 'tanh' }`. */
export const gelu = (x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor => x.gelu(options);
export const silu = (x: Tensor): Tensor => x.silu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const softplus = (x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor => x.softplus(options);
export const hardtanh = (x: Tensor, minVal = -1, maxVal = 1): Tensor => x.clamp(minVal, maxVal);
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);
/** log(sigmoid(x)) = -softplus(-x), computed stably. */
export const logsigmoid = (x: Tensor): Tensor => x.neg().softplus().neg();
