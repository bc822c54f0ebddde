/**
 * The options core's nn primitives take for the Keras front end: pooling
 * padding 'same' (TensorFlow's), explicit paddings for convTranspose2d, and
 * batchNorm2d on a logical channels-last tensor. Each is checked against the
 * same computation spelled with the PyTorch-style options.
 */
import { describe, expect, it } from 'vitest';
import { cat, full, manualSeed, randn, functional as F } from '../../index.js';
import { expectClose } from '../../../../../test/helpers.js';

describe('channels-last options for the Keras layers', () => {
  it("maxPool2d / avgPool2d padding 'same': output ceil(n / s), the odd pad after", () => {
    manualSeed(0);
    const x = randn([2, 7, 8, 3]);
    const y = F.maxPool2d(x, 3, { stride: 2, padding: 'same', dataFormat: 'NHWC' });
    expect(y.shape).toEqual([2, 4, 4, 3]);
    // H: total (4 - 1) * 2 + 3 - 7 = 2 -> [1, 1]; W: (4 - 1) * 2 + 3 - 8 = 1 -> [0, 1].
    const ninf = (shape: number[]) => full(shape, -Infinity);
    const rows = cat([ninf([2, 1, 8, 3]), x, ninf([2, 1, 8, 3])], 1);
    const padded = cat([rows, ninf([2, 9, 1, 3])], 2);
    expectClose(y, F.maxPool2d(padded, 3, { stride: 2, dataFormat: 'NHWC' }), { atol: 0 });
    const a = F.avgPool2d(x, 2, { stride: 1, padding: 'same', countIncludePad: false, dataFormat: 'NHWC' });
    expect(a.shape).toEqual([2, 7, 8, 3]);
    // The last row and column average the pixels that exist only.
    expectClose(a.narrow(1, 6, 1).narrow(2, 7, 1), x.narrow(1, 6, 1).narrow(2, 7, 1), { atol: 1e-6 });
    expectClose(a.narrow(1, 0, 1).narrow(2, 0, 1), x.narrow(1, 0, 2).narrow(2, 0, 2).mean([1, 2], { keepdim: true }), { atol: 1e-6 });
  });

  it('convTranspose2d explicit padding: symmetric equals the number, asymmetric crops one more after', () => {
    manualSeed(1);
    const x = randn([1, 4, 5, 2], { requiresGrad: true });
    const w = randn([3, 3, 3, 2]);
    const sym = F.convTranspose2d(x, w, null, { stride: 2, padding: [[1, 1], [1, 1]], dataFormat: 'NHWC' });
    expectClose(sym, F.convTranspose2d(x, w, null, { stride: 2, padding: 1, dataFormat: 'NHWC' }), { atol: 1e-6 });
    const full = F.convTranspose2d(x, w, null, { stride: 2, dataFormat: 'NHWC' }); // [1, 9, 11, 3]
    const asym = F.convTranspose2d(x, w, null, { stride: 2, padding: [[0, 1], [1, 2]], dataFormat: 'NHWC' });
    expect(asym.shape).toEqual([1, 8, 8, 3]);
    expectClose(asym, full.narrow(1, 0, 8).narrow(2, 1, 8), { atol: 1e-6 });
    asym.sum().backward();
    expect(x.grad!.shape).toEqual([1, 4, 5, 2]);
    expect(() => F.convTranspose2d(x, w, null, { padding: [[0, -1], [0, 0]], dataFormat: 'NHWC' })).toThrow('explicit padding must be [[top, bottom], [left, right]] of integers >= 0');
  });

  it("batchNorm2d dataFormat 'NHWC' equals the NCHW path on the transposed input, gradients included", () => {
    manualSeed(2);
    const x = randn([4, 3, 5, 6], { requiresGrad: true });
    const weight = randn([6], { requiresGrad: true });
    const r = F.batchNorm2d(x, null, null, { weight, training: true, eps: 1e-3, dataFormat: 'NHWC' });
    const ref = F.batchNorm2d(x.permute([0, 3, 1, 2]), null, null, { weight, training: true, eps: 1e-3 });
    expectClose(r.y, ref.y.permute([0, 2, 3, 1]), { atol: 1e-5 });
    expectClose(r.variance!, ref.variance!, { atol: 1e-6 });
    r.y.square().sum().backward();
    const gx = x.grad!.clone();
    const gw = weight.grad!.clone();
    x.grad = null;
    weight.grad = null;
    ref.y.square().sum().backward();
    expectClose(gx, x.grad!, { atol: 1e-4 });
    expectClose(gw, weight.grad!, { atol: 1e-4 });
    expect(() => F.batchNorm2d(x, null, null, { training: true, dataFormat: 'NWHC' as never })).toThrow("dataFormat must be 'NCHW' or 'NHWC'");
  });
});
