/**
 * PyTorch's device strings. Duet runs on one TensorFlow engine per process,
 * chosen before the first tensor (`DUET_DEVICE` / `initBackend`): the CPU
 * engine (@tensorflow/tfjs-node) or the GPU engine (@tensorflow/tfjs-node-gpu,
 * where TensorFlow places each kernel on the GPU). `x.to(device)` and
 * `model.to(device)` check the device against that engine and return the same
 * tensor or module: there is nothing to move. `'cpu'` is always accepted
 * (values are copied to the host whenever they are read, so `x.cpu()` before
 * `.toArray()` ports as is); `'cuda'`, `'cuda:0'` and `'gpu'` need the GPU
 * engine, else a `DeviceError` says how to get it.
 */
import { DuetError } from './errors.js';
import { backendInfo } from './engine.js';

/** `'cpu'`, `'cuda'`, `'cuda:0'`, `'gpu'`, `'gpu:0'` (PyTorch's spellings plus TensorFlow's). */
export type DeviceLike = 'cpu' | 'cuda' | 'gpu' | `cuda:${number}` | `gpu:${number}` | `cpu:${number}`;

/** A device that is not the running engine's, or not a device at all. */
export class DeviceError extends DuetError {
  constructor(message: string) {
    super('ERR_DEVICE', message);
  }
}

const DEVICE = /^(cpu|cuda|gpu)(?::(\d+))?$/;

/** True if `s` is spelled like a device (whether or not it is available). */
export function isDeviceLike(s: unknown): s is DeviceLike {
  return typeof s === 'string' && DEVICE.test(s);
}

/**
 * Check that `spec` names a device the running engine computes on; returns
 * `'cpu'` or `'gpu'`. `where` prefixes the error (`"x.to('cuda')"`).
 */
export function checkDevice(spec: unknown, where: string): 'cpu' | 'gpu' {
  const m = typeof spec === 'string' ? DEVICE.exec(spec) : null;
  if (m === null) {
    throw new DeviceError(`${where}: expected a device ('cpu', 'cuda', 'cuda:0' or 'gpu'), received ${JSON.stringify(spec) ?? String(spec)}.`);
  }
  const kind = m[1] === 'cpu' ? 'cpu' : 'gpu';
  const index = m[2] === undefined ? 0 : Number(m[2]);
  if (index !== 0) {
    throw new DeviceError(`${where}: Duet computes on one device per process (index 0), received '${spec}'. With several GPUs, choose one with CUDA_VISIBLE_DEVICES before starting Node.`);
  }
  if (kind === 'gpu' && !cuda.isAvailable()) {
    const info = backendInfo();
    throw new DeviceError(
      `${where}: CUDA is not available: the running engine is TensorFlow on the ${info.device === 'gpu' ? 'GPU without a visible GPU device' : 'CPU'} (${info.packageName}). ` +
        "To train on a GPU, install @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) and set DUET_DEVICE=gpu before starting Node (docs/core.md, \"The engine\"); " +
        "to run anywhere, pick the device like PyTorch code does: cuda.isAvailable() ? 'cuda' : 'cpu'.",
    );
  }
  return kind;
}

/** `torch.cuda`'s availability checks, for `const device = cuda.isAvailable() ? 'cuda' : 'cpu'`. */
export const cuda = {
  /** True when the running engine is the GPU engine and TensorFlow sees a GPU. */
  isAvailable(): boolean {
    const info = backendInfo();
    return info.device === 'gpu' && info.devices.some((d) => d.includes('GPU'));
  },
  /** 1 when a GPU is used, else 0 (Duet uses at most one GPU per process). */
  deviceCount(): number {
    return cuda.isAvailable() ? 1 : 0;
  },
};

/**
 * `torch.accelerator`: the GPU engine's device when one is in use, for
 * `const device = accelerator.isAvailable() ? accelerator.currentAccelerator()!.type : 'cpu'`.
 */
export const accelerator = {
  /** True when the running engine computes on a GPU (`torch.accelerator.is_available()`). */
  isAvailable(): boolean {
    return cuda.isAvailable();
  },
  /** `{ type: 'cuda' }` on the GPU engine, else null (`torch.accelerator.current_accelerator()`). */
  currentAccelerator(): { type: 'cuda' } | null {
    return cuda.isAvailable() ? { type: 'cuda' } : null;
  },
  /** 1 with a GPU, else 0. */
  deviceCount(): number {
    return cuda.deviceCount();
  },
};

let defaultDevice: 'cpu' | 'cuda' = 'cpu';
/**
 * `torch.set_default_device(device)`: checks `device` against the running
 * engine (a `DeviceError` if it cannot compute there). Every tensor lives on
 * that engine's one device, so there is nothing else to switch;
 * `getDefaultDevice()` reads the setting back.
 */
export function setDefaultDevice(device: DeviceLike): void {
  defaultDevice = checkDevice(device, `setDefaultDevice('${device}')`) === 'gpu' ? 'cuda' : 'cpu';
}
/** `torch.get_default_device()`: `'cpu'` or `'cuda'`, as set by `setDefaultDevice`. */
export function getDefaultDevice(): 'cpu' | 'cuda' {
  return defaultDevice;
}
