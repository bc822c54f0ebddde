/**
 * The main thread's side of DataLoader workers: starts the threads, keeps up
 * to `prefetchFactor` requests in flight per worker, and hands results back in
 * request order. Errors become DataWorkerError with the failing item's index
 * and the worker's stack. Threads end when iteration ends or stops early
 * (unless persistent), and never keep the process alive while idle.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataOptionError, DataWorkerError } from './errors.js';
import type { Reply, Request, SerializedError, WorkerInit } from './worker_main.js';

export interface PoolConfig {
  numWorkers: number;
  prefetchFactor: number;
  dataset: unknown;
  collate: boolean;
  batchSize: number | null;
  dropLast: boolean;
  /** Module URLs the workers will import (to decide whether a TypeScript loader is needed). */
  modules: string[];
}

interface Pending {
  id: number;
  worker: number;
  promise: Promise<Reply>;
}

const live = new Set<WorkerPool>();
let exitHook = false;

/** Worker thread entry: `worker_main.js` next to this file (`.ts` when running from sources). */
function entry(): { url: string; typescript: boolean } {
  const typescript = import.meta.url.endsWith('.ts');
  return { url: new URL(`./worker_main.${typescript ? 'ts' : 'js'}`, import.meta.url).href, typescript };
}

/** tsx's ESM register API, for workers that import TypeScript sources. */
function tsxApi(): string | undefined {
  for (const from of [import.meta.url, pathToFileURL(join(process.cwd(), 'noop.js')).href]) {
    try {
      const pkg = createRequire(from).resolve('tsx/package.json');
      return pathToFileURL(join(pkg, '..', 'dist', 'esm', 'api', 'index.mjs')).href;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

function spawn(init: WorkerInit, modules: string[]): Worker {
  const { url, typescript } = entry();
  const needsTs = typescript || modules.some((m) => /\.[cm]?ts$/.test(m));
  if (!needsTs) return new Worker(new URL(url), { workerData: init });
  const api = tsxApi();
  if (api === undefined) {
    throw new DataOptionError('numWorkers', `DataLoader workers must import TypeScript (${modules.find((m) => /\.[cm]?ts$/.test(m)) ?? url}) but no TypeScript loader was found: install tsx, or compile to JavaScript.`);
  }
  const execArgv = process.execArgv.some((a) => a === 'source' || a === '--conditions=source') || !typescript ? process.execArgv : [...process.execArgv, '--conditions=source'];
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData: init, execArgv });
}

export class WorkerPool {
  private workers: Worker[] = [];
  private waiting = new Map<number, { worker: number; resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(private readonly cfg: PoolConfig) {}

  get started(): boolean {
    return this.workers.length > 0;
  }

  /** Start the threads, or re-seed running ones for a new epoch. */
  start(seed: number): void {
    if (this.started) {
      this.workers.forEach((w, i) => {
        w.ref();
        w.postMessage({ type: 'epoch', seed: (seed + i) >>> 0 } satisfies Request);
      });
      return;
    }
    for (let i = 0; i < this.cfg.numWorkers; i++) {
      const init: WorkerInit = {
        id: i, numWorkers: this.cfg.numWorkers, seed: (seed + i) >>> 0, dataset: this.cfg.dataset,
        collate: this.cfg.collate, batchSize: this.cfg.batchSize, dropLast: this.cfg.dropLast,
      };
      const w = spawn(init, this.cfg.modules);
      w.on('message', (r: Reply) => this.onReply(r));
      w.on('error', (e) => this.fail(i, new DataWorkerError(i, undefined, `DataLoader worker ${i} crashed: ${e.message}`, { cause: e, workerStack: e.stack })));
      w.on('exit', (code) => {
        if (this.workers[i] === w) this.fail(i, new DataWorkerError(i, undefined, `DataLoader worker ${i} exited unexpectedly (exit code ${code}).`));
      });
      this.workers.push(w);
    }
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => live.forEach((p) => p.terminate()));
    }
  }

  /** Stop the threads now. */
  terminate(): void {
    const ws = this.workers;
    this.workers = [];
    live.delete(this);
    for (const w of ws) void w.terminate();
    this.fail(-1, new DataWorkerError(-1, undefined, 'DataLoader workers were shut down.'));
    this.failure = undefined;
  }

  /** Let the process exit while the (persistent) threads wait for the next epoch. */
  idle(): void {
    for (const w of this.workers) w.unref();
  }

  private request(worker: number, make: (id: number) => Request): Pending {
    const id = this.nextId++;
    const promise = new Promise<Reply>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting.set(id, { worker, resolve, reject });
    });
    promise.catch(() => undefined); // handled by whoever awaits it
    this.workers[worker]!.postMessage(make(id));
    return { id, worker, promise };
  }

  private onReply(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (w === undefined) return;
    this.waiting.delete(r.id);
    if (r.type !== 'error') return w.resolve(r);
    w.reject(workerError(w.worker, r.index, r.error));
  }

  private fail(worker: number, e: Error): void {
    if (worker >= 0) this.failure ??= e;
    for (const [id, w] of this.waiting) {
      if (worker < 0 || w.worker === worker) {
        this.waiting.delete(id);
        w.reject(e);
      }
    }
  }

  /**
   * The batches, in order. `indexBatches` (map-style) lists the indices of each
   * batch; null means iterable mode, where each worker streams its own items
   * and batches are taken from the workers in turn until all are exhausted.
   */
  async *batches(indexBatches: Iterator<number[]> | null): AsyncGenerator<unknown> {
    const n = this.cfg.numWorkers;
    const cap = n * this.cfg.prefetchFactor;
    const queue: Pending[] = [];
    const inFlight = new Array<number>(n).fill(0);
    const exhausted = new Set<number>();
    let sent = 0;
    let indicesDone = false;
    const fill = (): void => {
      while (queue.length < cap) {
        if (indexBatches !== null) {
          if (indicesDone) return;
          const next = indexBatches.next();
          if (next.done) {
            indicesDone = true;
            return;
          }
          const w = sent++ % n;
          queue.push(this.request(w, (id) => ({ type: 'fetch', id, indices: next.value })));
        } else {
          let w = -1;
          for (let k = 0; k < n; k++) {
            const c = (sent + k) % n;
            if (!exhausted.has(c) && inFlight[c]! < this.cfg.prefetchFactor) {
              w = c;
              break;
            }
          }
          if (w < 0) return;
          sent = w + 1;
          inFlight[w]!++;
          queue.push(this.request(w, (id) => ({ type: 'next', id })));
        }
      }
    };
    fill();
    while (queue.length > 0) {
      const head = queue.shift()!;
      const reply = await head.promise;
      inFlight[head.worker]!--;
      if (reply.type === 'end') exhausted.add(head.worker);
      fill();
      if (reply.type === 'batch') yield reply.data;
    }
  }
}

function workerError(worker: number, index: number | undefined, e: SerializedError): DataWorkerError {
  const cause = Object.assign(new Error(e.message), { name: e.name, stack: e.stack, code: e.code });
  const where = index === undefined ? '' : ` on dataset item ${index}`;
  const stack = e.stack ? `\n--- stack in the worker ---\n${e.stack}` : '';
  return new DataWorkerError(worker, index, `DataLoader worker ${worker} failed${where}: ${e.name}: ${e.message}${stack}`, { cause, workerStack: e.stack });
}
