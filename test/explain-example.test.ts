/**
 * examples/explain-mnist.ts's pieces on a small slice of MNIST: the CNN
 * learns (well above chance), Integrated Gradients satisfies completeness
 * within 1 % for the predicted class, Grad-CAM upsampled to 28x28 renders
 * a PNG that decodes to the requested size, and nothing leaks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, manualSeed, noGrad, scope } from '@duet/core';
import { IntegratedGradients, LayerAttribution, LayerGradCam, visualizeImageAttr } from '@duet/explain';
import { SmallCnn, accuracy, mnist, trainCnn } from '../examples/explain-mnist.ts';
import { expectNoLeaks } from './helpers.js';

describe('examples/explain-mnist.ts', () => {
  it('trains, explains 8 digits with IG (completeness within 1 %) and Grad-CAM, and renders PNGs', () => {
    manualSeed(0);
    const [x, y] = mnist(true, 2000);
    const [xt, yt] = mnist(false, 500);
    const model = new SmallCnn();
    trainCnn(model, x, y);
    expect(accuracy((z) => model.forward(z), xt, yt)).toBeGreaterThan(0.5);
    const dir = mkdtempSync(join(tmpdir(), 'duet-explain-ex-'));
    try {
      scope(() => {
        const digits = xt.narrow(0, 0, 8);
        const pred = Array.from(noGrad(() => model.forward(digits).argmax(1)).dataSync());
        const { attributions, delta } = new IntegratedGradients(model).attribute(digits, { target: pred, nSteps: 64, returnConvergenceDelta: true });
        const gap = Array.from(noGrad(() => attributions.reshape([8, -1]).sum(1).sub(delta)).dataSync());
        Array.from(delta.dataSync()).forEach((d, i) => expect(Math.abs(d)).toBeLessThanOrEqual(0.01 * Math.abs(gap[i]!)));
        const cam = LayerAttribution.interpolate(new LayerGradCam(model, model.conv2).attribute(digits, { target: pred, reluAttributions: true }), [28, 28], 'bilinear');
        expect(cam.shape).toEqual([8, 1, 28, 28]);
        const png = visualizeImageAttr(cam.select(0, 0), digits.select(0, 0), { method: 'blended_heat_map', sign: 'positive', scale: 2, outPath: join(dir, 'cam.png') });
        expect(decodeImage(png).shape).toEqual([56, 56, 4]);
      });
      expectNoLeaks(() => void new LayerGradCam(model, model.conv2).attribute(xt.narrow(0, 0, 4), { target: 3 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
