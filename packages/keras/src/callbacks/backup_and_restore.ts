/**
 * `keras.callbacks.BackupAndRestore` (Keras 3's `backup_and_restore.py`):
 * back up the model's weights and optimizer state at the end of every
 * epoch in `backupDir`, so that a `fit` interrupted by an error, a crash or
 * a kill can be run again with the same callback and resume at the epoch
 * after the last backup, with the optimizer state it had. The backup is
 * deleted when training completes (unless `deleteCheckpoint: false`).
 *
 * Files (as Keras names them): `latest.weights.h5` (Keras's weights layout,
 * optimizer included) and `training_metadata.json` (`{"epoch": epochs
 * completed, "batch": last batch seen}`), each written atomically, weights
 * first; the previous pair is kept as `_latest.weights.h5` /
 * `_training_metadata.json`, and used if the latest weights cannot be read.
 * With `saveFreq` a number of batches, a backup is also made every that
 * many batches; as in Keras, a resumed fit then restarts the interrupted
 * epoch from its beginning, with the weights of the last backup.
 *
 * @example
 * ```ts
 * const backup = new keras.callbacks.BackupAndRestore('/tmp/backup');
 * await model.fit(x, y, { epochs: 10, callbacks: [backup] }); // interrupted at epoch 4
 * await model.fit(x, y, { epochs: 10, callbacks: [backup] }); // resumes at epoch 4
 * ```
 */
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KerasValueError } from '../errors.js';
import { writeFileAtomic } from '../saving/archive.js';
import { SavingError } from '../saving/errors.js';
import { Callback } from './callback.js';

export interface BackupAndRestoreOptions {
  /** 'epoch' (default): back up at the end of every epoch; a number: also every that many batches. */
  saveFreq?: 'epoch' | number;
  /** Delete the backup when training completes. Default true. */
  deleteCheckpoint?: boolean;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly saveFreq: 'epoch' | number;
  readonly deleteCheckpoint: boolean;
  /** The epoch the last `fit` resumed from, or null if it started afresh. */
  resumedFromEpoch: number | null = null;
  private currentEpoch = 0;
  private lastBatchSeen = 0;
  private batchesSinceSave = 0;

  constructor(backupDir: string, options: BackupAndRestoreOptions = {}) {
    super();
    if (typeof backupDir !== 'string' || backupDir === '') throw new KerasValueError(`Empty \`backup_dir\` argument passed. Received: backupDir=${String(backupDir)}`);
    this.saveFreq = options.saveFreq ?? 'epoch';
    if (this.saveFreq !== 'epoch' && !(Number.isInteger(this.saveFreq) && this.saveFreq > 0)) {
      throw new KerasValueError(`Invalid value for argument \`save_freq\`. Received: saveFreq=${String(options.saveFreq)}. Expected either 'epoch' or a positive integer.`);
    }
    this.backupDir = backupDir;
    this.deleteCheckpoint = options.deleteCheckpoint ?? true;
  }

  get weightsPath(): string {
    return join(this.backupDir, 'latest.weights.h5');
  }
  get metadataPath(): string {
    return join(this.backupDir, 'training_metadata.json');
  }
  private get prevWeightsPath(): string {
    return join(this.backupDir, '_latest.weights.h5');
  }
  private get prevMetadataPath(): string {
    return join(this.backupDir, '_training_metadata.json');
  }

  override async onTrainBegin(): Promise<void> {
    this.resumedFromEpoch = null;
    this.currentEpoch = 0;
    this.lastBatchSeen = 0;
    this.batchesSinceSave = 0;
    try {
      await this.restore();
    } catch (e) {
      // The latest backup cannot be read: fall back to the one before it, if any.
      if (!(e instanceof SavingError) || !(await exists(this.prevWeightsPath))) throw e;
      await copyFile(this.prevWeightsPath, this.weightsPath);
      await rm(this.prevWeightsPath);
      if (await exists(this.prevMetadataPath)) {
        await copyFile(this.prevMetadataPath, this.metadataPath);
        await rm(this.prevMetadataPath);
      } else await rm(this.metadataPath, { force: true });
      await this.restore();
    }
  }

  private async restore(): Promise<void> {
    const model = this.model!;
    if (!model.built) throw new KerasValueError(`To use the BackupAndRestore callback, you model must be built before you call \`fit()\`. Model ${model.name} is unbuilt. You can build it beforehand by calling it on a batch of data.`);
    if (await exists(this.weightsPath)) await model.loadWeights(this.weightsPath);
    if (!(await exists(this.metadataPath))) return;
    let epoch: unknown;
    try {
      epoch = (JSON.parse(await readFile(this.metadataPath, 'utf8')) as { epoch?: unknown }).epoch;
    } catch (e) {
      throw new SavingError('ERR_KERAS_CONFIG', `${this.metadataPath}: not valid JSON (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
    }
    if (!Number.isInteger(epoch) || (epoch as number) < 0) throw new SavingError('ERR_KERAS_CONFIG', `${this.metadataPath}: expected {"epoch": a non-negative integer}, received epoch=${JSON.stringify(epoch)}.`);
    model.resumeFromEpoch = epoch as number;
    this.resumedFromEpoch = epoch as number;
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    this.currentEpoch = epoch + 1;
    this.lastBatchSeen = 0;
    if (this.saveFreq === 'epoch') await this.backup();
  }

  override onTrainBatchEnd(batch: number): Promise<void> | void {
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave += batch <= this.lastBatchSeen ? batch + 1 : batch - this.lastBatchSeen;
    this.lastBatchSeen = batch;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    return this.backup();
  }

  private async backup(): Promise<void> {
    await mkdir(this.backupDir, { recursive: true });
    if (await exists(this.weightsPath)) await copyFile(this.weightsPath, this.prevWeightsPath);
    if (await exists(this.metadataPath)) await copyFile(this.metadataPath, this.prevMetadataPath);
    await this.model!.saveWeights(this.weightsPath);
    await writeFileAtomic(this.metadataPath, new TextEncoder().encode(JSON.stringify({ epoch: this.currentEpoch, batch: this.lastBatchSeen })));
  }

  override async onTrainEnd(): Promise<void> {
    if (this.deleteCheckpoint) await rm(this.backupDir, { recursive: true, force: true });
  }
}
