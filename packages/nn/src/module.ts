/**
 * `nn.Module`, PyTorch's base class for layers and models. Parameters,
 * buffers and submodules are found in definition order: class fields and
 * constructor assignments holding a `Parameter` or a `Module` are picked up
 * by name, merged with the tensors registered explicitly (`registerBuffer`,
 * `registerParameter`, `addModule`) - the way built-in layers store tensors
 * under PyTorch's names (`running_mean`, `weight_ih_l0`).
 *
 * Subclasses write only `forward` (not declared here, so a subclass needs no
 * `override`). `model(x)` (or `model.call(x)`) runs it with its hooks, as
 * PyTorch's `__call__`; `model.forward(x)` runs it alone.
 */
import { ArgumentError, DTypeError, DuetError, Tensor, checkDevice, noGrad, enterLibraryCall, exitLibraryCall, libraryCall, type DTypeLike, type DeviceLike } from '@duet/core';
import { Parameter, isLazy, type UninitializedBuffer, type UninitializedParameter } from './parameter.js';
import { Hooks, callWithHooks, hookCount, type ForwardHook, type ForwardHookOptions, type ForwardHookWithKwargs, type ForwardPreHook, type ForwardPreHookOptions, type ForwardPreHookWithKwargs, type RemovableHandle } from './hooks.js';
import { loadInto, type LoadStateDictResult } from './state_dict.js';
import { copyValue } from './copy.js';

export type { ForwardHook, ForwardHookOptions, ForwardHookWithKwargs, ForwardPreHook, ForwardPreHookOptions, ForwardPreHookWithKwargs, RemovableHandle } from './hooks.js';
export { StateDictError, type LoadStateDictResult } from './state_dict.js';

type Kind = 'param' | 'buffer' | 'module';
/** A named slot: `prop` slots read the instance property; explicit slots hold their value. */
interface Slot {
  kind: Kind;
  prop: boolean;
  value: Tensor | Module | null;
  persistent: boolean;
}

/** Anything with a `forward` method. */
export interface Callable {
  forward(...args: any[]): any;
}

/** @internal call `m.forward(...args)` (no hooks) with a clear error if `m` has none. */
export function callForward(m: Module, ...args: any[]): any {
  const f = (m as unknown as Partial<Callable>).forward;
  if (typeof f !== 'function') throw new DuetError('ERR_NOT_IMPLEMENTED', `Module [${m.constructor.name}] is missing the required "forward" function.`);
  return f.apply(m, args);
}

/** What a lazy module does at its first forward (set by `LazyModuleMixin`'s layers, lazy.ts). */
export interface LazyInit {
  /** Infer the shapes from the forward's arguments and materialise the parameters. */
  materialize(module: Module, args: any[]): void;
}

/**
 * `module(...args)` and `module.call(...args)` run `forward` alone when no
 * hook is registered (the check is written inline in both, so that V8 keeps
 * the arguments array on the stack), else this.
 */
function callHooked(m: Module, h: Hooks | null, args: any[]): any {
  if ((h === null || h.empty) && hookCount.global === 0) return callForward(m, ...args);
  return callWithHooks(m, h, args, (...a: any[]) => callForward(m, ...a));
}

/** A function that runs the call path on itself, with `proto` as its prototype (no `name`, `length` or Function methods of its own). */
function callableInstance(proto: object): Module {
  const self = ((...args: any[]) => (self._hooks === null && hookCount.global === 0 ? callForward(self, ...args) : callHooked(self, self._hooks, args))) as unknown as Module;
  delete (self as { name?: string }).name;
  delete (self as { length?: number }).length;
  Object.setPrototypeOf(self, proto);
  return self;
}

/**
 * The `forward` every module instance answers to (an own property set by the
 * constructor): the class's `forward`, run as a library call of core's memory
 * manager, so that what it makes and does not return is freed early
 * (docs/design/memory.md). One extra function call per module call.
 */
function forwardCall(this: Module, ...args: any[]): any {
  if (this._lazy !== null) this._lazy.materialize(this, args);
  const f = (Object.getPrototypeOf(this) as Partial<Callable>).forward;
  if (typeof f !== 'function') throw new DuetError('ERR_NOT_IMPLEMENTED', `Module [${this.constructor.name}] is missing the required "forward" function.`);
  enterLibraryCall(this, 'forward');
  let out: any;
  try {
    out = f.apply(this, args);
  } catch (e) {
    exitLibraryCall(undefined);
    throw e;
  }
  return exitLibraryCall(out);
}

function installForward(m: Module): void {
  Object.defineProperty(m, 'forward', { value: forwardCall, writable: true, configurable: true, enumerable: false });
}

/**
 * Base class for all neural network modules.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * import { randn, type Tensor } from '@duet/core';
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(4, 8);
 *   fc2 = new nn.Linear(8, 2);
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu());
 *   }
 * }
 * const net = new Net();
 * Object.keys(net.stateDict()); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * net.forward(randn([3, 4])).shape; // [3, 2]
 * ```
 */
export interface Module {
  /**
   * `model(x)`: PyTorch's `__call__`, which runs `forward` (and its hooks).
   * Typed `any`, as PyTorch types `__call__`; `model.forward(x)` keeps the
   * subclass's own types.
   */
  (...args: any[]): any;
}
export class Module {
  /** True in training mode (the default); `eval()` sets it to false on the whole tree. */
  declare training: boolean;
  private declare readonly _slots: Map<string, Slot>;
  /** @internal this module's hooks (null until one is registered). */
  declare _hooks: Hooks | null;
  /** @internal set while a lazy module waits for its first forward (lazy.ts); null otherwise. */
  declare _lazy: LazyInit | null;

  /**
   * A module is a function object whose prototype is the subclass's, so
   * `model(x)` calls `forward` while `instanceof`, methods and class fields
   * work as on any object (docs/nn.md, "Calling a module").
   */
  constructor() {
    const self = callableInstance(new.target.prototype as object) as this;
    self.training = true;
    Object.defineProperty(self, '_slots', { value: new Map<string, Slot>(), writable: true, configurable: true, enumerable: false });
    Object.defineProperty(self, '_hooks', { value: null, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(self, '_lazy', { value: null, writable: true, configurable: true, enumerable: false });
    installForward(self);
    return self;
  }

  // ------------------------------------------------------------ registration
  /** Pick up properties holding a Parameter or a Module, in definition order. */
  private _sync(): void {
    for (const k of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[k];
      const kind: Kind | null = v instanceof Parameter ? 'param' : v instanceof Module ? 'module' : null;
      const slot = this._slots.get(k);
      if (slot !== undefined) {
        if (slot.prop && kind !== null) slot.kind = kind;
        continue;
      }
      if (kind === null || this._isAlias(v as Tensor | Module)) continue;
      this._slots.set(k, { kind, prop: true, value: null, persistent: true });
    }
  }

  /** A property holding a value already registered explicitly (e.g. a camelCase handle on `self_attn`). */
  private _isAlias(v: Tensor | Module): boolean {
    for (const s of this._slots.values()) if (!s.prop && s.value === v) return true;
    return false;
  }

  private _value(name: string, slot: Slot): Tensor | Module | null {
    if (!slot.prop) return slot.value;
    const v = (this as Record<string, unknown>)[name];
    return (slot.kind === 'module' ? v instanceof Module : v instanceof Parameter) ? (v as Tensor | Module) : null;
  }

  private _register(name: string, kind: Kind, value: Tensor | Module | null, persistent = true): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ArgumentError(`${kind} name must be a non-empty string without ".", received ${JSON.stringify(name)}.`);
    }
    this._sync();
    const old = this._slots.get(name);
    if (old === undefined && this._taken(name)) throw new ArgumentError(`attribute '${name}' already exists on ${this.constructor.name}.`);
    if (old !== undefined && old.kind !== kind) throw new ArgumentError(`'${name}' is already registered as a ${old.kind} of ${this.constructor.name}.`);
    this._addSlot(name, { kind, prop: false, value, persistent });
  }

  /** An own attribute already set, or a method on the class (a getter of the same name is fine). */
  private _taken(name: string): boolean {
    if (Object.prototype.hasOwnProperty.call(this, name)) return (this as Record<string, unknown>)[name] !== undefined;
    for (let p = Object.getPrototypeOf(this); p !== null; p = Object.getPrototypeOf(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d !== undefined) return d.get === undefined;
    }
    return false;
  }

  /** Store an explicit slot and expose it as a property (`bn.running_mean`). */
  private _addSlot(name: string, slot: Slot): void {
    this._slots.set(name, slot);
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false,
      get: () => slot.value,
      set: (v: Tensor | Module | null) => {
        if (v instanceof Tensor && slot.kind === 'buffer') v.keep();
        slot.value = v;
      },
    });
  }

  /** Register a parameter under `name` (PyTorch's `register_parameter`); `null` registers an absent one. */
  registerParameter(name: string, param: Parameter | null): void {
    if (param !== null && !(param instanceof Parameter)) {
      throw new ArgumentError(`cannot assign '${(param as object)?.constructor?.name}' as parameter '${name}' (nn.Parameter or null expected).`);
    }
    this._register(name, 'param', param);
  }

  /**
   * Register a tensor that is part of the module's state but not a parameter
   * (e.g. BatchNorm's `running_mean`). It is kept (never released
   * automatically). `persistent: false` leaves it out of `stateDict()`.
   */
  registerBuffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    tensor?.keep();
    this._register(name, 'buffer', tensor, options.persistent ?? true);
  }

  /** Register a submodule under `name` (PyTorch's `add_module`); returns it. */
  addModule<M extends Module | null>(name: string, module: M): M {
    this._register(name, 'module', module);
    return module;
  }
  /** Alias of `addModule`. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    return this.addModule(name, module);
  }

  /** @internal the current value registered under `name` (layers read their named tensors with it). */
  protected _get<T extends Tensor | Module | null>(name: string): T {
    const slot = this._slots.get(name);
    return (slot === undefined ? null : this._value(name, slot)) as T;
  }

  /** The submodule at a dotted path (`'encoder.layers.0'`), like PyTorch's `get_submodule`. */
  getSubmodule(target: string): Module {
    let m: Module = this;
    if (target === '') return m;
    for (const part of target.split('.')) {
      const next = m._own('module').find(([n]) => n === part);
      if (next === undefined) throw new ArgumentError(`${m.constructor.name} has no submodule \`${part}\` (looking up '${target}').`);
      m = next[2] as Module;
    }
    return m;
  }
  /** The parameter at a dotted path (`'fc1.weight'`). */
  getParameter(target: string): Parameter {
    return this._getTensor(target, 'param') as Parameter;
  }
  /** The buffer at a dotted path (`'bn1.running_mean'`). */
  getBuffer(target: string): Tensor {
    return this._getTensor(target, 'buffer');
  }
  private _getTensor(target: string, kind: 'param' | 'buffer'): Tensor {
    const i = target.lastIndexOf('.');
    const m = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const name = target.slice(i + 1);
    const hit = m._own(kind).find(([n]) => n === name);
    if (hit === undefined) throw new ArgumentError(`${m.constructor.name} has no ${kind === 'param' ? 'parameter' : 'buffer'} \`${name}\` (looking up '${target}').`);
    return hit[2] as Tensor;
  }

  private _own(kind: Kind): [string, Slot, Tensor | Module][] {
    this._sync();
    const out: [string, Slot, Tensor | Module][] = [];
    for (const [name, slot] of this._slots) {
      if (slot.kind !== kind) continue;
      const v = this._value(name, slot);
      if (v !== null) out.push([name, slot, v]);
    }
    return out;
  }

  // --------------------------------------------------------------- traversal
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, , m] of this._own('module')) {
      if (seen.has(m as Module)) continue;
      seen.add(m as Module);
      out.push([name, m as Module]);
    }
    return out;
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, each once, with dotted names ('' for this one). */
  namedModules(prefix = '', memo: Set<Module> = new Set()): [string, Module][] {
    if (memo.has(this)) return [];
    memo.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, , m] of this._own('module')) out.push(...(m as Module).namedModules(prefix === '' ? name : `${prefix}.${name}`, memo));
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private _namedTensors(kind: 'param' | 'buffer', recurse: boolean): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      for (const [name, , t] of m._own(kind)) {
        if (seen.has(t as Tensor)) continue;
        seen.add(t as Tensor);
        out.push([prefix === '' ? name : `${prefix}.${name}`, t as Tensor]);
      }
    }
    return out;
  }

  /** `[name, parameter]` pairs with dotted names (`fc1.weight`), each parameter once. */
  namedParameters(options: { recurse?: boolean } = {}): [string, Parameter][] {
    return this._namedTensors('param', options.recurse ?? true) as [string, Parameter][];
  }
  /** All parameters, each once, in definition order (what optimizers take). */
  parameters(options: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }
  namedBuffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this._namedTensors('buffer', options.recurse ?? true);
  }
  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  /** Number of parameter elements (each shared parameter counted once). */
  numParameters(options: { onlyTrainable?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.onlyTrainable || p.requiresGrad) n += p.numel();
    return n;
  }

  /** Apply `fn` to every submodule (children first) and then to this one; returns `this`. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ------------------------------------------------------------------- modes
  /** Set training mode on this module and every descendant; returns `this`. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ArgumentError(`training mode is expected to be boolean, received ${typeof mode}.`);
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }
  /** Evaluation mode (Dropout off, BatchNorm uses running stats): `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * PyTorch's `model.to(device)`: checks the device against the running
   * engine (`'cpu'` always; `'cuda'`, `'cuda:0'`, `'gpu'` on the GPU engine,
   * else a `DeviceError`) and returns the module. Nothing moves: one engine
   * computes everything (docs/core.md, "Devices"). A dtype other than float32
   * is refused (parameters are float32).
   */
  to(target: DeviceLike | DTypeLike | { device?: DeviceLike; dtype?: DTypeLike }): this {
    const where = `${this.constructor.name}.to(${JSON.stringify(target)})`;
    const isDType = (d: unknown) => d === 'float32' || d === 'int32' || d === 'bool' || d === 'int64' || d === 'long';
    const dtype = typeof target === 'string' ? (isDType(target) ? target : undefined) : target?.dtype;
    const device = typeof target === 'string' ? (isDType(target) ? undefined : target) : target?.device;
    if (device !== undefined || (typeof target === 'string' && !isDType(target))) checkDevice(device, where);
    if (dtype !== undefined && dtype !== 'float32') throw new DTypeError(`${where}: module parameters are float32; received dtype ${dtype}.`);
    return this;
  }
  /** `model.cpu()`: accepted, returns the module (see `to`). */
  cpu(): this {
    return this.to('cpu');
  }
  /** `model.cuda()`: checks that the GPU engine runs (else a `DeviceError`), returns the module. */
  cuda(): this {
    return this.to('cuda');
  }

  /** Reset the gradients of all parameters: to null (default), or to zeros with `setToNone: false`. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const toNone = options.setToNone ?? true;
    libraryCall(this, 'zeroGrad', () => {
      for (const p of this.parameters()) {
        if (p.grad === null) continue;
        if (toNone) p.grad = null;
        else noGrad(() => p.grad!.zero_());
      }
    });
  }

  /** Set `requiresGrad` on every parameter (freeze with `false`); returns `this`. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  // -------------------------------------------------------------- state dict
  /**
   * A plain object of the parameters and persistent buffers with PyTorch's
   * keys and shapes (`fc1.weight`, `bn1.running_mean`). The values are the
   * module's own tensors (PyTorch's share storage too): read or save them;
   * change them only through `loadStateDict` or in-place ops under `noGrad`.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this._stateEntries('', new Set(), (k, t) => (out[k] = t));
    return out;
  }

  private _stateEntries(prefix: string, memo: Set<Module>, emit: (key: string, t: Tensor) => void): void {
    memo.add(this);
    for (const [name, slot, v] of [...this._own('param'), ...this._own('buffer')]) {
      if (slot.persistent) emit(prefix + name, v as Tensor);
    }
    for (const [name, , m] of this._own('module')) (m as Module)._stateEntries(`${prefix}${name}.`, memo, emit);
  }

  /**
   * Copy values from `stateDict` into this module's parameters and buffers,
   * in place (identity kept). Throws PyTorch's message on missing or
   * unexpected keys (when `strict`, the default) and on shape mismatches;
   * nothing is copied then. int32 values load into int buffers.
   */
  loadStateDict(stateDict: Record<string, Tensor> | Map<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    if (stateDict instanceof Map) stateDict = Object.fromEntries(stateDict) as Record<string, Tensor>;
    if (stateDict !== null && typeof stateDict === 'object' && !Array.isArray(stateDict) && !(stateDict instanceof Tensor)) this._materializeLazy(stateDict);
    const own: [string, Tensor][] = [];
    this._stateEntries('', new Set(), (k, t) => own.push([k, t]));
    return loadInto(this.constructor.name, own, stateDict, options.strict ?? true);
  }

  // -------------------------------------------------------------- call path
  /**
   * PyTorch's `module(...)` (`Module._call_impl`); `model(x)` is the same
   * call. In order: global forward pre-hooks (`registerModuleForwardPreHook`),
   * this module's pre-hooks (each may replace the arguments), `forward` (a
   * lazy module infers its parameters first), global forward hooks, this
   * module's forward hooks (each may replace the output). `alwaysCall`
   * forward hooks also run when `forward` throws. `model.forward(x)` runs
   * `forward` alone, without hooks, as in PyTorch.
   */
  call(...args: any[]): any {
    return this._hooks === null && hookCount.global === 0 ? callForward(this, ...args) : callHooked(this, this._hooks, args);
  }

  /** PyTorch's `_lazy_load_hook`: an uninitialised parameter or buffer of a lazy module takes the shape of the tensor loaded into it. */
  private _materializeLazy(sd: Record<string, Tensor>): void {
    for (const [prefix, m] of this.namedModules()) {
      if (m._lazy === null) continue;
      for (const kind of ['param', 'buffer'] as const) {
        for (const [name, , t] of m._own(kind)) {
          const src = sd[prefix === '' ? name : `${prefix}.${name}`];
          if (!isLazy(t) || !(src instanceof Tensor) || isLazy(src)) continue;
          (m as unknown as Record<string, unknown>)[name] = kind === 'param' ? (t as UninitializedParameter).materialize(src.shape) : (t as UninitializedBuffer).materialize(src.shape);
        }
      }
    }
  }

  // ------------------------------------------------------------------- hooks
  /**
   * Run `hook(module, args)` before every call (`model(x)`, `model.call(x)`);
   * returning an array replaces the arguments (another non-undefined value:
   * the single argument). `{ prepend: true }` runs it before the hooks
   * already registered; `{ withKwargs: true }` gives `hook(module, args,
   * kwargs)`, which returns `undefined` or `[newArgs, newKwargs]` (kwargs =
   * a trailing options object, docs/nn.md "Hooks").
   */
  registerForwardPreHook(hook: ForwardPreHookWithKwargs<this>, options: ForwardPreHookOptions & { withKwargs: true }): RemovableHandle;
  registerForwardPreHook(hook: ForwardPreHook<this>, options?: ForwardPreHookOptions & { withKwargs?: false }): RemovableHandle;
  registerForwardPreHook(hook: ForwardPreHook<this> | ForwardPreHookWithKwargs<this>, options: ForwardPreHookOptions = {}): RemovableHandle {
    return this._hookTable().addPre(hook, options);
  }
  /**
   * Run `hook(module, args, output)` after every call; a non-undefined
   * result replaces the output. Options: `prepend`, `withKwargs`
   * (`hook(module, args, kwargs, output)`), `alwaysCall` (also run when
   * `forward` throws; the error is rethrown after).
   */
  registerForwardHook(hook: ForwardHookWithKwargs<this>, options: ForwardHookOptions & { withKwargs: true }): RemovableHandle;
  registerForwardHook(hook: ForwardHook<this>, options?: ForwardHookOptions & { withKwargs?: false }): RemovableHandle;
  registerForwardHook(hook: ForwardHook<this> | ForwardHookWithKwargs<this>, options: ForwardHookOptions = {}): RemovableHandle {
    return this._hookTable().addPost(hook, options);
  }
  private _hookTable(): Hooks {
    return (this._hooks ??= new Hooks());
  }

  // ------------------------------------------------------------------ copy
  /**
   * A deep copy (Python's `copy.deepcopy(module)`): same class, same
   * configuration, new parameters and buffers holding the same values;
   * shared submodules and parameters stay shared within the copy.
   */
  deepCopy(): this {
    return this._copy(new Map());
  }

  private _copy(memo: Map<object, unknown>): this {
    const c = callableInstance(Object.getPrototypeOf(this) as object) as this;
    memo.set(this, c);
    const cm = (v: object) => (v instanceof Module ? v._copy(memo) : undefined);
    const skip = new Set<PropertyKey>(['_slots', '_hooks', '_lazy', 'forward']);
    for (const key of Reflect.ownKeys(this)) {
      const d = Object.getOwnPropertyDescriptor(this, key)!;
      if (skip.has(key) || d.get !== undefined || d.set !== undefined) continue;
      Object.defineProperty(c, key, { ...d, value: copyValue(d.value, memo, cm) });
    }
    const hidden = (k: string, v: unknown) => Object.defineProperty(c, k, { value: v, writable: true, configurable: true, enumerable: false });
    hidden('_slots', new Map());
    hidden('_hooks', this._hooks === null ? null : this._hooks.clone());
    hidden('_lazy', this._lazy);
    installForward(c);
    for (const [name, slot] of this._slots) {
      if (slot.prop) c._slots.set(name, { ...slot });
      else c._addSlot(name, { ...slot, value: copyValue(slot.value, memo, cm) as Slot['value'] });
    }
    return c;
  }

  // ------------------------------------------------------------------ repr
  /** The text inside `Name(...)` for this module (layers override it: `in_features=4, ...`). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's module print: `MyModel(\n  (fc1): Linear(in_features=784, ...)\n)`. */
  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra !== '') lines.push(...extra.split('\n'));
    for (const [name, , m] of this._own('module')) {
      const body = (m as Module).toString().split('\n').join('\n  ');
      lines.push(`(${name}): ${body}`);
    }
    const head = `${this.constructor.name}(`;
    if (lines.length === 0) return `${head})`;
    if (lines.length === 1 && this._own('module').length === 0) return `${head}${lines[0]})`;
    return `${head}\n  ${lines.join('\n  ')}\n)`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
