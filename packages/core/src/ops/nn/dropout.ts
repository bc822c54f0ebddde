/**
 * Inverted dropout: in training, zero each element (or each channel, for
 * dropout2d) with probability p and scale the rest by 1 / (1 - p); identity
 * in eval. The mask comes from TF's counter-based StatelessRandomUniform with
 * a seed drawn from Duet's generator, so `manualSeed` makes it reproducible.
 * Forward: 4 kernels (uniform, compare, select, multiply); backward: 1.
 */
import { tf, scalarConst, type TfTensor } from '../../kernels/index.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { record } from '../../autograd.js';
import { opLayout, valueIn } from '../../layout.js';
import { randomSeed } from '../../random.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { checkFlag, checkFloat } from './args.js';

/** Zero elements with probability `p` (in [0, 1)) when `training`; the kept ones are scaled by 1 / (1 - p). */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!active('dropout', x, p, training)) return x;
  return masked('NativeDropoutBackward', x, x.shape, p);
}

/**
 * Zero whole channels: [N, C, H, W] (or [N, C, L], channel-wise 1-d dropout as in
 * PyTorch) gets one draw per (n, c).
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  if (x.ndim !== 4 && x.ndim !== 3) {
    throw new ShapeError(`dropout2d: expected an input of shape [N, C, H, W] (or [N, C, L]), received ${shapeStr(x.shape)}.`);
  }
  if (!active('dropout2d', x, p, training)) return x;
  return masked('MulBackward', x, [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)], p);
}

function active(op: string, x: Tensor, p: number, training: boolean): boolean {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new ArgumentError(`${op}: p must be a probability in [0, 1), received ${JSON.stringify(p)}.`);
  checkFlag(op, 'training', training);
  checkFloat(op, 'input', x);
  return training && p > 0;
}

/** The mask is drawn in the order the values are stored, so an NHWC-stored input stays NHWC (docs/design/layout.md). */
function masked(name: string, x: Tensor, maskShape: readonly number[], p: number): Tensor {
  const l = opLayout('asStored', x);
  const nhwc = l.nhwc;
  const [n, c, h, w] = maskShape;
  const drawShape = nhwc ? [n!, h!, w!, c!] : maskShape;
  const seed = tf().tensor(Int32Array.of(randomSeed() | 0, randomSeed() | 0), [2], 'int32');
  let mask: TfTensor;
  try {
    mask = tf().tidy(() => {
      const keep = K.greaterEqual(K.statelessUniform(drawShape, seed), scalarConst(p, 'float32'));
      return K.select(keep, scalarConst(1 / (1 - p), 'float32'), scalarConst(0, 'float32'));
    });
  } finally {
    seed.dispose();
  }
  const out = new Tensor(K.mul(valueIn(l, x), mask), nhwc);
  return record(out, name, [x], (g) => [K.mul(g, mask)], [mask], l.grad);
}
