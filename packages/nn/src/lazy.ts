/**
 * PyTorch's `LazyModuleMixin`: a module whose parameters are
 * `UninitializedParameter`s until its first call, which infers their shapes
 * from the arguments (`in_features`, `in_channels`, `num_features`),
 * creates and initialises them, and then turns the module into its regular
 * class (PyTorch's `cls_to_become`: a `LazyLinear` becomes a `Linear`).
 * Loading a state dict into an uninitialised lazy module creates its
 * parameters with the loaded shapes (PyTorch's `_lazy_load_hook`); the
 * class still changes at the first call.
 */
import { DuetError, noGrad } from '@duet/core';
import type { Module } from './module.js';
import { isLazy } from './parameter.js';

/** A lazy module's part: infer and create the parameters from `forward`'s arguments (PyTorch's `initialize_parameters`). */
export interface LazyModule extends Module {
  initializeParameters(...args: any[]): void;
}

/** True while `module` has an uninitialised parameter or buffer of its own (PyTorch's `has_uninitialized_params`). */
export function hasUninitializedParams(module: Module): boolean {
  for (const [, p] of module.namedParameters({ recurse: false })) if (isLazy(p)) return true;
  for (const [, b] of module.namedBuffers({ recurse: false })) if (isLazy(b)) return true;
  return false;
}

/**
 * Make `module` lazy: its next forward first runs `initializeParameters`
 * with the same arguments (without recording gradients), checks that every
 * parameter and buffer was created, and switches its prototype to
 * `become.prototype` (so `instanceof` answers as for the regular class).
 */
export function makeLazy(module: LazyModule, become: abstract new (...args: any[]) => Module): void {
  module._lazy = {
    materialize(m: Module, args: any[]): void {
      noGrad(() => (m as LazyModule).initializeParameters(...args));
      if (hasUninitializedParams(m)) throw new DuetError('ERR_ARGUMENT', `module ${m.constructor.name} has not been fully initialized`);
      m._lazy = null;
      Object.setPrototypeOf(m, become.prototype);
    },
  };
}
