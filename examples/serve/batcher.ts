/**
 * Dynamic batching, as TensorFlow Serving's batching session does it: requests
 * that arrive close together wait in one queue; a batch runs as soon as it
 * holds `maxBatchSize` rows, or `maxLatencyMs` after its first request
 * arrived, whichever comes first. The batch is ONE forward pass over all its
 * rows; each request gets back its own slice of the output. Requests are
 * never split: a batch takes whole requests, and one request larger than
 * `maxBatchSize` runs alone.
 *
 * The forward pass is synchronous (the native kernels run on TensorFlow's
 * threads while this thread waits), so while a batch runs the next one fills
 * up with the requests that arrive meanwhile.
 */
import { DuetError } from '@duet/core';

/** Runs one batch: `rows` rows of `inputSize` values, flat, in; `rows` rows of outputs, flat, out. */
export type RunBatch = (input: Float32Array, rows: number) => Float32Array;

export interface BatcherOptions {
  inputSize: number;
  maxBatchSize: number;
  maxLatencyMs: number;
  maxQueueRows: number;
  /** Called after each batch with its rows, requests and forward time (for metrics). */
  onBatch?: (rows: number, requests: number, seconds: number) => void;
}

export type BatcherErrorCode = 'QUEUE_FULL' | 'CLOSED';

/** The queue is full (answer 503 and ask the client to retry), or the batcher was closed. */
export class BatcherError extends DuetError {
  declare readonly code: BatcherErrorCode;
  constructor(code: BatcherErrorCode, message: string) {
    super(code, message);
  }
}

interface Pending {
  pixels: readonly (readonly number[])[];
  resolve: (out: Float32Array) => void;
  reject: (err: unknown) => void;
}

export class Batcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private draining = false;
  private closed = false;

  constructor(
    private readonly run: RunBatch,
    private readonly options: BatcherOptions,
  ) {}

  /** Rows waiting for a batch. */
  get queueRows(): number {
    return this.queuedRows;
  }

  /** Requests waiting for a batch. */
  get queueRequests(): number {
    return this.queue.length;
  }

  /**
   * Queues one request's rows; resolves to its outputs (rows x outputs, flat).
   * Rejects at once with BatcherError('QUEUE_FULL') when the rows would pass
   * maxQueueRows, or 'CLOSED' after close().
   */
  submit(pixels: readonly (readonly number[])[]): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new BatcherError('CLOSED', 'The server is shutting down and takes no new requests.'));
    const { maxQueueRows, maxBatchSize, maxLatencyMs } = this.options;
    if (this.queuedRows + pixels.length > maxQueueRows) {
      return Promise.reject(
        new BatcherError('QUEUE_FULL', `The batch queue is full (${this.queuedRows} rows waiting, at most ${maxQueueRows}): retry later.`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ pixels, resolve, reject });
      this.queuedRows += pixels.length;
      if (this.draining || this.queuedRows >= maxBatchSize) this.runSoon();
      else if (this.timer === undefined && this.immediate === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, maxLatencyMs);
      }
    });
  }

  /**
   * For shutdown: runs everything queued now, and from then on runs each
   * request as soon as it arrives (requests already accepted by the HTTP
   * server are still answered). After `close()` new requests are refused.
   */
  drain(): void {
    this.draining = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) this.runOne();
  }

  /** Drains, then refuses further requests with BatcherError('CLOSED'). */
  close(): void {
    this.drain();
    this.closed = true;
  }

  private runSoon(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.flush();
    });
  }

  /** Runs one batch; if rows are left over (they have waited already) runs the next one on the next turn. */
  private flush(): void {
    this.runOne();
    if (this.queue.length > 0) this.runSoon();
  }

  /** Takes whole requests from the head of the queue up to maxBatchSize rows and runs them as one forward pass. */
  private runOne(): void {
    const { inputSize, maxBatchSize, onBatch } = this.options;
    let rows = 0;
    let count = 0;
    while (count < this.queue.length) {
      const n = this.queue[count]!.pixels.length;
      if (count > 0 && rows + n > maxBatchSize) break;
      rows += n;
      count++;
    }
    if (count === 0) return;
    const batch = this.queue.splice(0, count);
    this.queuedRows -= rows;
    const input = new Float32Array(rows * inputSize);
    let offset = 0;
    for (const p of batch) {
      for (const row of p.pixels) {
        input.set(row, offset);
        offset += inputSize;
      }
    }
    let output: Float32Array;
    const t0 = process.hrtime.bigint();
    try {
      output = this.run(input, rows);
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    onBatch?.(rows, count, Number(process.hrtime.bigint() - t0) / 1e9);
    const width = output.length / rows;
    offset = 0;
    for (const p of batch) {
      const n = p.pixels.length * width;
      p.resolve(output.subarray(offset, offset + n));
      offset += n;
    }
  }
}
