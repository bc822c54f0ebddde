/**
 * `keras.callbacks.BackupAndRestore` (Keras 3's `backup_and_restore.py`):
 * back up the model's weights and optimizer state at the end of every
 * epoch in `backupDir`, so that a `fit` interrupted by an error, a crash or
 * a kill can be run again with the same callback and resume at the epoch
 * after the last backup, with the optimizer state it had. The backup is
 * deleted when training completes (unless `deleteCheckpoint: false`).
 *
 * Files (as Keras names them): `latest.weights.h5` (Keras's weights layout,
 * optimizer included) and `training_metadata.json` (`{"epoch": next
 * epoch, "batch": 0}`), each written atomically, weights first.
 *
 * @example
 * ```ts
 * const backup = new keras.callbacks.BackupAndRestore('/tmp/backup');
 * await model.fit(x, y, { epochs: 10, callbacks: [backup] }); // interrupted at epoch 4
 * await model.fit(x, y, { epochs: 10, callbacks: [backup] }); // resumes at epoch 4
 * ```
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KerasValueError } from '../errors.js';
import { writeFileAtomic } from '../saving/archive.js';
import { SavingError } from '../saving/errors.js';
import { Callback } from './callback.js';

export interface BackupAndRestoreOptions {
  /** 'epoch' (default): back up at the end of every epoch. */
  saveFreq?: 'epoch';
  /** Delete the backup when training completes. Default true. */
  deleteCheckpoint?: boolean;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly deleteCheckpoint: boolean;
  /** The epoch the last `fit` resumed from, or null if it started afresh. */
  resumedFromEpoch: number | null = null;

  constructor(backupDir: string, options: BackupAndRestoreOptions = {}) {
    super();
    if (typeof backupDir !== 'string' || backupDir === '') throw new KerasValueError(`Empty \`backup_dir\` argument passed. Received: backupDir=${String(backupDir)}`);
    if ((options.saveFreq ?? 'epoch') !== 'epoch') throw new KerasValueError(`BackupAndRestore: only saveFreq 'epoch' is supported. Received: saveFreq=${String(options.saveFreq)}`);
    this.backupDir = backupDir;
    this.deleteCheckpoint = options.deleteCheckpoint ?? true;
  }

  get weightsPath(): string {
    return join(this.backupDir, 'latest.weights.h5');
  }
  get metadataPath(): string {
    return join(this.backupDir, 'training_metadata.json');
  }

  override async onTrainBegin(): Promise<void> {
    const model = this.model!;
    this.resumedFromEpoch = null;
    if (!model.built) throw new KerasValueError('To use the BackupAndRestore callback, you model must be built before you call `fit()`.');
    if (!(await exists(this.metadataPath)) || !(await exists(this.weightsPath))) return;
    let epoch: unknown;
    try {
      epoch = (JSON.parse(await readFile(this.metadataPath, 'utf8')) as { epoch?: unknown }).epoch;
    } catch (e) {
      throw new SavingError('ERR_KERAS_CONFIG', `${this.metadataPath}: not valid JSON (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
    }
    if (!Number.isInteger(epoch) || (epoch as number) < 0) throw new SavingError('ERR_KERAS_CONFIG', `${this.metadataPath}: expected {"epoch": a non-negative integer}, received epoch=${JSON.stringify(epoch)}.`);
    await model.loadWeights(this.weightsPath);
    model.resumeFromEpoch = epoch as number;
    this.resumedFromEpoch = epoch as number;
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    await mkdir(this.backupDir, { recursive: true });
    await this.model!.saveWeights(this.weightsPath);
    await writeFileAtomic(this.metadataPath, new TextEncoder().encode(JSON.stringify({ epoch: epoch + 1, batch: 0 })));
  }

  override async onTrainEnd(): Promise<void> {
    if (this.deleteCheckpoint) await rm(this.backupDir, { recursive: true, force: true });
  }
}
