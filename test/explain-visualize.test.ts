/**
 * visualizeImageAttr: the PNG decodes (TensorFlow's decoder, through
 * @duet/core) to the requested size; 'original_image' gives back the image's
 * pixels; the heat map is monotone in |attribution| (Captum's normalisation:
 * scale by the 98th percentile of |values|, clip to 1); the file is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, scope, tensor } from '@duet/core';
import { AttributionError, normalizeAttr, visualizeImageAttr } from '@duet/explain';

describe('visualizeImageAttr', () => {
  const h = 4;
  const w = 5;
  const img = Float32Array.from({ length: h * w }, (_, i) => i / (h * w - 1));
  const attr = Float32Array.from({ length: h * w }, (_, i) => (i % 7) - 3);

  it('original_image round-trips the pixels (grayscale [1, H, W] -> RGB)', () => {
    scope(() => {
      const png = visualizeImageAttr(tensor(attr, { shape: [1, h, w] }), tensor(img, { shape: [1, h, w] }), { method: 'original_image' });
      const d = decodeImage(png, { channels: 3 });
      expect(d.shape).toEqual([h, w, 3]);
      for (let i = 0; i < h * w; i++) expect(d.data[i * 3]).toBe(Math.round(img[i]! * 255));
    });
  });

  it('heat_map (absolute_value): darker where |attribution| is larger, scale enlarges, outPath writes the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-viz-'));
    try {
      scope(() => {
        const out = join(dir, 'sub', 'heat.png');
        const png = visualizeImageAttr(tensor(attr, { shape: [h, w] }), null, { method: 'heat_map', scale: 3, outPath: out });
        expect(existsSync(out)).toBe(true);
        expect(Buffer.compare(readFileSync(out), png)).toBe(0);
        const d = decodeImage(png, { channels: 3 });
        expect(d.shape).toEqual([h * 3, w * 3, 3]);
        const red = (i: number) => d.data[(Math.floor(i / w) * 3 * w * 3 + (i % w) * 3) * 3]!;
        const norm = normalizeAttr(attr, 'absolute_value', 2);
        for (let i = 0; i < h * w; i++) for (let j = 0; j < h * w; j++) if (norm[i]! > norm[j]! + 1e-6) expect(red(i)).toBeLessThanOrEqual(red(j));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('blended_heat_map over an RGB channels-last image', () => {
    scope(() => {
      const rgb = tensor(Float32Array.from({ length: h * w * 3 }, (_, i) => (i % 3) / 2), { shape: [h, w, 3] });
      const png = visualizeImageAttr(tensor(attr, { shape: [h, w, 1] }), rgb, { method: 'blended_heat_map', sign: 'all', dataFormat: 'channelsLast' });
      expect(decodeImage(png).shape).toEqual([h, w, 4]);
    });
  });

  it('normalizeAttr clips at the (100 - outlierPerc) percentile', () => {
    const v = Float32Array.from({ length: 101 }, (_, i) => i);
    const n = normalizeAttr(v, 'absolute_value', 2); // threshold 98
    expect(n[98]).toBeCloseTo(1, 6);
    expect(n[100]).toBe(1);
    expect(n[49]).toBeCloseTo(49 / 98, 6);
  });

  it('bad input names what is allowed', () => {
    scope(() => {
      const a = tensor(attr, { shape: [h, w] });
      expect(() => visualizeImageAttr(a, null, { method: 'blended_heat_map' })).toThrow(AttributionError);
      expect(() => visualizeImageAttr(a, null, { method: 'blended' as never })).toThrow(/expected one of heat_map, blended_heat_map/);
      expect(() => visualizeImageAttr(a, tensor(img.slice(0, 16), { shape: [4, 4] }), { method: 'blended_heat_map' })).toThrow(/upsample the attribution first/);
    });
  });
});
