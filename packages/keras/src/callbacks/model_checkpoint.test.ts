import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { manualSeed, memory, tensor, type Tensor } from '@duet/core';
import * as keras from '../index.js';
import { ModelCheckpoint } from './model_checkpoint.js';
import { formatFixed, formatPath } from './format_path.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  manualSeed(1);
  const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(4, { activation: 'relu' }), new keras.layers.Dense(1)]);
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = tensor([[0, 1], [1, 0], [1, 1], [0, 0], [0.5, 0.5], [0.2, 0.8]]);
  const y = tensor([[1], [1], [2], [0], [1], [1]]);
  return { m, x, y };
}

describe('formatPath (Python str.format)', () => {
  it('fills epoch and logs with format specs', () => {
    expect(formatPath('ckpt-{epoch:02d}-{val_loss:.2f}.keras', { epoch: 3, val_loss: 0.123456 })).toBe('ckpt-03-0.12.keras');
    expect(formatPath('{epoch}-{loss}.keras', { epoch: 10, loss: 0.5 })).toBe('10-0.5.keras');
    expect(formatPath('{loss:.3e}|{epoch:>4d}|{{x}}', { epoch: 7, loss: 0.00012345 })).toBe('1.234e-04|   7|{x}');
    expect(() => formatPath('{nope}.keras', { epoch: 1 })).toThrow(/missing key 'nope'/);
  });

  it('writes infinities and NaN as Python does (the verbose messages start from best = inf)', () => {
    const v = { a: Infinity, b: -Infinity, c: NaN };
    expect(formatPath('{a:.5f}|{b:.2f}|{c:.2f}|{a:.2E}|{a:.1%}|{a:8.2f}|{a:g}', v)).toBe('inf|-inf|nan|INF|inf%|     inf|inf');
    expect(formatFixed(Infinity, 5)).toBe('inf');
    expect(formatFixed(0.123456, 5)).toBe('0.12346');
  });
});

describe('ModelCheckpoint', () => {
  it('checks the file extension as Keras does', () => {
    expect(() => new ModelCheckpoint(join(dir, 'x.h5'))).toThrow(/must end in `\.keras`/);
    expect(() => new ModelCheckpoint(join(dir, 'x.keras'), { saveWeightsOnly: true })).toThrow(/must end in `\.weights\.h5`/);
    expect(() => new ModelCheckpoint(join(dir, 'x.keras'), { saveFreq: 0 })).toThrow(/Unrecognized save_freq/);
  });

  it('saves every epoch under a templated name, loadable with loadModel', async () => {
    const { m, x, y } = setup();
    const sub = join(dir, 'every');
    const ckpt = new ModelCheckpoint(join(sub, 'ckpt-{epoch:02d}-{loss:.2f}.keras'));
    const h = await m.fit(x, y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0, callbacks: [ckpt] });
    const expected = h.history.loss!.map((l, i) => `ckpt-${String(i + 1).padStart(2, '0')}-${l.toFixed(2)}.keras`);
    expect(readdirSync(sub).sort()).toEqual([...expected].sort());
    const last = await keras.models.loadModel(join(sub, expected[2]!));
    const p = async (mm: keras.Model) => Array.from(((await mm.predict(x, { verbose: 0 })) as Tensor).dataSync());
    expect(await p(last)).toEqual(await p(m));
  });

  it('verbose: Keras\'s message, the first improvement from inf', async () => {
    const { m, x, y } = setup();
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const ckpt = new ModelCheckpoint(join(dir, 'verbose-{epoch}.keras'), { monitor: 'loss', saveBestOnly: true, verbose: 1 });
      const h = await m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [ckpt] });
      expect(spy.mock.calls[0]![0]).toBe(`\nEpoch 1: loss improved from inf to ${h.history.loss![0]!.toFixed(5)}, saving model to ${join(dir, 'verbose-1.keras')}`);
    } finally {
      spy.mockRestore();
    }
  });

  it('saveBestOnly saves only improvements of the monitored metric (mode min)', async () => {
    const { m, x, y } = setup();
    const ckpt = new ModelCheckpoint(join(dir, 'best-{epoch}.weights.h5'), { monitor: 'loss', saveBestOnly: true, saveWeightsOnly: true });
    // Make the loss go up on epoch 3 by raising the learning rate wildly for one epoch.
    const spike = new keras.callbacks.LambdaCallback({ onEpochBegin: (e) => { m.optimizer!.learningRate = e === 2 ? 5 : 0.01; } });
    const h = await m.fit(x, y, { epochs: 4, batchSize: 6, shuffle: false, verbose: 0, callbacks: [spike, ckpt] });
    const loss = h.history.loss!;
    let best = Infinity;
    const want: string[] = [];
    loss.forEach((l, i) => { if (l < best) { best = l; want.push(join(dir, `best-${i + 1}.weights.h5`)); } });
    expect(want.length).toBeLessThan(4);
    expect(ckpt.saved).toEqual(want);
    expect(ckpt.best).toBe(best);
  });

  it('saveFreq in batches saves with {batch} and leaks no tensors', async () => {
    const { m, x, y } = setup();
    const ckpt = new ModelCheckpoint(join(dir, 'b-{epoch}-{batch}.weights.h5'), { saveWeightsOnly: true, saveFreq: 2 });
    // Warm-up with the same run: values read in the last step are released at the next step boundary.
    await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: [ckpt] });
    const before = memory().numTensors;
    ckpt.saved.length = 0;
    await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: [ckpt] });
    expect(memory().numTensors).toBe(before);
    // 3 batches per epoch, a save every 2 batches: after batch 2 of epoch 1, batch 1 and 3 of epoch 2.
    expect(ckpt.saved.map((p) => p.slice(dir.length + 1))).toEqual(['b-1-2.weights.h5', 'b-2-1.weights.h5', 'b-2-3.weights.h5']);
  });
});
