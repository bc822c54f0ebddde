/**
 * examples/cnn-mnist-keras.ts and examples/cnn-mnist-nn.ts on a small subset
 * of the real MNIST (512 training and 1000 test images, 2 epochs): the
 * same network in both styles (same parameter count), training lowers the
 * loss, both beat chance on the test images, the native tensor count is the
 * same after each epoch (the loops leak nothing), and a bad option is a typed
 * error naming what was expected.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, main as kerasMain } from '../examples/cnn-mnist-keras.js';
import { main as nnMain } from '../examples/cnn-mnist-nn.js';
import { ExampleOptionError, parseExampleArgs } from '../examples/common/cli.js';

const quiet = () => {};
const options = { quick: true, epochs: 2, limit: 512 };

describe('examples/cnn-mnist-*', () => {
  it('Keras style: augmentation layers, fit with validationSplit, evaluate', async () => {
    const r = await kerasMain(options, quiet);
    expect(r.history.loss).toHaveLength(2);
    expect(r.history.val_loss).toHaveLength(2);
    expect(r.history.loss![1]!).toBeLessThan(r.history.loss![0]!);
    expect(r.testAccuracy).toBeGreaterThan(0.2); // chance is 0.1
    expect(Number.isFinite(r.testLoss)).toBe(true);
    expect(r.tensorsPerEpoch[1]).toBe(r.tensorsPerEpoch[0]);
  }, 60_000);

  it('nn style: the same network, transforms in the dataset, train/test loop', async () => {
    const n = await nnMain(options, quiet);
    expect(n.params).toBe(buildModel().countParams());
    expect(n.train).toHaveLength(2);
    expect(n.train[1]!.loss).toBeLessThan(n.train[0]!.loss);
    expect(n.test.accuracy).toBeGreaterThan(0.2);
    expect(n.tensorsPerEpoch[1]).toBe(n.tensorsPerEpoch[0]);
  }, 60_000);

  it('options: defaults, --quick, and typed errors', () => {
    expect(parseExampleArgs([], 15)).toEqual({ epochs: 15, quick: false, limit: undefined });
    expect(parseExampleArgs(['--quick'], 15)).toEqual({ epochs: 1, quick: true, limit: undefined });
    expect(parseExampleArgs(['--epochs=3', '--limit', '500'], 15)).toEqual({ epochs: 3, quick: false, limit: 500 });
    expect(parseExampleArgs(['--help'], 15)).toBe('help');
    expect(() => parseExampleArgs(['--epochs', '0'], 15)).toThrow(ExampleOptionError);
    expect(() => parseExampleArgs(['--epochs', 'x'], 15)).toThrow(/--epochs expected a positive integer, received x/);
    expect(() => parseExampleArgs(['--fast'], 15)).toThrow(/Unknown option --fast; expected one of/);
  });
});
