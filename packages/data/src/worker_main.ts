/**
 * The entry of a DataLoader worker thread. It builds its own copy of the
 * dataset from the spec it was given, then answers the main thread's requests
 * one at a time: `fetch` (items at given indices: read, transform, stack into
 * typed arrays) or `next` (the next batch of its stream, for iterable
 * datasets). It never creates a native tensor; typed arrays are moved back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { manualSeed } from '@duet/core';
import * as builtinTransforms from './transforms/index.js';
import { hostCollate } from './collate.js';
import { isIterableDataset, type MapDataset } from './dataset.js';
import { TAG, _setWorkerInfo, pack } from './worker_spec.js';

export interface WorkerInit {
  id: number;
  numWorkers: number;
  seed: number;
  dataset: unknown;
  /** Stack batches here (default collate); otherwise send the samples. */
  collate: boolean;
  batchSize: number | null;
  dropLast: boolean;
}

export type Request = { type: 'fetch'; id: number; indices: number[] } | { type: 'next'; id: number } | { type: 'epoch'; seed: number };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export type Reply =
  | { type: 'batch'; id: number; data: unknown }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; index?: number; error: SerializedError };

function serialize(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, stack: err.stack, code: (err as { code?: string }).code };
}

function moduleUrl(m: string): string {
  return isAbsolute(m) ? pathToFileURL(m).href : m;
}

async function decode(v: unknown): Promise<unknown> {
  if (Array.isArray(v)) return Promise.all(v.map(decode));
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const o = v as Record<string, any>;
  if (o[TAG] === 'transform') {
    const C = (builtinTransforms as Record<string, any>)[o.name];
    return new C(...((await decode(o.args)) as unknown[]));
  }
  if (o[TAG] === 'dataset') return build(o.module, o.exportName, (await decode(o.args)) as unknown[]);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = await decode(x);
  return out;
}

async function build(module: string, exportName: string, args: unknown[]): Promise<unknown> {
  const mod = (await import(moduleUrl(module))) as Record<string, unknown>;
  if (!(exportName in mod)) throw new Error(`module ${module} has no export '${exportName}' (exports: ${Object.keys(mod).join(', ') || 'none'}).`);
  const value = mod[exportName];
  if (typeof value !== 'function') return value;
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(value));
  return isClass ? new (value as new (...a: unknown[]) => unknown)(...args) : await (value as (...a: unknown[]) => unknown)(...args);
}

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const post = (r: Reply, transfer: ArrayBuffer[] = []): void => port.postMessage(r, transfer);
  const seed = (s: number): void => {
    _setWorkerInfo({ id: init.id, numWorkers: init.numWorkers, seed: s });
    manualSeed(s);
  };
  seed(init.seed);

  let dataset: unknown;
  let startError: unknown;
  const ready = decode(init.dataset).then(
    (d) => (dataset = d),
    (e) => (startError = e),
  );
  let stream: AsyncIterator<unknown> | Iterator<unknown> | null = null;
  let position = 0;

  const send = (id: number, samples: unknown[]): void => {
    const data = init.batchSize === null ? samples[0] : init.collate ? hostCollate(samples) : samples;
    const transfer: ArrayBuffer[] = [];
    post({ type: 'batch', id, data: pack(data, transfer) }, transfer);
  };

  const handle = async (req: Request): Promise<void> => {
    await ready;
    if (req.type === 'epoch') {
      seed(req.seed);
      stream = null;
      position = 0;
      return;
    }
    if (startError !== undefined) {
      post({ type: 'error', id: req.id, error: serialize(startError) });
      return;
    }
    if (req.type === 'fetch') {
      const ds = dataset as MapDataset;
      const samples: unknown[] = [];
      for (const index of req.indices) {
        try {
          const s = ds.get(index);
          samples.push(s instanceof Promise ? await s : s);
        } catch (e) {
          post({ type: 'error', id: req.id, index, error: serialize(e) });
          return;
        }
      }
      try {
        send(req.id, samples);
      } catch (e) {
        post({ type: 'error', id: req.id, error: serialize(e) });
      }
      return;
    }
    // 'next': the next batch of this worker's stream.
    if (!isIterableDataset(dataset)) {
      post({ type: 'error', id: req.id, error: serialize(new TypeError('the dataset built in the worker is not iterable.')) });
      return;
    }
    const ds = dataset as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
    stream ??= ds[Symbol.asyncIterator] ? ds[Symbol.asyncIterator]!() : ds[Symbol.iterator]!();
    const want = init.batchSize ?? 1;
    const samples: unknown[] = [];
    try {
      while (samples.length < want) {
        const r = await stream.next();
        if (r.done) break;
        samples.push(r.value);
        position++;
      }
    } catch (e) {
      post({ type: 'error', id: req.id, index: position, error: serialize(e) });
      return;
    }
    if (samples.length === 0 || (init.dropLast && samples.length < want)) post({ type: 'end', id: req.id });
    else {
      try {
        send(req.id, samples);
      } catch (e) {
        post({ type: 'error', id: req.id, error: serialize(e) });
      }
    }
  };

  let queue = Promise.resolve();
  port.on('message', (req: Request) => {
    queue = queue.then(() => handle(req));
  });
}

void main();
