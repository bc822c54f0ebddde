/**
 * Forward hooks of `nn.Module` and the one call path that runs them
 * (PyTorch's `Module._call_impl`): global pre-hooks, the module's pre-hooks,
 * `forward` (which builds a lazy module first), global forward hooks, the
 * module's forward hooks. Hooks never patch `forward`: `model.forward(x)`
 * runs the bare forward, `model(x)` / `model.call(x)` runs the hooks, as in
 * PyTorch.
 *
 * TypeScript has no keyword arguments; Duet's layers take PyTorch's keyword
 * arguments as a trailing options object (docs/nn.md, "Positional
 * arguments"). Hooks see the arguments split PyTorch's way: `args` without
 * a trailing plain object, `kwargs` = that object (or `{}`), given only to
 * hooks registered `{ withKwargs: true }`. A hook that replaces `args`
 * keeps the kwargs, as in PyTorch; the call passes them back as the last
 * argument.
 */
import { DuetError, runUserCode } from '@duet/core';

/** `hook(module, args)`: a non-undefined result replaces the arguments (an array as the argument list, another value as the single argument). */
export type ForwardPreHook<M = any> = (module: M, args: any[]) => any;
/** `hook(module, args, kwargs)`: return `undefined` or `[newArgs, newKwargs]`. */
export type ForwardPreHookWithKwargs<M = any> = (module: M, args: any[], kwargs: Record<string, any>) => [any[], Record<string, any>] | undefined | void;
/** `hook(module, args, output)`: a non-undefined result replaces the output. */
export type ForwardHook<M = any> = (module: M, args: any[], output: any) => any;
/** `hook(module, args, kwargs, output)`: a non-undefined result replaces the output. */
export type ForwardHookWithKwargs<M = any> = (module: M, args: any[], kwargs: Record<string, any>, output: any) => any;

export interface ForwardPreHookOptions {
  /** Run before the hooks already registered (PyTorch's `prepend`). */
  prepend?: boolean;
  /** The hook takes and may return the keyword (trailing options) argument. */
  withKwargs?: boolean;
}
export interface ForwardHookOptions extends ForwardPreHookOptions {
  /** Run even when `forward` (or an earlier hook) throws; the error is rethrown after. */
  alwaysCall?: boolean;
}

/** Returned by `register*Hook`: `remove()` unregisters the hook (more calls do nothing). */
export interface RemovableHandle {
  /** Unique over all hooks of the process (PyTorch's `handle.id`). */
  readonly id: number;
  remove(): void;
}

interface Entry {
  fn: (...a: any[]) => any;
  withKwargs: boolean;
  alwaysCall: boolean;
}
type Table = Map<number, Entry>;

let nextId = 0;

function add(table: Table, fn: (...a: any[]) => any, o: ForwardHookOptions, what: string): RemovableHandle {
  if (typeof fn !== 'function') throw new DuetError('ERR_ARGUMENT', `${what}: expected a function, received ${fn === null ? 'null' : typeof fn}.`);
  const id = nextId++;
  const e: Entry = { fn, withKwargs: o.withKwargs ?? false, alwaysCall: o.alwaysCall ?? false };
  if (o.prepend) {
    const rest = [...table];
    table.clear();
    table.set(id, e);
    for (const [k, v] of rest) table.set(k, v);
  } else table.set(id, e);
  return { id, remove: () => void table.delete(id) };
}

const globalPre: Table = new Map();
const globalPost: Table = new Map();

/** The hooks of one module instance. */
export class Hooks {
  readonly pre: Table = new Map();
  readonly post: Table = new Map();

  addPre(fn: ForwardPreHook | ForwardPreHookWithKwargs, o: ForwardPreHookOptions = {}): RemovableHandle {
    return add(this.pre, fn, { prepend: o.prepend ?? false, withKwargs: o.withKwargs ?? false }, 'registerForwardPreHook');
  }
  addPost(fn: ForwardHook | ForwardHookWithKwargs, o: ForwardHookOptions = {}): RemovableHandle {
    return add(this.post, fn, o, 'registerForwardHook');
  }

  /** A copy for a deep-copied module (the hook functions are shared, as `copy.deepcopy` shares functions). */
  clone(): Hooks {
    const h = new Hooks();
    for (const [k, v] of this.pre) h.pre.set(k, v);
    for (const [k, v] of this.post) h.post.set(k, v);
    return h;
  }

  get empty(): boolean {
    return this.pre.size === 0 && this.post.size === 0;
  }
}

/**
 * PyTorch's `register_module_forward_pre_hook`: `hook(module, args)` runs
 * before every module's `forward` (before the module's own pre-hooks), on
 * calls through `model(x)` / `model.call(x)`.
 */
export function registerModuleForwardPreHook(hook: ForwardPreHook): RemovableHandle {
  return countedGlobal(add(globalPre, hook, {}, 'registerModuleForwardPreHook'), globalPre);
}

/**
 * PyTorch's `register_module_forward_hook`: `hook(module, args, output)` runs
 * after every module's `forward` (before the module's own forward hooks).
 */
export function registerModuleForwardHook(hook: ForwardHook | ForwardHookWithKwargs, options: { withKwargs?: boolean; alwaysCall?: boolean } = {}): RemovableHandle {
  return countedGlobal(add(globalPost, hook, options, 'registerModuleForwardHook'), globalPost);
}

/** Keep `hookCount.global` equal to the number of registered global hooks. */
function countedGlobal(h: RemovableHandle, table: Table): RemovableHandle {
  hookCount.global = globalPre.size + globalPost.size;
  return {
    id: h.id,
    remove: () => {
      table.delete(h.id);
      hookCount.global = globalPre.size + globalPost.size;
    },
  };
}

/** @internal the number of global hooks registered (the call path's fast case is 0). */
export const hookCount = { global: 0 };

const isKwargs = (v: unknown): v is Record<string, any> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Split a call's arguments into PyTorch's (args, kwargs): a trailing plain object is the kwargs. */
function split(args: any[]): [any[], Record<string, any>] {
  return args.length > 0 && isKwargs(args[args.length - 1]) ? [args.slice(0, -1), args[args.length - 1]] : [args, {}];
}

/**
 * Run `forward(...args)` on `module` with the global and module hooks around
 * it, in PyTorch's order and with its replacement rules. Hooks are user code:
 * what they receive and make is the user's, also inside a parent's call.
 */
export function callWithHooks(module: object, hooks: Hooks | null, args: any[], forward: (...a: any[]) => any): any {
  const pre = [...globalPre.values(), ...(hooks?.pre.values() ?? [])];
  const post = [...globalPost.values(), ...(hooks?.post.values() ?? [])];
  let [pos, kwargs] = split(args);
  let hadKwargs = pos.length !== args.length;
  let result: any;
  const called = new Set<Entry>();
  try {
    for (const h of pre) {
      if (h.withKwargs) {
        const r = runUserCode(args, () => h.fn(module, pos, kwargs));
        if (r === undefined || r === null) continue;
        if (!Array.isArray(r) || r.length !== 2 || !Array.isArray(r[0]) || !isKwargs(r[1])) {
          throw new DuetError('ERR_ARGUMENT', `forward pre-hook must return undefined or a tuple of (newArgs, newKwargs) ([any[], object]), but got ${describe(r)}.`);
        }
        [pos, kwargs] = r as [any[], Record<string, any>];
      } else {
        const r = runUserCode(args, () => h.fn(module, pos));
        if (r !== undefined) pos = Array.isArray(r) ? r : [r];
      }
      hadKwargs ||= Object.keys(kwargs).length > 0;
      args = hadKwargs ? [...pos, kwargs] : pos;
    }
    result = forward(...args);
    for (const h of post) {
      if (h.alwaysCall) called.add(h);
      const r = runPost(h, module, pos, kwargs, result);
      if (r !== undefined) result = r;
    }
    return result;
  } catch (e) {
    for (const h of post) {
      if (!h.alwaysCall || called.has(h)) continue;
      try {
        const r = runPost(h, module, pos, kwargs, result);
        if (r !== undefined) result = r;
      } catch {
        // PyTorch warns and raises the first error; Duet raises the first error too (no warning channel).
      }
    }
    throw e;
  }
}

function runPost(h: Entry, module: object, args: any[], kwargs: Record<string, any>, result: any): any {
  if (h.withKwargs) return runUserCode([args, kwargs, result], () => h.fn(module, args, kwargs, result));
  return runUserCode([args, result], () => h.fn(module, args, result));
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v;
}
