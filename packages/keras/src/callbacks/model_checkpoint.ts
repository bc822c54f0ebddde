/**
 * `keras.callbacks.ModelCheckpoint` (Keras 3's `model_checkpoint.py`): save
 * the model (`.keras`) or its weights (`.weights.h5`) every epoch or every
 * `saveFreq` batches, optionally only when the monitored metric improves.
 * The file name is a Python format template filled with `epoch` (1-based),
 * `batch` (when saving by batch) and the logs:
 * `'ckpt-{epoch:02d}-{val_loss:.2f}.keras'`.
 *
 * @example
 * ```ts
 * const ckpt = new keras.callbacks.ModelCheckpoint('best.keras', { monitor: 'val_loss', saveBestOnly: true });
 * await model.fit(x, y, { epochs: 10, validationSplit: 0.2, callbacks: [ckpt] });
 * ```
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KerasValueError } from '../errors.js';
import type { Logs } from './callback.js';
import { formatFixed, formatPath } from './format_path.js';
import { MonitorCallback, type MonitorMode } from './monitor_callback.js';

export interface ModelCheckpointOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** 1 prints a line per save (or non-improvement). Default 0. */
  verbose?: number;
  /** Save only when `monitor` improves on the best so far. Default false. */
  saveBestOnly?: boolean;
  /** Save weights (`.weights.h5`) instead of the whole model (`.keras`). Default false. */
  saveWeightsOnly?: boolean;
  /** 'min', 'max' or 'auto' (from the metric's name). Default 'auto'. */
  mode?: MonitorMode;
  /** 'epoch' (default) or a number of batches. */
  saveFreq?: 'epoch' | number;
  /** With `saveBestOnly`: the value to beat before the first save. */
  initialValueThreshold?: number | null;
}

export class ModelCheckpoint extends MonitorCallback {
  readonly filepath: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly saveFreq: 'epoch' | number;
  readonly initialValueThreshold: number | null;
  /** Paths written so far, in order. */
  readonly saved: string[] = [];
  private currentEpoch = 0;
  private batchesSinceSave = 0;
  private lastBatchSeen = 0;

  constructor(filepath: string, options: ModelCheckpointOptions = {}) {
    super(options.monitor ?? 'val_loss', options.mode ?? 'auto', 0, 'ModelCheckpoint');
    if (typeof filepath !== 'string' || filepath === '') throw new KerasValueError(`ModelCheckpoint needs a file path. Received: filepath=${String(filepath)}`);
    this.filepath = filepath;
    this.verbose = options.verbose ?? 0;
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.saveWeightsOnly = options.saveWeightsOnly ?? false;
    this.saveFreq = options.saveFreq ?? 'epoch';
    this.initialValueThreshold = options.initialValueThreshold ?? null;
    if (this.saveFreq !== 'epoch' && !(Number.isInteger(this.saveFreq) && (this.saveFreq as number) > 0)) {
      throw new KerasValueError(`Unrecognized save_freq: ${String(this.saveFreq)}. Expected save_freq are 'epoch' or a positive integer.`);
    }
    if (this.saveWeightsOnly && !filepath.endsWith('.weights.h5')) {
      throw new KerasValueError(`When using \`saveWeightsOnly: true\` in \`ModelCheckpoint\`, the filepath provided must end in \`.weights.h5\` (Keras weights format). Received: filepath=${filepath}`);
    }
    if (!this.saveWeightsOnly && !filepath.endsWith('.keras')) {
      throw new KerasValueError(`The filepath provided must end in \`.keras\` (Keras model format). Received: filepath=${filepath}`);
    }
    this.resetBest(this.initialValueThreshold);
  }

  override onTrainBegin(): void {
    this.resetBest(this.initialValueThreshold);
    this.batchesSinceSave = 0;
    this.lastBatchSeen = 0;
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override onTrainBatchEnd(batch: number, logs?: Logs): Promise<void> | void {
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave += batch <= this.lastBatchSeen ? batch + 1 : batch - this.lastBatchSeen;
    this.lastBatchSeen = batch;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    return this.save(this.currentEpoch, batch, { ...logs });
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> | void {
    if (this.saveFreq === 'epoch') return this.save(epoch, null, logs);
  }

  private async save(epoch: number, batch: number | null, logs: Logs): Promise<void> {
    const model = this.model!;
    const path = formatPath(this.filepath, { ...logs, epoch: epoch + 1, ...(batch !== null ? { batch: batch + 1 } : {}) });
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        process.emitWarning(`Can save best model only with ${this.monitor} available. Available metrics are: ${Object.keys(logs).join(',')}`);
        return;
      }
      if (!this.isImprovement(current, this.best)) {
        if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${formatFixed(this.best, 5)}`);
        return;
      }
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${formatFixed(this.best, 5)} to ${formatFixed(current, 5)}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: saving model to ${path}`);
    const dir = dirname(path);
    if (dir !== '' && dir !== '.') await mkdir(dir, { recursive: true });
    if (this.saveWeightsOnly) await model.saveWeights(path);
    else await model.save(path);
    this.saved.push(path);
  }
}
