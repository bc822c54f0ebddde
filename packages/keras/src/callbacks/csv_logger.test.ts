import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualSeed, tensor } from '@duet/core';
import * as keras from '../index.js';
import { CSVLogger, pythonNumber } from './csv_logger.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CSVLogger', () => {
  it('writes numbers as Python does', () => {
    expect([0.1, 2, 1e-5, 0.0001, 1.5e16, 123.456, NaN, -Infinity, 0.10000000149011612].map((v) => pythonNumber(v)))
      .toEqual(['0.1', '2.0', '1e-05', '0.0001', '1.5e+16', '123.456', 'nan', '-inf', '0.10000000149011612']);
  });

  it('one row per epoch with sorted keys; append adds rows without a second header; custom separator', async () => {
    manualSeed(2);
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const x = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const y = tensor([[1], [2], [3], [4]]);
    const file = join(dir, 'log.csv');
    const h1 = await m.fit(x, y, { epochs: 2, verbose: 0, validationData: [x, y], callbacks: [new CSVLogger(file, { separator: ';' })] });
    const rows1 = (h: keras.callbacks.History) => h.epoch.map((e, i) => [String(e), ...['loss', 'mae', 'val_loss', 'val_mae'].map((k) => pythonNumber(h.history[k]![i]!))].join(';'));
    expect(readFileSync(file, 'utf8')).toBe(['epoch;loss;mae;val_loss;val_mae', ...rows1(h1), ''].join('\n'));
    const h2 = await m.fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0, validationData: [x, y], callbacks: [new CSVLogger(file, { separator: ';', append: true })] });
    expect(readFileSync(file, 'utf8')).toBe(['epoch;loss;mae;val_loss;val_mae', ...rows1(h1), ...rows1(h2), ''].join('\n'));
    // Without append the file starts over.
    await m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new CSVLogger(file)] });
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('epoch,loss,mae');
  });
});
