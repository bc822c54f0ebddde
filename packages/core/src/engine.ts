/**
 * The one place that loads TensorFlow's native engine (through tfjs-node) and
 * wraps tfjs-node's internal kernel backend. Everything in Duet that runs a
 * kernel goes through `tf()` or `runOp()` from here.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TF from '@tensorflow/tfjs-node';
import { ArgumentError, DuetError, IndexError, NativeEngineError, OutOfMemoryError, ShapeError } from './errors.js';

export type TfModule = typeof TF;
export type TfTensor = TF.Tensor;
export type Device = 'cpu' | 'gpu';

const require = createRequire(import.meta.url);
const PACKAGES: Record<Device, string> = {
  cpu: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};
const HOW_TO_FIX =
  'Run `pnpm install` in the Duet checkout (its postinstall step builds the binding from ' +
  "TensorFlow's C library), or set DUET_LIBTENSORFLOW=/path/to/libtensorflow and reinstall. " +
  'See docs/install.md.';

interface Loaded {
  /** TensorFlow's intra-op threads, when set (else TF's default: one per core). */
  threads: number | undefined;
  tf: TfModule;
  device: Device;
  packageName: string;
  backend: NodeBackend;
  bindingPath: string;
}

/** The subset of tfjs-node's NodeJSKernelBackend that Duet uses. */
export interface NodeBackend {
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: TfTensor[]): TfTensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: TfTensor[], n: number): TfTensor[];
  binding: Record<string, unknown> & { TF_Version: string };
}
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

let loaded: Loaded | undefined;
let requested: Device | undefined;

function envDevice(): Device {
  const d = (process.env.DUET_DEVICE ?? 'cpu').toLowerCase();
  if (d !== 'cpu' && d !== 'gpu') {
    throw new NativeEngineError(`DUET_DEVICE must be 'cpu' or 'gpu'. Received: '${process.env.DUET_DEVICE}'.`);
  }
  return d;
}

/** Where the compiled tfjs binding of a package lives (without loading it). */
function bindingPathOf(packageName: string): string | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${packageName}/package.json`);
  } catch {
    return undefined;
  }
  const p = join(dirname(pkgJson), 'lib', 'napi-v8', 'tfjs_binding.node');
  return existsSync(p) ? p : undefined;
}

/** Throws a NativeEngineError unless the selected package's binding is built. */
export function checkNativeEngine(device: Device = requested ?? envDevice()): string {
  const name = PACKAGES[device];
  const p = bindingPathOf(name);
  if (p === undefined) {
    const gpuHint =
      device === 'gpu'
        ? ` Install it with \`pnpm add @tensorflow/tfjs-node-gpu@4.22.0\` (needs CUDA 11.2 and cuDNN 8.1); Duet never falls back to the CPU silently.`
        : '';
    throw new NativeEngineError(
      `TensorFlow's native engine is not available: expected the compiled binding of ${name} ` +
        `(lib/napi-v8/tfjs_binding.node), found none.${gpuHint} ${HOW_TO_FIX}`,
    );
  }
  return p;
}

function load(): Loaded {
  const device = requested ?? envDevice();
  const bindingPath = checkNativeEngine(device);
  // Hide TensorFlow's start-up noise unless the user chose a level.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const threads = requestedThreads ?? envThreads();
  if (threads !== undefined) process.env.TF_NUM_INTRAOP_THREADS = String(threads);
  const packageName = PACKAGES[device];
  // This thread's alternate signal stack, so that a profiler's SIGPROF during a matrix product does not write over the heap (see processAddon).
  signalsOnAltStack(processAddon());
  let tf: TfModule;
  try {
    tf = quietly(() => require(packageName) as TfModule);
  } catch (cause) {
    throw new NativeEngineError(
      `Loading ${packageName} failed: ${(cause as Error).message}. ` +
        (device === 'gpu' ? 'The GPU engine needs CUDA 11.2 and cuDNN 8.1 on the library path. ' : '') +
        HOW_TO_FIX,
      { cause },
    );
  }
  if (tf.getBackend() !== 'tensorflow') {
    throw new NativeEngineError(
      `Expected tfjs's 'tensorflow' (native) backend, got '${tf.getBackend()}'. Duet never runs on the JavaScript CPU backend. ${HOW_TO_FIX}`,
    );
  }
  const backend = tf.backend() as unknown as NodeBackend;
  typeKernelErrors(backend);
  loaded = { tf, device, packageName, backend, bindingPath, threads };
  return loaded;
}

interface ProcessAddon {
  mute(): number;
  restore(fd: number): void;
  /** Absent from a build older than the source (the next `pnpm install` rebuilds it). */
  signalStack?(): boolean;
  handlersOnStack?(): number;
}

/**
 * The alternate signal stack for this thread, and SA_ONSTACK for the signal
 * handlers Node installs (libuv installs them without it, when a
 * `process.on('SIGTERM' | 'SIGINT' | ...)` listener is added): a SIGTERM that
 * arrives during a matrix product must not write its frame over the heap
 * either (a server's graceful shutdown). Node installs its handler in its own
 * 'newListener' listener, which runs before this one.
 */
let signalHook = false;
function signalsOnAltStack(addon: ProcessAddon | undefined): void {
  if (addon?.signalStack?.() !== true || addon.handlersOnStack === undefined) return;
  addon.handlersOnStack();
  if (signalHook) return;
  signalHook = true;
  process.on('newListener', (event) => {
    if (typeof event === 'string' && event.startsWith('SIG')) addon.handlersOnStack!();
  });
}

/**
 * Duet's small process addon (native/duet_stdio.c), built by the postinstall
 * step; absent -> undefined. It mutes fd 2 while TensorFlow loads, and gives
 * the thread that loads the engine an alternate signal stack: TensorFlow's
 * oneDNN sgemm kernels point the stack pointer at the heap while they run, so
 * without one a profiler's SIGPROF (`node --cpu-prof`, `--prof`, the
 * inspector) writes its signal frame over heap memory and the process aborts
 * ("corrupted size vs. prev_size"; docs/design/performance.md "Profiling").
 */
function processAddon(): ProcessAddon | undefined {
  try {
    return require(fileURLToPath(new URL('../build/duet_stdio.node', import.meta.url))) as ProcessAddon;
  } catch {
    return undefined;
  }
}

/**
 * Run `load` (the library's load) with the process's stderr muted, unless the
 * user chose a TensorFlow log level of 0 or 1. TensorFlow 2.16+ logs some
 * start-up lines through absl before its own level applies (oneDNN's notice on
 * CPUs where oneDNN turns itself on), so TF_CPP_MIN_LOG_LEVEL cannot hide them;
 * errors still surface as the exception `load` throws.
 */
function quietly<T>(load: () => T): T {
  const level = Number(process.env.TF_CPP_MIN_LOG_LEVEL);
  const addon = level >= 2 ? processAddon() : undefined;
  const saved = addon?.mute();
  try {
    return load();
  } finally {
    if (addon !== undefined && saved !== undefined) addon.restore(saved);
  }
}

/** The tfjs namespace, loading the native engine on first use. */
export function tf(): TfModule {
  return (loaded ?? load()).tf;
}

/** tfjs-node's kernel backend: runs any TensorFlow op by name. */
export function nodeBackend(): NodeBackend {
  return (loaded ?? load()).backend;
}

/**
 * Select the device (and the CPU thread count) before the engine loads.
 * `DUET_DEVICE=gpu` and `DUET_NUM_THREADS=n` do the same from the environment.
 * The engine cannot be swapped once loaded: asking for another setting then is an error.
 *
 * `threads` is TensorFlow's intra-op thread count (default: one per core).
 * Small kernels pay for waking the pool, big ones gain from it. Measured here
 * (2 cores, bench/README.md): one thread made the seed MLP's repeated step on
 * one batch 1.8 ms instead of 2.5 ms, but a whole MLP epoch about the same,
 * and the small CNN's step 65 ms instead of 52 ms. The default stays TF's.
 */
export function initBackend(options: { device?: Device; threads?: number } = {}): BackendInfo {
  const device = options.device ?? envDevice();
  const threads = options.threads ?? envThreads();
  if (loaded !== undefined) {
    if (loaded.device !== device || (threads !== undefined && loaded.threads !== threads)) {
      throw new NativeEngineError(
        `initBackend(${JSON.stringify(options)}) was called after the engine was loaded with device '${loaded.device}' and ${loaded.threads ?? 'default'} threads; ` +
          `call it before creating any tensor, or set DUET_DEVICE=${device}${threads !== undefined ? ` DUET_NUM_THREADS=${threads}` : ''} before starting Node.`,
      );
    }
    return backendInfo();
  }
  requested = device;
  requestedThreads = threads;
  load();
  return backendInfo();
}

let requestedThreads: number | undefined;
function envThreads(): number | undefined {
  const v = process.env.DUET_NUM_THREADS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new NativeEngineError(`DUET_NUM_THREADS must be a positive integer. Received: '${v}'.`);
  return n;
}

export interface BackendInfo {
  backend: 'tensorflow';
  device: Device;
  /** Version of the native TensorFlow library actually loaded. */
  tfVersion: string;
  /** tfjs-node's version. */
  tfjsVersion: string;
  devices: string[];
  bindingPath: string;
  packageName: string;
  /** TensorFlow's intra-op CPU threads: the number set, or null for TensorFlow's default (one per core). */
  threads: number | null;
}

export function backendInfo(): BackendInfo {
  const l = loaded ?? load();
  const b = l.backend as unknown as { isUsingGpuDevice?: boolean };
  const devices = ['/device:CPU:0'];
  if (l.device === 'gpu' && b.isUsingGpuDevice) devices.push('/device:GPU:0');
  return {
    backend: 'tensorflow',
    device: l.device,
    tfVersion: l.backend.binding.TF_Version,
    tfjsVersion: (l.tf.version as Record<string, string>)['tfjs-node'] ?? 'unknown',
    devices,
    bindingPath: l.bindingPath,
    packageName: l.packageName,
    threads: l.threads ?? null,
  };
}

/** Run a TensorFlow op by name (one kernel), e.g. `runOp('Relu', [dtypeAttr('T', x)], [x])`. */
export function runOp(name: string, attrs: OpAttr[], inputs: TfTensor[]): TfTensor {
  return nodeBackend().executeSingleOutput(name, attrs, inputs);
}
export function runOpN(name: string, attrs: OpAttr[], inputs: TfTensor[], n: number): TfTensor[] {
  return nodeBackend().executeMultipleOutputs(name, attrs, inputs, n);
}

/**
 * Every kernel, Duet's `runOp` and tfjs's own ops alike, runs through these two
 * methods of tfjs-node's backend: wrapping them once at load gives every
 * TensorFlow failure a typed error (see `opError`). The try costs nothing
 * until something throws.
 */
function typeKernelErrors(b: NodeBackend): void {
  const single = b.executeSingleOutput;
  const multi = b.executeMultipleOutputs;
  b.executeSingleOutput = function (name, attrs, inputs) {
    try {
      return single.call(this, name, attrs, inputs);
    } catch (e) {
      throw opError(name, inputs, e);
    }
  };
  b.executeMultipleOutputs = function (name, attrs, inputs, n) {
    try {
      return multi.call(this, name, attrs, inputs, n);
    } catch (e) {
      throw opError(name, inputs, e);
    }
  };
}

/**
 * TensorFlow's "Invalid TF_Status: 3\nMessage: ..." as a typed error that names
 * the op and its inputs: out-of-memory (status 8, RESOURCE_EXHAUSTED) is an
 * OutOfMemoryError; an index out of range an IndexError; an empty reduction
 * axis a ShapeError; any other INVALID_ARGUMENT (status 3) an ArgumentError;
 * anything else a NativeEngineError. Ops that know more
 * (gather, embedding) catch these and name their own arguments.
 */
export function opError(name: string, inputs: readonly TfTensor[], cause: unknown): DuetError {
  if (cause instanceof DuetError) return cause;
  const raw = cause instanceof Error ? cause.message : String(cause);
  const status = Number(/^Invalid TF_Status: (\d+)/.exec(raw)?.[1] ?? -1);
  const msg = raw.replace(/^Invalid TF_Status: \d+\s*Message:\s*/s, '').split('\n')[0]!.replace(/, node name: \w+$/, '');
  const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(', ')}]`).join(', ');
  const text = `TensorFlow op ${name} failed on inputs (${shapes}): ${msg}`;
  if (status === TF_RESOURCE_EXHAUSTED || /^OOM when allocating/.test(msg)) return new OutOfMemoryError(`${text}. The tensor does not fit in memory.`, { cause });
  if (status === TF_INVALID_ARGUMENT) {
    if (/ is not in \[0, \d+\)| does not index into param shape |outside the valid range of \[0, \d+\)/.test(msg)) return new IndexError(text, { cause });
    if (/^Reduction axis -?\d+ is empty in shape /.test(msg)) return new ShapeError(text, { cause });
    return new ArgumentError(text, { cause });
  }
  return new NativeEngineError(text, { cause });
}
const TF_INVALID_ARGUMENT = 3;
const TF_RESOURCE_EXHAUSTED = 8;

const TF_DTYPE: Record<string, number> = { float32: 1, int32: 3, bool: 10, string: 7, complex64: 8 };
const ATTR = { INT: 1, FLOAT: 2, BOOL: 3, TYPE: 4, SHAPE: 5, STRING: 0 } as const;

/**
 * A `type` attribute (e.g. `T`) for a dtype name, or a `list(type)` one
 * (e.g. `_FusedConv2D`'s `TArgs`) for several; a list needs the binding
 * patch of scripts/patches/tfjs-node-type-list-attr.mjs.
 */
export function typeAttr(name: string, dtype: string | readonly string[]): OpAttr {
  const code = (d: string) => {
    const v = TF_DTYPE[d];
    if (v === undefined) throw new NativeEngineError(`No TensorFlow dtype for '${d}'.`);
    return v;
  };
  return { name, type: nodeAttrCode('TYPE'), value: typeof dtype === 'string' ? code(dtype) : dtype.map(code) };
}
export function boolAttr(name: string, value: boolean): OpAttr {
  return { name, type: nodeAttrCode('BOOL'), value };
}
export function intAttr(name: string, value: number | number[]): OpAttr {
  return { name, type: nodeAttrCode('INT'), value };
}
export function floatAttr(name: string, value: number): OpAttr {
  return { name, type: nodeAttrCode('FLOAT'), value };
}
export function shapeAttr(name: string, value: number[]): OpAttr {
  return { name, type: nodeAttrCode('SHAPE'), value };
}
export function stringAttr(name: string, value: string | string[]): OpAttr {
  return { name, type: nodeAttrCode('STRING'), value };
}
function nodeAttrCode(kind: keyof typeof ATTR): number {
  const code = nodeBackend().binding[`TF_ATTR_${kind}`];
  return typeof code === 'number' ? code : ATTR[kind];
}

// Hide TensorFlow's start-up noise unless the user chose a level (before anything loads the binding).
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
// Fail at import time, with the fix, when the engine was never provisioned.
checkNativeEngine(envDevice());

export interface KernelCount {
  /** Native TensorFlow kernels launched. */
  kernels: number;
  byName: Record<string, number>;
  /** Wall time spent inside each kernel's binding call, in microseconds. */
  microsByName: Record<string, number>;
}

/**
 * Count (and time) the native kernels that `fn` launches, for benchmarks and
 * tests of the hot path; each costs ~20 us of fixed overhead on this engine.
 */
export function countKernels<T>(fn: () => T): KernelCount & { result: T } {
  const b = nodeBackend();
  const single = b.executeSingleOutput;
  const multi = b.executeMultipleOutputs;
  const byName: Record<string, number> = {};
  const microsByName: Record<string, number> = {};
  let kernels = 0;
  const note = (name: string, t0: number) => {
    kernels++;
    byName[name] = (byName[name] ?? 0) + 1;
    microsByName[name] = (microsByName[name] ?? 0) + (performance.now() - t0) * 1000;
  };
  b.executeSingleOutput = function (name, attrs, inputs) {
    const t0 = performance.now();
    const r = single.call(this, name, attrs, inputs);
    note(name, t0);
    return r;
  };
  b.executeMultipleOutputs = function (name, attrs, inputs, n) {
    const t0 = performance.now();
    const r = multi.call(this, name, attrs, inputs, n);
    note(name, t0);
    return r;
  };
  try {
    const result = fn();
    return { result, kernels, byName, microsByName };
  } finally {
    b.executeSingleOutput = single;
    b.executeMultipleOutputs = multi;
  }
}
