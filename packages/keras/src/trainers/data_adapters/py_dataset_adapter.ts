/**
 * Batches from a `keras.utils.PyDataset` (Keras 3's `PyDatasetAdapter`):
 * each epoch visits batches `0 .. numBatches - 1`, in a new random order
 * when `shuffle` is on; `onEpochBegin` / `onEpochEnd` run around each pass.
 * With `stepsPerEpoch`, an epoch ends after that many batches.
 */
import { randomUniform } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { PyDataset } from '../../utils/py_dataset.js';
import type { Batch, DataAdapter } from './data_adapter.js';
import { unpackBatch } from './iterable_data_adapter.js';

export class PyDatasetAdapter implements DataAdapter {
  readonly numSamples = null;
  readonly numBatches: number;
  readonly async = false;
  readonly exhausted = false;
  private order: number[] = [];
  private step = 0;
  private ended = false;

  constructor(
    private readonly dataset: PyDataset,
    private readonly shuffle: boolean,
    private readonly stepsPerEpoch: number | null,
  ) {
    const n = dataset.numBatches;
    if (!Number.isInteger(n) || n < 0) throw new KerasValueError(`A PyDataset's \`length\` (its number of batches) must be a non-negative integer. Received: ${String(n)}`);
    this.numBatches = stepsPerEpoch ?? n;
  }

  beginEpoch(): void {
    const n = this.dataset.numBatches;
    this.order = [...Array(n).keys()];
    if (this.shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(randomUniform() * (i + 1));
        [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
      }
    }
    this.step = 0;
    this.ended = false;
    this.dataset.onEpochBegin();
  }

  next(): Batch | null {
    const limit = Math.min(this.order.length, this.stepsPerEpoch ?? Infinity);
    if (this.step >= limit) {
      if (!this.ended) this.dataset.onEpochEnd();
      this.ended = true;
      return null;
    }
    return unpackBatch(this.dataset.get(this.order[this.step++]!));
  }

  touch(): void {}
  // The batches are the dataset's.
  releaseBatch(): void {}
  dispose(): void {}
}
