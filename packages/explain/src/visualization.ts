/**
 * Heatmap overlays as PNG files, after Captum's
 * `visualization.visualize_image_attr(attr, original_image, method, sign,
 * outlier_perc=2, alpha_overlay=0.5)`: the attribution is summed over
 * channels, scaled by its (100 - outlierPerc)th percentile of absolute
 * values and clipped to [-1, 1] (Captum's `_normalize_attr`), mapped through
 * a colormap, and drawn over the image. PNG encoding is pngjs's.
 *
 * Methods: 'heat_map', 'blended_heat_map' (heat map at `alphaOverlay` over
 * the grayscale image, as Captum draws it), 'original_image',
 * 'masked_image' (image times |normalized attribution|), 'alpha_scaling'
 * (image with the normalized attribution as alpha).
 * Signs: 'absolute_value' (default), 'positive', 'negative', 'all'
 * (green positive, red negative).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Tensor } from '@duet/core';
import { PNG } from 'pngjs';
import { AttributionError } from './errors.js';

export const VISUALIZE_METHODS = ['heat_map', 'blended_heat_map', 'original_image', 'masked_image', 'alpha_scaling'] as const;
export const VISUALIZE_SIGNS = ['absolute_value', 'positive', 'negative', 'all'] as const;

export interface VisualizeOptions {
  method?: (typeof VISUALIZE_METHODS)[number];
  sign?: (typeof VISUALIZE_SIGNS)[number];
  /** Percent of the largest |attribution| values clipped (default 2). */
  outlierPerc?: number;
  /** Opacity of the heat map in 'blended_heat_map' (default 0.5). */
  alphaOverlay?: number;
  /** Where channels are in a 3-D attribution/image: 'channelsFirst' ([C, H, W], PyTorch; default) or 'channelsLast' ([H, W, C], Keras). */
  dataFormat?: 'channelsFirst' | 'channelsLast';
  /** Integer upscaling of the picture (nearest neighbour; default 1). */
  scale?: number;
  /** Also write the PNG here (a temporary file, then renamed). */
  outPath?: string;
}

interface Plane {
  h: number;
  w: number;
  c: number;
  /** HWC values. */
  data: Float32Array;
}

function toPlane(t: Tensor | null | undefined, format: 'channelsFirst' | 'channelsLast', what: string): Plane | null {
  if (t === null || t === undefined) return null;
  if (!(t instanceof Tensor)) throw new AttributionError(`visualizeImageAttr: ${what} must be a Tensor of shape [H, W] or 3-D; received ${typeof t}.`);
  let shape = [...t.shape];
  if (shape.length === 4 && shape[0] === 1) shape = shape.slice(1);
  const v = Float32Array.from(t.dataSync());
  if (shape.length === 2) return { h: shape[0]!, w: shape[1]!, c: 1, data: v };
  if (shape.length !== 3) throw new AttributionError(`visualizeImageAttr: ${what} must have shape [H, W], [C, H, W] or [H, W, C] (one example); received [${t.shape.join(', ')}].`);
  if (format === 'channelsLast') return { h: shape[0]!, w: shape[1]!, c: shape[2]!, data: v };
  const [c, h, w] = shape as [number, number, number];
  const out = new Float32Array(v.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = v[k * h * w + i]!;
  return { h, w, c, data: out };
}

/** Captum's _normalize_attr: channel sum, sign selection, scale by the (100 - outlierPerc) percentile of |values|, clip. */
export function normalizeAttr(values: Float32Array, sign: string, outlierPerc: number): Float32Array {
  const v = Float32Array.from(values, (a) => (sign === 'absolute_value' ? Math.abs(a) : sign === 'positive' ? Math.max(a, 0) : sign === 'negative' ? Math.min(a, 0) : a));
  const sorted = Float32Array.from(v, Math.abs).sort();
  // numpy's default percentile: linear interpolation between closest ranks.
  const q = (100 - outlierPerc) / 100 * (sorted.length - 1);
  const lo = Math.floor(q);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const threshold = sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (q - lo);
  if (!(threshold > 1e-5)) return new Float32Array(v.length); // Captum warns and shows nothing
  return Float32Array.from(v, (a) => Math.min(1, Math.max(-1, a / threshold)));
}

type RGB = [number, number, number];
// Colormaps at a few stops (matplotlib's Blues/Greens/Reds and Captum's red-white-green for 'all').
const BLUES: RGB[] = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
const GREENS: RGB[] = [[247, 252, 245], [199, 233, 192], [116, 196, 118], [35, 139, 69], [0, 68, 27]];
const REDS: RGB[] = [[255, 245, 240], [252, 187, 161], [251, 106, 74], [203, 24, 29], [103, 0, 13]];
const RED_WHITE_GREEN: RGB[] = [[255, 0, 0], [255, 255, 255], [0, 255, 0]];

function colormap(stops: RGB[], t: number): RGB {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

function heatColor(sign: string, a: number): RGB {
  if (sign === 'all') return colormap(RED_WHITE_GREEN, (a + 1) / 2);
  if (sign === 'positive') return colormap(GREENS, a);
  if (sign === 'negative') return colormap(REDS, -a);
  return colormap(BLUES, a);
}

/**
 * Render an attribution (one example) over its image as a PNG. `image`
 * values in [0, 1] (values above 1 are taken as 0..255). Returns the PNG
 * bytes; `outPath` also writes them.
 *
 * @example
 * ```ts
 * import { visualizeImageAttr } from '@duet/explain';
 * visualizeImageAttr(attr.select(0, 0), x.select(0, 0), { method: 'blended_heat_map', outPath: 'ig.png', scale: 8 });
 * ```
 */
export function visualizeImageAttr(attr: Tensor, image: Tensor | null = null, options: VisualizeOptions = {}): Buffer {
  const method = options.method ?? 'heat_map';
  const sign = options.sign ?? 'absolute_value';
  if (!(VISUALIZE_METHODS as readonly string[]).includes(method)) throw new AttributionError(`visualizeImageAttr: unknown method '${method}'; expected one of ${VISUALIZE_METHODS.join(', ')}.`);
  if (!(VISUALIZE_SIGNS as readonly string[]).includes(sign)) throw new AttributionError(`visualizeImageAttr: unknown sign '${sign}'; expected one of ${VISUALIZE_SIGNS.join(', ')}.`);
  const outlier = options.outlierPerc ?? 2;
  const alpha = options.alphaOverlay ?? 0.5;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new AttributionError(`visualizeImageAttr: scale must be a positive integer; received ${scale}.`);
  const format = options.dataFormat ?? 'channelsFirst';
  const a = toPlane(attr, format, 'attr')!;
  const img = toPlane(image, format, 'image');
  if (method !== 'heat_map' && img === null) throw new AttributionError(`visualizeImageAttr: method '${method}' draws over the image: pass the image.`);
  if (img !== null && (img.h !== a.h || img.w !== a.w)) {
    throw new AttributionError(`visualizeImageAttr: the image is ${img.h}x${img.w} but the attribution is ${a.h}x${a.w}; upsample the attribution first (LayerAttribution.interpolate).`);
  }
  const hw = a.h * a.w;
  const summed = new Float32Array(hw);
  for (let i = 0; i < hw; i++) for (let k = 0; k < a.c; k++) summed[i] = summed[i]! + a.data[i * a.c + k]!;
  const norm = normalizeAttr(summed, sign, outlier);
  let imgMax = 0;
  if (img !== null) for (const v of img.data) imgMax = Math.max(imgMax, v);
  const unit = imgMax > 1 ? 1 / 255 : 1;
  const pixel = (i: number): RGB => {
    const rgb: RGB = img === null ? [0, 0, 0] : img.c >= 3 ? [img.data[i * img.c]!, img.data[i * img.c + 1]!, img.data[i * img.c + 2]!] : [img.data[i * img.c]!, img.data[i * img.c]!, img.data[i * img.c]!];
    return rgb.map((v) => Math.min(1, Math.max(0, v * unit)) * 255) as RGB;
  };
  const png = new PNG({ width: a.w * scale, height: a.h * scale });
  for (let y = 0; y < a.h; y++) {
    for (let x = 0; x < a.w; x++) {
      const i = y * a.w + x;
      let rgba: [number, number, number, number];
      const heat = heatColor(sign, norm[i]!);
      if (method === 'heat_map') rgba = [...heat, 255];
      else if (method === 'original_image') rgba = [...pixel(i), 255];
      else if (method === 'masked_image') rgba = [...(pixel(i).map((v) => v * Math.abs(norm[i]!)) as RGB), 255];
      else if (method === 'alpha_scaling') rgba = [...pixel(i), 255 * Math.abs(norm[i]!)];
      else {
        const p = pixel(i);
        const gray = (p[0] + p[1] + p[2]) / 3;
        rgba = [gray * (1 - alpha) + heat[0] * alpha, gray * (1 - alpha) + heat[1] * alpha, gray * (1 - alpha) + heat[2] * alpha, 255];
      }
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = ((y * scale + dy) * a.w * scale + (x * scale + dx)) * 4;
          for (let k = 0; k < 4; k++) png.data[o + k] = Math.round(rgba[k]!);
        }
      }
    }
  }
  const bytes = PNG.sync.write(png);
  if (options.outPath !== undefined) {
    mkdirSync(dirname(options.outPath), { recursive: true });
    const tmp = `${options.outPath}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, options.outPath);
  }
  return bytes;
}
