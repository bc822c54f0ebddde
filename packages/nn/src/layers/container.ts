/** Containers: `nn.Sequential`, `nn.ModuleList`, `nn.ModuleDict`. */
import { ArgumentError } from '@duet/core';
import { Module } from '../module.js';

function checkModule(m: unknown, where: string): Module {
  if (!(m instanceof Module)) throw new ArgumentError(`${where}: expected an nn.Module, received ${(m as object)?.constructor?.name ?? typeof m}.`);
  return m;
}

/** Index `i` (negative from the end) into a list of length `n`. */
function at(i: number, n: number, what: string): number {
  const j = i < 0 ? i + n : i;
  if (!Number.isInteger(j) || j < 0 || j >= n) throw new ArgumentError(`${what}: index ${i} is out of range (length ${n}).`);
  return j;
}

/**
 * Modules called one after the other; children named '0', '1', ...
 * (or by the keys of an object).
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
 * model.forward(randn([32, 784])).shape; // [32, 10]
 * Object.keys(model.stateDict()); // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export class Sequential<T extends Module[] = Module[]> extends Module {
  /** `model[0]`: the children by position, as in PyTorch (typed as any of them; `at(0)` gives the exact type). */
  readonly [index: number]: T[number];
  constructor(...modules: T);
  constructor(modules: Record<string, Module>);
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== undefined && !(first instanceof Module)) {
      for (const [name, m] of Object.entries(first)) this.addModule(name, checkModule(m, 'Sequential'));
    } else {
      (modules as Module[]).forEach((m, i) => this.addModule(String(i), checkModule(m, 'Sequential')));
    }
  }
  forward(input: any): any {
    let x = input;
    for (const m of this.children()) x = m.call(x);
    return x;
  }
  override get length(): number {
    return this.children().length;
  }
  /** The i-th module (negative counts from the end), typed as the module passed at that position: `model.at(0).weight`. */
  at<I extends number>(i: I): `${I}` extends `-${string}` ? T[number] : T[I] {
    const c = this.children();
    return c[at(i, c.length, 'Sequential.at')]! as never;
  }
  append(module: Module): this {
    this.addModule(String(this.namedChildren().length), checkModule(module, 'Sequential.append'));
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}

/**
 * A list of submodules, registered so that their parameters are found
 * (a plain array is not). It has no forward: iterate over it.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * const layers = new nn.ModuleList([new nn.Linear(4, 4), new nn.Linear(4, 4)]);
 * layers.length; // 2
 * ```
 */
export class ModuleList extends Module {
  private _items: Module[] = [];
  constructor(modules: Iterable<Module> = []) {
    super();
    Object.defineProperty(this, '_items', { enumerable: false });
    for (const m of modules) this.append(m);
  }
  override get length(): number {
    return this._items.length;
  }
  at(i: number): Module {
    return this._items[at(i, this._items.length, 'ModuleList.at')]!;
  }
  append(module: Module): this {
    this.addModule(String(this._items.length), checkModule(module, 'ModuleList.append'));
    this._items.push(module);
    return this;
  }
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this._items[Symbol.iterator]();
  }
  /** Like `Array.map` over the modules. */
  map<T>(fn: (m: Module, i: number) => T): T[] {
    return this._items.map(fn);
  }
}

/**
 * Submodules by name (insertion order).
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * const heads = new nn.ModuleDict({ cls: new nn.Linear(8, 3), box: new nn.Linear(8, 4) });
 * heads.get('cls'); // Linear(in_features=8, out_features=3, bias=True)
 * ```
 */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  get(key: string): Module {
    const hit = this.namedChildren().find(([k]) => k === key);
    if (hit === undefined) throw new ArgumentError(`ModuleDict: no module named '${key}' (keys: ${this.keys().join(', ')}).`);
    return hit[1];
  }
  set(key: string, module: Module): this {
    this.addModule(key, checkModule(module, 'ModuleDict.set'));
    return this;
  }
  has(key: string): boolean {
    return this.keys().includes(key);
  }
  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }
  values(): Module[] {
    return this.children();
  }
  items(): [string, Module][] {
    return this.namedChildren();
  }
  override get length(): number {
    return this.keys().length;
  }
}
