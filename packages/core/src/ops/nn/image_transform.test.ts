/**
 * functional.imageProjectiveTransform (TensorFlow's ImageProjectiveTransformV3).
 * Keras's numbers for rotations, zooms and translations through it are in
 * test/golden/keras_conv.test.ts; here invariants: the identity transform
 * returns the images, an integer shift with constant fill equals the images
 * padded and cropped, one [1, 8] transform applies to every image, a batch
 * equals its images run one by one; argument checks; no gradient; no leaks.
 */
import { describe, expect, it } from 'vitest';
import { cat, full, randn, scope, tensor, functional as F } from '../../index.js';
import { ArgumentError, AutogradError, DTypeError, ShapeError } from '../../errors.js';
import { expectClose, expectNoLeaks } from '../../../../../test/helpers.js';

const ID = [1, 0, 0, 0, 1, 0, 0, 0];

describe('imageProjectiveTransform', () => {
  it('identity, integer shifts with constant fill, one transform for all, batch = one by one', () => {
    const x = randn([3, 5, 6, 2]);
    for (const interpolation of ['bilinear', 'nearest'] as const) {
      expectClose(F.imageProjectiveTransform(x, tensor([ID]), { interpolation }), x, { atol: 0, rtol: 0 });
      // Output (x, y) reads input (x + 2, y - 1): shifted left by 2 and down by 1, filled with 7.
      const shifted = F.imageProjectiveTransform(x, tensor([[1, 0, 2, 0, 1, -1, 0, 0]]), { interpolation, fillMode: 'constant', fillValue: 7 });
      const expected = cat([full([3, 1, 6, 2], 7), cat([x.narrow(1, 0, 4).narrow(2, 2, 4), full([3, 4, 2, 2], 7)], 2)], 1);
      expectClose(shifted, expected, { atol: 0, rtol: 0 });
    }
    const ts = tensor([[0.9, -0.3, 1.2, 0.3, 0.9, -0.8, 0, 0], [1.1, 0, -0.5, 0, 0.8, 0.4, 0.01, 0], [1, 0, 0.5, 0, 1, 0.25, 0, 0]]);
    for (const fillMode of ['reflect', 'wrap', 'nearest', 'constant'] as const) {
      const batch = F.imageProjectiveTransform(x, ts, { fillMode });
      for (let b = 0; b < 3; b++) {
        expectClose(batch.narrow(0, b, 1), F.imageProjectiveTransform(x.narrow(0, b, 1), ts.narrow(0, b, 1), { fillMode }), { atol: 0, rtol: 0 });
      }
    }
  });

  it('checks its arguments and refuses to record a gradient', () => {
    const x = randn([1, 4, 4, 1]);
    const t = tensor([ID]);
    expect(() => F.imageProjectiveTransform(x.int(), t)).toThrow(DTypeError);
    expect(() => F.imageProjectiveTransform(x.squeeze(0), t)).toThrow(ShapeError);
    expect(() => F.imageProjectiveTransform(x, tensor([ID.slice(0, 6)]))).toThrow('expected transforms of shape [1, 8] or [1, 8], received [1, 6]');
    expect(() => F.imageProjectiveTransform(randn([2, 4, 4, 1]), tensor([ID, ID, ID]))).toThrow(ShapeError);
    expect(() => F.imageProjectiveTransform(x, t, { fillMode: 'mirror' as never })).toThrow(ArgumentError);
    expect(() => F.imageProjectiveTransform(x, t, { interpolation: 'bicubic' as never })).toThrow(ArgumentError);
    expect(() => F.imageProjectiveTransform(randn([1, 4, 4, 1], { requiresGrad: true }), t)).toThrow(AutogradError);
  });

  it('leaks no native tensors', () => {
    const x = randn([2, 6, 6, 3]);
    const t = tensor([[0.9, -0.3, 1.2, 0.3, 0.9, -0.8, 0, 0]]);
    expectNoLeaks(() => scope(() => void F.imageProjectiveTransform(x, t, { fillMode: 'reflect', fillValue: 0.5 })));
  });
});
