/**
 * Projective resampling of channels-last images with TensorFlow's
 * `ImageProjectiveTransformV3` rules (what Keras's `affine_transform` runs):
 * output pixel (x, y) reads input ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k),
 * k = c0 x + c1 y + 1; the coordinate is mapped into the image by the fill
 * mode (reflect | wrap | nearest | constant), then read by nearest or
 * bilinear interpolation, out-of-image taps reading `fillValue`.
 *
 * The sampling positions and weights are computed here (one pass over the
 * output pixels); the image work is one gather of all taps, a multiply by
 * the weights and a sum: 4-6 native kernels whatever the transform. The
 * layers use this form only for images that require a gradient (it has the
 * exact adjoint); others go through core's `imageProjectiveTransform`, TF's
 * own kernel (base_image_augmentation.ts).
 */
import { cat, full, tensor, type Tensor } from '@duet/core';

export type FillMode = 'reflect' | 'wrap' | 'nearest' | 'constant';
export type Interpolation = 'nearest' | 'bilinear';

const f = Math.fround;

/** TF's MapCoordinate for one axis of length `len`. */
function mapCoordinate(c: number, len: number, mode: FillMode): number {
  let v = c;
  if (mode === 'reflect') {
    if (v < 0) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        if (v < sz2) v = sz2 * Math.trunc(-v / sz2) + v;
        v = v < -len ? v + sz2 : -v - 1;
      }
    } else if (v > len - 1) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        v -= sz2 * Math.trunc(v / sz2);
        if (v >= len) v = sz2 - v - 1;
      }
    }
  } else if (mode === 'wrap') {
    if (v < 0) {
      if (len <= 1) v = 0;
      else v += len * (Math.trunc(-v / (len - 1)) + 1);
    } else if (v > len - 1) {
      if (len <= 1) v = 0;
      else v -= len * Math.trunc(v / (len - 1));
    }
  } else if (mode === 'nearest') {
    return Math.min(Math.max(v, 0), len - 1);
  } else {
    return v;
  }
  return f(Math.min(Math.max(f(v), 0), len - 1));
}

/**
 * Resample `images` [N, H, W, C] (logical, float32) by one 8-number
 * transform per image (`transforms`, N * 8, TF's order).
 */
export function projectiveTransform(images: Tensor, transforms: Float64Array | Float32Array, interpolation: Interpolation, fillMode: FillMode, fillValue: number): Tensor {
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const m = n * h * w;
  const taps = interpolation === 'bilinear' ? 4 : 1;
  const idx = new Int32Array(taps * m);
  const wts = new Float32Array(taps * m);
  const fillRow = m; // index of the fill-value row appended below
  const at = (b: number, y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? (b * h + y) * w + x : fillRow);
  for (let b = 0; b < n; b++) {
    const t = transforms.subarray(8 * b, 8 * b + 8);
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < w; ox++) {
        const p = (b * h + oy) * w + ox;
        const proj = f(f(f(t[6]! * ox) + f(t[7]! * oy)) + 1);
        if (proj === 0) {
          for (let k = 0; k < taps; k++) idx[k * m + p] = fillRow;
          wts[p] = 1;
          continue;
        }
        const ix = f(f(f(f(t[0]! * ox) + f(t[1]! * oy)) + t[2]!) / proj);
        const iy = f(f(f(f(t[3]! * ox) + f(t[4]! * oy)) + t[5]!) / proj);
        const x = mapCoordinate(ix, w, fillMode);
        const y = mapCoordinate(iy, h, fillMode);
        if (interpolation === 'nearest') {
          // std::round: halves away from zero
          const rx = Math.sign(x) * Math.round(Math.abs(x));
          const ry = Math.sign(y) * Math.round(Math.abs(y));
          idx[p] = at(b, ry, rx);
          wts[p] = 1;
          continue;
        }
        const x0 = Math.floor(x);
        const y0 = Math.floor(y);
        const dx = f(x - x0);
        const dy = f(y - y0);
        const ex = f(1 - dx);
        const ey = f(1 - dy);
        // Taps (y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1): no allocation per pixel.
        idx[p] = at(b, y0, x0);
        wts[p] = f(ey * ex);
        idx[m + p] = at(b, y0, x0 + 1);
        wts[m + p] = f(ey * dx);
        idx[2 * m + p] = at(b, y0 + 1, x0);
        wts[2 * m + p] = f(dy * ex);
        idx[3 * m + p] = at(b, y0 + 1, x0 + 1);
        wts[3 * m + p] = f(dy * dx);
      }
    }
  }
  const rows = cat([images.reshape([m, c]), full([1, c], fillValue)], 0);
  const gathered = rows.indexSelect(0, tensor(idx)).reshape([taps, m, c]);
  const out = taps === 1 ? gathered : gathered.mul(tensor(wts, { shape: [taps, m, 1] }));
  return out.sum(0).reshape([n, h, w, c]);
}
