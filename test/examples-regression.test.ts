/**
 * examples/regression-csv.ts on the committed Auto MPG CSV: CSVDataset reads
 * all 392 rows, EarlyStopping stops `patience` epochs after the best
 * validation loss and puts that epoch's weights back, and the model beats
 * predicting the mean on the held-out cars; the native tensor count is the
 * same at the end of every epoch after the first.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CSV_PATH, main } from '../examples/regression-csv.js';

const quiet = () => {};

describe('examples/regression-csv', () => {
  it('the committed CSV: a header and 392 rows of 10 numbers', () => {
    const lines = readFileSync(CSV_PATH, 'utf8').trim().split('\n');
    expect(lines[0]!.split(',')[0]).toBe('mpg');
    expect(lines).toHaveLength(393);
    for (const l of lines.slice(1)) expect(l.split(',').every((v) => Number.isFinite(Number(v)))).toBe(true);
  });

  it('trains with validationSplit and EarlyStopping, and beats the mean', async () => {
    const patience = 3;
    const r = await main({ quick: true, epochs: 100, limit: undefined, patience }, quiet);
    const val = r.history.val_loss!;
    expect(val.length).toBe(r.epochsRun);
    expect(r.bestValLoss).toBe(Math.min(...val));
    // stopped early: exactly `patience` epochs without improvement after the best one
    expect(r.epochsRun).toBeLessThan(100);
    expect(r.epochsRun).toBe(r.bestEpoch + 1 + patience);
    expect(r.testMse).toBeLessThan(r.baselineMse / 2);
    expect(r.testMae).toBeGreaterThan(0);
    expect(r.examples).toHaveLength(5);
    // from epoch 2 on: EarlyStopping keeps a copy of the best weights from the end of epoch 1
    expect(new Set(r.tensorsPerEpoch.slice(1)).size, 'native tensors at each epoch end').toBe(1);
  }, 30_000);
});
