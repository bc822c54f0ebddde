/**
 * Forward hooks for `nn.Module`. The first hook registered on a module gives
 * the instance its own `forward` that runs the hooks around the class's one,
 * so hooks run when user code calls `model.forward(x)` directly.
 */
import { DuetError, runUserCode } from '@duet/core';

export type ForwardPreHook<M = any> = (module: M, args: any[]) => any;
export type ForwardHook<M = any> = (module: M, args: any[], output: any) => any;

/** Returned by `register*Hook`: `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

/** The hooks of one module instance. */
export class Hooks {
  readonly pre = new Map<number, ForwardPreHook>();
  readonly post = new Map<number, ForwardHook>();
  private nextId = 0;

  add(map: Map<number, ForwardPreHook | ForwardHook>, hook: ForwardPreHook | ForwardHook): RemovableHandle {
    const id = this.nextId++;
    map.set(id, hook);
    return { remove: () => void map.delete(id) };
  }

  /** A copy for a deep-copied module (the hook functions are shared). */
  clone(): Hooks {
    const h = new Hooks();
    for (const [k, v] of this.pre) h.pre.set(k, v);
    for (const [k, v] of this.post) h.post.set(k, v);
    h.nextId = this.nextId;
    return h;
  }

  /** Give `module` an own `forward` that runs these hooks around its class's `forward`. */
  install(module: object): void {
    const inner = (module as { forward?: (...a: any[]) => any }).forward;
    if (typeof inner !== 'function') throw new DuetError('ERR_NOT_IMPLEMENTED', `Module [${module.constructor.name}] has no "forward" function to hook.`);
    const wrapped = (...args: any[]): any => {
      // Hooks are user code: what they receive and make is the user's, also inside a parent module's call.
      for (const h of [...this.pre.values()]) {
        const r = runUserCode(args, () => h(module, args));
        if (r !== undefined) args = Array.isArray(r) ? r : [r];
      }
      let out = inner.apply(module, args);
      for (const h of [...this.post.values()]) {
        const r = runUserCode([args, out], () => h(module, args, out));
        if (r !== undefined) out = r;
      }
      return out;
    };
    Object.defineProperty(module, 'forward', { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
}
