/**
 * `keras.callbacks.TensorBoard`: event files that TensorBoard reads, laid
 * out as Keras 3 lays them out: `<logDir>/train` gets `epoch_<metric>`
 * scalars (and `epoch_learning_rate`) at step = epoch, `<logDir>/validation`
 * gets the `val_*` metrics as `epoch_<metric>` plus
 * `evaluation_<metric>_vs_iterations` at step = optimizer iterations. With
 * `updateFreq` a number (or 'batch'), training batches also log
 * `batch_<metric>` every that many batches; with `histogramFreq` > 0, every
 * weight gets a histogram (`<layer>/<weight>/histogram`) every that many
 * epochs. The files are written by callbacks/tfevents.ts.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 5, validationSplit: 0.2, callbacks: [new keras.callbacks.TensorBoard({ logDir: 'logs', histogramFreq: 1 })] });
 * // then: tensorboard --logdir logs
 * ```
 */
import { join } from 'node:path';
import { KerasValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';
import { EventFileWriter } from './tfevents.js';

export interface TensorBoardOptions {
  /** Default 'logs'. */
  logDir?: string;
  /** Weight histograms every this many epochs (0: none). Default 0. */
  histogramFreq?: number;
  /** 'epoch' (default), 'batch' (every batch), or every this many batches. */
  updateFreq?: 'epoch' | 'batch' | number;
  /**
   * Keras's embedding-projector snapshots every this many epochs. Only 0
   * (Keras's default: none) is supported; Duet writes no projector data, so
   * any other value is an error rather than silently nothing.
   */
  embeddingsFreq?: number;
}

export class TensorBoard extends Callback {
  readonly logDir: string;
  readonly histogramFreq: number;
  readonly updateFreq: 'epoch' | number;
  readonly embeddingsFreq: number;
  private train: EventFileWriter | null = null;
  private val: EventFileWriter | null = null;
  private trainStep = 0;
  private inFit = false;

  constructor(options: TensorBoardOptions = {}) {
    super();
    this.logDir = options.logDir ?? 'logs';
    this.histogramFreq = options.histogramFreq ?? 0;
    const u = options.updateFreq ?? 'epoch';
    this.updateFreq = u === 'batch' ? 1 : u;
    if (!(Number.isInteger(this.histogramFreq) && this.histogramFreq >= 0)) throw new KerasValueError(`\`histogram_freq\` must be a non-negative integer. Received: histogramFreq=${String(options.histogramFreq)}`);
    if (this.updateFreq !== 'epoch' && !(Number.isInteger(this.updateFreq) && this.updateFreq > 0)) throw new KerasValueError(`\`update_freq\` must be 'epoch', 'batch' or a positive integer. Received: updateFreq=${String(u)}`);
    this.embeddingsFreq = options.embeddingsFreq ?? 0;
    if (this.embeddingsFreq !== 0) {
      throw new KerasValueError(`\`embeddings_freq\` > 0 (embedding projector snapshots) is not supported: Duet's TensorBoard callback writes scalars and histograms only. Received: embeddingsFreq=${String(options.embeddingsFreq)}; pass 0 (Keras's default).`);
    }
  }

  /** Where the train and validation event files go. */
  get trainDir(): string {
    return join(this.logDir, 'train');
  }
  get validationDir(): string {
    return join(this.logDir, 'validation');
  }
  /** The event files written by the current (or last) fit. */
  get files(): { train: string | null; validation: string | null } {
    return { train: this.train?.path ?? null, validation: this.val?.path ?? null };
  }

  private trainWriter(): EventFileWriter {
    return (this.train ??= new EventFileWriter(this.trainDir));
  }
  private valWriter(): EventFileWriter {
    return (this.val ??= new EventFileWriter(this.validationDir));
  }

  override onTrainBegin(): void {
    this.train = null;
    this.val = null;
    this.trainStep = 0;
    this.inFit = true;
  }

  override onTrainBatchEnd(_batch: number, logs?: Logs): void {
    this.trainStep++;
    if (this.updateFreq === 'epoch' || this.trainStep % this.updateFreq !== 0 || logs === undefined) return;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) values[`batch_${k}`] = v;
    this.trainWriter().scalars(this.trainStep, values);
  }

  override onTestEnd(logs?: Logs): void {
    // Only validation inside fit (Keras's evaluation_*_vs_iterations); evaluate() alone writes nothing.
    const opt = this.model?.optimizer;
    if (!this.inFit || logs === undefined || opt === null || opt === undefined) return;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) values[`evaluation_${k}_vs_iterations`] = v;
    this.valWriter().scalars(opt.iterations, values);
  }

  override onTrainEnd(): void {
    this.inFit = false;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const train: Record<string, number> = {};
    const val: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) {
      if (k.startsWith('val_')) val[`epoch_${k.slice(4)}`] = v;
      else train[`epoch_${k}`] = v;
    }
    const opt = this.model?.optimizer;
    if (opt !== null && opt !== undefined && !('epoch_learning_rate' in train)) train.epoch_learning_rate = opt.learningRate;
    this.trainWriter().scalars(epoch, train);
    if (Object.keys(val).length > 0) this.valWriter().scalars(epoch, val);
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0) {
      for (const w of this.model!.weights) this.trainWriter().histogram(epoch, `${w.path}/histogram`, w.dataSync());
    }
  }
}
