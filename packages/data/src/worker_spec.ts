/**
 * How a dataset crosses into a worker thread, and how samples come back.
 * Neither native tensors nor functions can cross threads, so a worker builds
 * its own copy of the dataset from a `WorkerSpec` (an ES module, an export,
 * arguments), and sends back typed arrays (moved, not copied) that the main
 * thread turns into Tensors.
 */
import { Tensor } from '@duet/core';
import { DataOptionError } from './errors.js';
import { HostTensor, RawImage, describe } from './host.js';
import { Transform } from './transforms/transform.js';
import { TensorStack } from './collate.js';
import * as builtinTransforms from './transforms/index.js';

/**
 * How a worker thread builds its copy of a dataset: it imports `module` (a
 * file URL or absolute path, e.g. `import.meta.url` of the module that defines
 * the dataset) and takes its export `exportName` (default `'default'`): a
 * class is constructed with `args`, a function is called with `args` (it may
 * be async) and returns the dataset, and anything else is used as the dataset.
 * `args` must be structured-clonable; built-in datasets and transforms among
 * them are rebuilt in the worker.
 *
 * @example
 * ```ts
 * // my_data.ts
 * export function makeDataset(root: string) { return new datasets.ImageFolder(root, { transform: ... }); }
 * // train.ts
 * new DataLoader(ds, { numWorkers: 2, workerDataset: { module: new URL('./my_data.ts', import.meta.url).href, exportName: 'makeDataset', args: [root] } });
 * ```
 */
export interface WorkerSpec {
  module: string;
  exportName?: string;
  args?: readonly unknown[];
}

/** In a worker: which one it is. `null` on the main thread. */
export interface WorkerInfo {
  /** 0-based worker index. */
  id: number;
  numWorkers: number;
  /** The seed of this worker's random stream for this epoch (`manualSeed` was called with it). */
  seed: number;
}

const INFO_KEY = Symbol.for('duet.data.workerInfo');

/**
 * Inside a DataLoader worker thread: `{ id, numWorkers, seed }`; on the main
 * thread: null. An IterableDataset uses it to give each worker its share.
 */
export function getWorkerInfo(): WorkerInfo | null {
  return ((globalThis as Record<symbol, unknown>)[INFO_KEY] as WorkerInfo | undefined) ?? null;
}

/** @internal */
export function _setWorkerInfo(info: WorkerInfo): void {
  (globalThis as Record<symbol, unknown>)[INFO_KEY] = info;
}

/** The tag on encoded values (symbols do not survive postMessage). */
export const TAG = '__duet__';

const HELP = 'Pass `workerDataset: { module, exportName, args }` so that each worker builds the dataset itself (see docs/data.md), or use numWorkers: 0.';

/** Encode a dataset for a worker: built-ins (with `toWorkerSpec`) and their transforms are rebuilt there. */
export function encodeDataset(dataset: unknown): unknown {
  const d = dataset as { toWorkerSpec?: () => WorkerSpec };
  if (typeof d?.toWorkerSpec !== 'function') {
    throw new DataOptionError('numWorkers', `DataLoader: a worker thread cannot rebuild ${describe(dataset)}: it has no toWorkerSpec(). ${HELP}`);
  }
  return encodeValue(d, 'dataset');
}

/** Encode a WorkerSpec given by the user. */
export function encodeSpec(spec: WorkerSpec): unknown {
  if (spec === null || typeof spec !== 'object' || typeof spec.module !== 'string') {
    throw new DataOptionError('workerDataset', `DataLoader: workerDataset must be { module: string, exportName?: string, args?: unknown[] }; received ${describe(spec)}.`);
  }
  return { [TAG]: 'dataset', module: spec.module, exportName: spec.exportName ?? 'default', args: encodeValue(spec.args ?? [], 'workerDataset.args') };
}

function encodeValue(v: unknown, path: string): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function') throw new DataOptionError('numWorkers', `DataLoader: ${path} is a function, which cannot be sent to a worker thread. ${HELP}`);
    return v;
  }
  if (v instanceof Tensor) throw new DataOptionError('numWorkers', `DataLoader: ${path} is a Tensor, which cannot be sent to a worker thread (native memory belongs to the main thread). ${HELP}`);
  if (v instanceof Transform) {
    const name = v.constructor.name;
    if ((builtinTransforms as Record<string, unknown>)[name] !== v.constructor || name === 'Lambda') {
      throw new DataOptionError('numWorkers', `DataLoader: ${path} is a ${name}, which a worker thread cannot rebuild (only built-in transforms without functions can cross). ${HELP}`);
    }
    return { [TAG]: 'transform', name, args: encodeValue(v._args, `${path}.${name}`) };
  }
  if (typeof (v as { toWorkerSpec?: unknown }).toWorkerSpec === 'function') {
    const spec = (v as { toWorkerSpec: () => WorkerSpec }).toWorkerSpec();
    return { [TAG]: 'dataset', module: spec.module, exportName: spec.exportName ?? 'default', args: encodeValue(spec.args ?? [], `${path}(${spec.exportName})`) };
  }
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, `${path}[${i}]`));
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (v instanceof HostTensor || v instanceof RawImage) return pack(v, []);
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encodeValue(x, `${path}.${k}`);
    return out;
  }
  throw new DataOptionError('numWorkers', `DataLoader: ${path} is ${describe(v)}, which a worker thread cannot rebuild. ${HELP}`);
}

/** A typed array that owns its whole buffer, so that moving it detaches nothing else. */
function own<A extends Float32Array | Int32Array | Uint8Array>(a: A): A {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : (a.slice() as A);
}

function move(a: ArrayBufferView, transfer: ArrayBuffer[]): void {
  const b = a.buffer as ArrayBuffer;
  if (!transfer.includes(b)) transfer.push(b);
}

/**
 * Samples or host batches into clonable objects; typed arrays are listed in
 * `transfer` to be moved. Native tensors are refused (a worker must not make them).
 */
export function pack(v: unknown, transfer: ArrayBuffer[]): unknown {
  if (v instanceof HostTensor) {
    const data = own(v.data);
    move(data, transfer);
    return { [TAG]: 'host', data, shape: v.shape, dtype: v.dtype };
  }
  if (v instanceof RawImage) {
    const data = own(v.data);
    move(data, transfer);
    return { [TAG]: 'image', data, height: v.height, width: v.width, channels: v.channels };
  }
  if (v instanceof Tensor || v instanceof TensorStack) {
    throw new TypeError('a sample produced in a worker thread contains a Tensor; in workers, datasets and transforms must return numbers, typed arrays, HostTensor or RawImage values (the main thread makes the Tensors).');
  }
  if (Array.isArray(v)) return v.map((x) => pack(x, transfer));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const data = own(v as Uint8Array);
    move(data, transfer);
    return data;
  }
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = pack(x, transfer);
    return out;
  }
  return v;
}

/** Rebuild HostTensor and RawImage values from `pack`. */
export function unpack(v: unknown): any {
  if (Array.isArray(v)) return v.map(unpack);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, any>;
    if (o[TAG] === 'host') return new HostTensor(o.data, o.shape, o.dtype);
    if (o[TAG] === 'image') return new RawImage(o.data, o.height, o.width, o.channels);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = unpack(x);
    return out;
  }
  return v;
}
