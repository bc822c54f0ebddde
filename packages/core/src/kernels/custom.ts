/**
 * Duet's own TensorFlow kernels (native/ops/*.cc, built by the postinstall
 * step into build/duet_ops.node; docs/design/custom-ops.md). Loading the module
 * registers its ops in the process's TensorFlow; `runKernel` then runs them by
 * name like any other op. Callers ask `customKernel(name)` and fall back to
 * TensorFlow's stock kernels when it is false: the module is absent when the
 * engine did not come from the tensorflow-cpu wheel (its C++ headers are
 * needed to build it), on the GPU engine (the kernels are CPU kernels), or when
 * turned off with DUET_CUSTOM_KERNELS=0 (read at the first use) or
 * `useCustomKernels(false)`.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tf, backendInfo } from '../engine.js';

export interface CustomKernelStatus {
  /** The module is loaded and its kernels are in use. */
  enabled: boolean;
  /** The ops the module registered (empty when it is not loaded). */
  ops: string[];
  /** Why they are not in use, when they are not. */
  reason?: string;
  /** Where the module is (or would be). */
  path: string;
  /** Whether TensorFlow runs its oneDNN kernels, as TensorFlow reports it (absent when the module is not loaded). */
  onednn?: boolean;
}

const MODULE_PATH = fileURLToPath(new URL('../../build/duet_ops.node', import.meta.url));
let loadedOps: Set<string> | undefined;
let onednn: boolean | undefined;
let loadError: string | undefined;
let userOff = false;

function envOff(): boolean {
  return /^(0|false|no|off)$/i.test((process.env.DUET_CUSTOM_KERNELS ?? '').trim());
}

function load(): Set<string> {
  if (loadedOps !== undefined) return loadedOps;
  loadedOps = new Set();
  if (envOff()) {
    loadError = `turned off by DUET_CUSTOM_KERNELS=${process.env.DUET_CUSTOM_KERNELS}`;
  } else if (backendInfo().device !== 'cpu') {
    loadError = 'the GPU engine runs TensorFlow\'s kernels (Duet\'s are CPU kernels)';
  } else if (!existsSync(MODULE_PATH)) {
    loadError = `${MODULE_PATH} was not built (it needs the engine from the tensorflow-cpu wheel; the postinstall log says why)`;
  } else {
    tf(); // the binding first: it loads libtensorflow, which the kernels register into
    try {
      const mod = createRequire(import.meta.url)(MODULE_PATH) as { ops: string[]; onednn: boolean };
      loadedOps = new Set(mod.ops);
      onednn = mod.onednn;
    } catch (e) {
      loadError = `${MODULE_PATH} did not load: ${(e as Error).message}`;
    }
  }
  return loadedOps;
}

/** True when Duet's kernel `name` (e.g. 'DuetApplyAdam') is loaded and custom kernels are on. */
export function customKernel(name: string): boolean {
  return !userOff && load().has(name);
}

/** Whether TensorFlow runs its oneDNN kernels (TensorFlow's own answer, read by the module); undefined when the module is not loaded. */
export function oneDnnEnabled(): boolean | undefined {
  load();
  return onednn;
}

/** Turn Duet's own kernels off (TensorFlow's stock kernels only) or back on; for comparisons and tests. */
export function useCustomKernels(on: boolean): void {
  userOff = !on;
}

/** Whether Duet's kernels are in use, which ops, and why not. */
export function customKernelStatus(): CustomKernelStatus {
  const ops = [...load()];
  const reason = userOff ? 'turned off by useCustomKernels(false)' : loadError;
  return { enabled: reason === undefined && ops.length > 0, ops, path: MODULE_PATH, ...(reason === undefined ? {} : { reason }), ...(onednn === undefined ? {} : { onednn }) };
}
