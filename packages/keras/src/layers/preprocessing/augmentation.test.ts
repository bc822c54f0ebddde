/**
 * The random image layers: identity outside training, seeded, per-image
 * draws, leak-free. (Their fixed-factor transforms are checked against
 * Keras in test/golden/keras_conv.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { arange, memory, rand, scope, type Tensor } from '@duet/core';
import * as keras from '../../index.js';
import { expectClose } from '../../../../../test/helpers.js';

const L = keras.layers;

const layers = (seed: number): keras.Layer[] => [
  new L.RandomFlip('horizontal_and_vertical', { seed }),
  new L.RandomRotation(0.2, { seed }),
  new L.RandomZoom([-0.3, 0.2], { widthFactor: 0.1, fillMode: 'constant', seed }),
  new L.RandomTranslation(0.2, [-0.1, 0.3], { interpolation: 'nearest', seed }),
];

describe('random image layers', () => {
  const x = rand([6, 8, 7, 2]).keep();

  it('are the identity outside training', () => {
    for (const layer of layers(1)) {
      expect(layer.apply(x)).toBe(x);
      expect(layer.apply(x, { training: false })).toBe(x);
    }
  });

  it('give the same draws for the same seed, and differ per image', () => {
    const a = layers(7).map((l) => l.apply(x, { training: true }) as Tensor);
    const b = layers(7).map((l) => l.apply(x, { training: true }) as Tensor);
    a.forEach((y, i) => expectClose(y, b[i]!, { atol: 0 }));
    for (const y of a.slice(1)) {
      expect(y.shape).toEqual(x.shape);
      expect(Array.from(y.sub(x).abs().amax([1, 2, 3]).dataSync()).filter((d) => d > 1e-6).length).toBeGreaterThan(0);
    }
  });

  it('RandomFlip flips whole images (both axes together in horizontal_and_vertical, as Keras)', () => {
    const img = arange(0, 12).reshape([1, 3, 4, 1]).expand([16, 3, 4, 1]).float();
    const y = new L.RandomFlip('horizontal_and_vertical', { seed: 3 }).apply(img, { training: true }) as Tensor;
    const both = img.flip([1, 2]);
    let flipped = 0;
    for (let i = 0; i < 16; i++) {
      const yi = Array.from(y.narrow(0, i, 1).dataSync());
      const same = yi.every((v, j) => v === img.narrow(0, i, 1).dataSync()[j]);
      const flip = yi.every((v, j) => v === both.narrow(0, i, 1).dataSync()[j]);
      expect(same || flip).toBe(true);
      if (flip) flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(16);
  });

  it('accept one image and channels_first', () => {
    const one = rand([5, 5, 3]);
    expect((new L.RandomRotation(0.1, { seed: 1 }).apply(one, { training: true }) as Tensor).shape).toEqual([5, 5, 3]);
    const cf = rand([2, 3, 5, 6]);
    const a = new L.RandomTranslation(0.2, 0.2, { seed: 4, dataFormat: 'channels_first' }).apply(cf, { training: true }) as Tensor;
    const b = new L.RandomTranslation(0.2, 0.2, { seed: 4 }).apply(cf.permute([0, 2, 3, 1]), { training: true }) as Tensor;
    expectClose(a.permute([0, 2, 3, 1]), b, { atol: 1e-6 });
  });

  it('do not leak', () => {
    for (const layer of layers(5)) {
      const run = () => {
        layer.apply(x, { training: true });
      };
      scope(run);
      const before = memory().numTensors;
      scope(run);
      expect(memory().numTensors, layer.name).toBe(before);
    }
  });

  it("validate with Keras's messages and round-trip their config", () => {
    expect(() => new L.RandomRotation(1.5)).toThrow('The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. Received: factor=1.5');
    expect(() => new L.RandomZoom(-1)).toThrow('in the range (-1.0, 1.0]. Received: height_factor=-1');
    expect(() => new L.RandomTranslation(0.1, 0.1, { fillMode: 'mirror' as never })).toThrow("Unknown `fill_mode` mirror. Expected of one ('reflect', 'wrap', 'constant', 'nearest').");
    expect(() => new L.RandomFlip('diagonal' as never)).toThrow('received an unknown mode argument diagonal');
    for (const layer of layers(9)) {
      const back = keras.deserialize<keras.Layer>('layer', JSON.parse(JSON.stringify(keras.serialize('layer', layer as never))));
      expect(back.getConfig()).toEqual(layer.getConfig());
    }
  });
});
