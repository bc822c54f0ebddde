/**
 * `keras.callbacks.TerminateOnNaN`: stop training when a batch's loss is
 * NaN or infinite (through `model.stopTraining`).
 */
import { Callback, type Logs } from './callback.js';

export class TerminateOnNaN extends Callback {
  /** The batch whose loss was not finite, or null. */
  terminatedAtBatch: number | null = null;

  override onTrainBegin(): void {
    this.terminatedAtBatch = null;
  }

  override onTrainBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.log(`Batch ${batch}: Invalid loss, terminating training`);
      this.terminatedAtBatch = batch;
      this.model!.stopTraining = true;
    }
  }
}
