/**
 * What the two runs of `pnpm mnist` share: their result record, the memory
 * sampler, and the Ctrl-C flag.
 */
import { memory } from '@duet/core';

/** One style's run, as the table and the chart show it. */
export interface RunResult {
  style: 'Keras' | 'nn.Module';
  /** Trainable parameters. */
  params: number;
  /** Epochs asked for. */
  epochs: number;
  /** Per completed epoch: training loss and accuracy (means over the epoch's batches) and seconds. */
  loss: number[];
  accuracy: number[];
  seconds: number[];
  /** Native kernels of one training step (core's countKernels). */
  kernelsPerStep: number;
  /** On the test set, after the last epoch; null when interrupted. */
  testAccuracy: number | null;
  peak: PeakMemory;
  /** Ctrl-C stopped this run before its last epoch ended. */
  interrupted: boolean;
}

/**
 * The highest `memory().numBytes` and `numTensors` seen, sampled every
 * `SAMPLE_EVERY` training steps and at the end of each epoch. "Peak" is the
 * maximum over these samples of the whole process's native tensors: the
 * model, the optimizer's slots, the live step's tensors, and data held as
 * native tensors (Keras's x / y arrays; the DataLoader's batches are made
 * step by step).
 */
export class PeakMemory {
  static readonly SAMPLE_EVERY = 50;
  numBytes = 0;
  numTensors = 0;
  samples = 0;
  sample(): void {
    const m = memory();
    this.numBytes = Math.max(this.numBytes, m.numBytes);
    this.numTensors = Math.max(this.numTensors, m.numTensors);
    this.samples++;
  }
}

/**
 * Set by the SIGINT handler. Training loops look at it every `SAMPLE_EVERY`
 * steps, after letting the event loop run (a signal is delivered there).
 */
export interface StopFlag {
  requested: boolean;
}

/** One turn of the event loop, so that a pending SIGINT reaches its handler. */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
