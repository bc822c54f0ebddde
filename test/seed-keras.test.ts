/**
 * The seed's Keras program (shared SEED_PROGRAMS.md) on a subset of MNIST:
 * the same statements, with 6,000 training and 2,000 test images and
 * one epoch, so the test is quick. It must learn (accuracy well above chance),
 * log Keras's keys, print Keras's progress lines, and resolve `evaluate` to
 * `[loss, accuracy]`. (The full program, 5 epochs to >= 97% test accuracy, is
 * `pnpm keras-mnist`; see the README for the measured run.)
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { manualSeed } from '@duet/core';
import * as keras from '@duet/keras';

describe('the seed Keras program', () => {
  it('trains on MNIST with the seed statements', async () => {
    manualSeed(0);
    const [[xTrain0, yTrain], [xTest0, yTest]] = await keras.datasets.mnist.loadData();
    expect(xTrain0.shape).toEqual([60000, 28, 28]);
    expect(yTest.shape).toEqual([10000]);
    expect([xTrain0.dtype, yTrain.dtype]).toEqual(['float32', 'int32']);
    const xTrain = xTrain0.reshape([-1, 784]).div(255).narrow(0, 0, 6000);
    const xTest = xTest0.reshape([-1, 784]).div(255).narrow(0, 0, 2000);
    const model = new keras.Sequential([
      new keras.layers.Dense(128, { activation: 'relu' }),
      new keras.layers.Dense(10, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    let text = '';
    const out = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
    const progbar = new keras.callbacks.ProgbarLogger({ stream: out });
    const history = await model.fit(xTrain, yTrain.narrow(0, 0, 6000), { epochs: 1, callbacks: [progbar] });
    expect(Object.keys(history.history)).toEqual(['accuracy', 'loss']);
    expect(history.history.accuracy![0]).toBeGreaterThan(0.8);
    expect(text).toMatch(/^188\/188 - \d+s - \d+(us|ms|s)\/step - accuracy: 0\.\d{4} - loss: 0\.\d{4}\n$/);
    const [loss, acc] = (await model.evaluate(xTest, yTest.narrow(0, 0, 2000), { verbose: 0 })) as number[];
    expect(loss).toBeLessThan(0.6);
    expect(acc).toBeGreaterThan(0.85);
    for (const t of [xTrain0, yTrain, xTest0, yTest]) t.dispose();
  });
});
