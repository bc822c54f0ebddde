/**
 * `keras.callbacks.ProgbarLogger`: Keras's progress output. `verbose: 1` on
 * a terminal draws the live bar of utils/progbar.ts per epoch; otherwise (a
 * pipe, a file, CI) and with `verbose: 2` it prints one line per epoch.
 * Added by `fit` / `evaluate` / `predict` when `verbose` is not 0.
 */
import { Progbar } from '../utils/progbar.js';
import { Callback, type CallbackParams, type Logs } from './callback.js';

export class ProgbarLogger extends Callback {
  private progbar: Progbar | null = null;
  private seen = 0;
  private target: number | null = null;
  private verbose = 1;
  private epochs = 1;
  private calledInFit = false;
  /** Where the output goes (default process.stdout). */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

  constructor(options: { stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } } = {}) {
    super();
    this.stream = options.stream ?? process.stdout;
  }

  override setParams(params: CallbackParams): void {
    super.setParams(params);
    this.verbose = params.verbose;
    this.epochs = params.epochs;
    this.target = params.steps;
  }

  override onTrainBegin(): void {
    // Inside fit, validation is silent.
    this.calledInFit = true;
  }
  override onTrainEnd(): void {
    this.calledInFit = false;
  }
  override onTestBegin(): void {
    if (!this.calledInFit) this.reset();
  }
  override onPredictBegin(): void {
    this.reset();
  }
  override onEpochBegin(epoch: number): void {
    this.reset();
    if (this.verbose && this.epochs > 1) this.stream.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }
  override onTrainBatchEnd(batch: number, logs?: Logs): void {
    this.update(batch, logs);
  }
  override onTestBatchEnd(batch: number, logs?: Logs): void {
    if (!this.calledInFit) this.update(batch, logs);
  }
  override onPredictBatchEnd(batch: number): void {
    this.update(batch, undefined);
  }
  override onEpochEnd(_epoch: number, logs?: Logs): void {
    this.finalize(logs);
  }
  override onTestEnd(logs?: Logs): void {
    if (!this.calledInFit) this.finalize(logs);
  }
  override onPredictEnd(): void {
    this.finalize(undefined);
  }

  /** Stop drawing now (training ended early, e.g. with an error): no timer is left behind. */
  close(): void {
    this.progbar?.close();
    this.progbar = null;
  }

  private reset(): void {
    this.progbar?.close();
    this.seen = 0;
    this.progbar = null;
  }
  private bar(): Progbar {
    return (this.progbar ??= new Progbar(this.target, { verbose: this.verbose, stream: this.stream }));
  }
  private update(batch: number, logs: Logs | undefined): void {
    this.seen = batch + 1;
    this.bar().update(this.seen, logs ?? {}, false);
  }
  private finalize(logs: Logs | undefined): void {
    const bar = this.bar();
    if (this.target === null) bar.target = this.seen;
    bar.update(bar.target ?? this.seen, logs ?? {}, true);
    this.progbar = null;
  }
}
