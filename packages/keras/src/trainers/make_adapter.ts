/** Choose the data adapter for `x` / `y` (Keras's `get_data_adapter`). */
import { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { ArrayDataAdapter } from './data_adapters/array_data_adapter.js';
import { isIterableData, type ArrayData, type DataAdapter, type XData, type YData } from './data_adapters/data_adapter.js';
import { IterableDataAdapter } from './data_adapters/iterable_data_adapter.js';
import { PyDatasetAdapter } from './data_adapters/py_dataset_adapter.js';
import { PyDataset } from '../utils/py_dataset.js';

export interface AdapterOptions {
  batchSize?: number | null;
  shuffle?: boolean | 'batch';
  steps?: number | null;
  sampleWeight?: ArrayData | null;
  /** Tensors the adapter created, released when the caller is done. */
  owned?: Tensor[];
}

export function makeAdapter(x: XData | undefined, y: YData | undefined | null, o: AdapterOptions): DataAdapter {
  if (x === undefined || x === null) throw new KerasValueError('Unrecognized data: `x` is required.');
  if (isIterableData(x)) {
    if (y !== undefined && y !== null) throw new KerasValueError('`y` argument is not supported when using an iterable (DataLoader, generator, PyDataset) as input: its batches carry the targets ([x, y]).');
    if (o.sampleWeight != null) throw new KerasValueError('`sample_weight` argument is not supported when using an iterable as input: yield [x, y, sampleWeight] batches instead.');
    // A PyDataset is indexed by batch, so that fit can shuffle the batches' order (its `batchSize` is ignored, as Keras ignores it).
    if (x instanceof PyDataset) return new PyDatasetAdapter(x, o.shuffle !== undefined && o.shuffle !== false, o.steps ?? null);
    return new IterableDataAdapter(x, o.steps ?? null);
  }
  return new ArrayDataAdapter(x as ArrayData, y, o.sampleWeight, { batchSize: o.batchSize ?? 32, shuffle: o.shuffle ?? false, stepsPerEpoch: o.steps ?? null }, o.owned);
}
