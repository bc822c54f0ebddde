import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualSeed, memory, tensor } from '@duet/core';
import * as keras from '../index.js';
import { BackupAndRestore } from './backup_and_restore.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = () => tensor([[0, 1], [1, 0], [1, 1], [0, 0], [0.5, 0.5], [0.2, 0.8]]);
const y = () => tensor([[1], [1], [2], [0], [1], [1]]);

/** The same freshly initialised model each time (same seed), compiled with Adam (which has state). */
function fresh(): keras.Model {
  manualSeed(9);
  const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(4, { activation: 'relu' }), new keras.layers.Dense(1)]);
  m.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 0.05 }), loss: 'mse' });
  return m;
}
const weights = (m: keras.Model) => m.getWeights().map((t) => Array.from(t.dataSync()));

class Interrupt extends keras.callbacks.Callback {
  constructor(private readonly atEpoch: number) { super(); }
  override onEpochEnd(epoch: number): void {
    if (epoch === this.atEpoch) throw new Error(`simulated crash after epoch ${epoch}`);
  }
}

describe('BackupAndRestore', () => {
  it('an interrupted fit resumes at the right epoch with the optimizer state, ending where an uninterrupted run ends', async () => {
    const fit = { epochs: 5, batchSize: 3, shuffle: false as const, verbose: 0 as const };
    const reference = fresh();
    await reference.fit(x(), y(), fit);

    const backupDir = join(dir, 'run');
    const backup = new BackupAndRestore(backupDir);
    const first = fresh();
    // The backup callback runs before the crash in the same epoch, so epochs 0..2 are backed up.
    await expect(first.fit(x(), y(), { ...fit, callbacks: [backup, new Interrupt(2)] })).rejects.toThrow(/simulated crash/);
    expect(JSON.parse(readFileSync(join(backupDir, 'training_metadata.json'), 'utf8'))).toEqual({ epoch: 3, batch: 0 });

    const second = fresh(); // a new process: fresh weights, fresh optimizer
    const h = await second.fit(x(), y(), { ...fit, callbacks: [backup] });
    expect(backup.resumedFromEpoch).toBe(3);
    expect(h.epoch).toEqual([3, 4]);
    expect(second.optimizer!.iterations).toBe(reference.optimizer!.iterations);
    expect(weights(second)).toEqual(weights(reference));
    // Completed: the backup is gone.
    expect(existsSync(backupDir)).toBe(false);
  });

  it('keeps the backup with deleteCheckpoint: false, and leaks no tensors across a resumed fit', async () => {
    const backupDir = join(dir, 'keep');
    const m = fresh();
    await m.fit(x(), y(), { epochs: 2, verbose: 0, callbacks: [new BackupAndRestore(backupDir, { deleteCheckpoint: false })] });
    expect(existsSync(join(backupDir, 'latest.weights.h5'))).toBe(true);
    await m.fit(x(), y(), { epochs: 3, verbose: 0, callbacks: [new BackupAndRestore(backupDir, { deleteCheckpoint: false })] }); // warm-up
    await m.fit(x(), y(), { epochs: 1, verbose: 0 }); // the same boundary as after the measured run
    const before = memory().numTensors;
    const h = await m.fit(x(), y(), { epochs: 4, verbose: 0, callbacks: [new BackupAndRestore(backupDir, { deleteCheckpoint: false })] });
    expect(h.epoch).toEqual([3]);
    await m.fit(x(), y(), { epochs: 1, verbose: 0 }); // a boundary releases the last step's reads
    expect(memory().numTensors).toBe(before);
  });

  it('refuses a damaged metadata file with a typed error', async () => {
    const backupDir = join(dir, 'bad');
    const m = fresh();
    await m.fit(x(), y(), { epochs: 1, verbose: 0, callbacks: [new BackupAndRestore(backupDir, { deleteCheckpoint: false })] });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(backupDir, 'training_metadata.json'), '{"epoch": -3}');
    await expect(m.fit(x(), y(), { epochs: 2, verbose: 0, callbacks: [new BackupAndRestore(backupDir)] })).rejects.toMatchObject({ code: 'ERR_KERAS_CONFIG' });
  });

  it('saveFreq in batches: a fit interrupted mid-epoch restarts that epoch from the last backup (Keras\'s rule)', async () => {
    const backupDir = join(dir, 'batches');
    const backup = new BackupAndRestore(backupDir, { saveFreq: 1 });
    const crash = new keras.callbacks.LambdaCallback({ onTrainBatchEnd: (b) => { if (first.optimizer!.iterations === 3) throw new Error(`crash at batch ${b}`); } });
    const first = fresh();
    // 2 batches per epoch: the crash comes after the 3rd step (epoch 1, batch 0), whose backup is written first.
    await expect(first.fit(x(), y(), { epochs: 3, batchSize: 3, shuffle: false, verbose: 0, callbacks: [backup, crash] })).rejects.toThrow(/crash/);
    expect(JSON.parse(readFileSync(join(backupDir, 'training_metadata.json'), 'utf8'))).toEqual({ epoch: 1, batch: 0 });
    const second = fresh();
    const h = await second.fit(x(), y(), { epochs: 3, batchSize: 3, shuffle: false, verbose: 0, callbacks: [backup] });
    expect(h.epoch).toEqual([1, 2]);
    expect(second.optimizer!.iterations).toBe(3 + 4);
    expect(() => new BackupAndRestore(backupDir, { saveFreq: 0 })).toThrow(/save_freq/);
  });

  it('falls back to the previous backup when the latest weights cannot be read', async () => {
    const backupDir = join(dir, 'fallback');
    const m = fresh();
    await m.fit(x(), y(), { epochs: 2, verbose: 0, callbacks: [new BackupAndRestore(backupDir, { deleteCheckpoint: false })] });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(backupDir, 'latest.weights.h5'), 'garbage');
    const again = fresh();
    const cb = new BackupAndRestore(backupDir, { deleteCheckpoint: false });
    const h = await again.fit(x(), y(), { epochs: 3, verbose: 0, callbacks: [cb] });
    expect(cb.resumedFromEpoch).toBe(1); // the backup made after epoch 0
    expect(h.epoch).toEqual([1, 2]);
  });
});
