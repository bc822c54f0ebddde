/** The `nn` namespace: modules, layers, losses, functional, init, utils (like `torch.nn`). */
export { Module, StateDictError, type RemovableHandle, type LoadStateDictResult } from './module.js';
export { Parameter, UninitializedParameter, UninitializedBuffer, isLazy } from './parameter.js';
export { hasUninitializedParams } from './lazy.js';
export {
  registerModuleForwardPreHook, registerModuleForwardHook,
  type ForwardPreHook, type ForwardPreHookWithKwargs, type ForwardHook, type ForwardHookWithKwargs, type ForwardPreHookOptions, type ForwardHookOptions,
} from './hooks.js';
export * from './layers/index.js';
export * from './losses/index.js';
export * as functional from './functional/index.js';
export * as F from './functional/index.js';
export * as init from './init.js';
export * as utils from './utils/index.js';
export * as parallel from './parallel/index.js';
