/**
 * A restricted unpickler: it reads the pickles `torch.save` writes (protocols
 * 2 to 5) and, like `torch.load(weights_only=True)`, builds only data:
 * dicts, `collections.OrderedDict`, lists, tuples, primitives and tensors
 * (`torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` over storages
 * named by persistent ids). Any other global, INST, OBJ or extension code is
 * refused with the name it asked for. Nothing in a file is ever executed:
 * a "global" here is a name looked up in a fixed table, never code.
 * Opcodes: https://github.com/python/cpython/blob/main/Lib/pickletools.py
 */
import { TorchFileError } from './errors.js';

/** A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly type: string; // 'FloatStorage', ...
  readonly key: string;
  readonly numel: number;
}

/** A tensor to build once the whole pickle has been read and checked. */
export interface TensorSpec {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

/** The values a torch pickle can hold; tuples are frozen arrays, dicts are Maps. */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyValue, PyValue> | StorageRef | TensorSpec;

/** Globals a pickle may name (as `torch.load(weights_only=True)` allows): functions and storage types. */
const REBUILD = new Set(['torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);
export const STORAGE_TYPES = [
  'FloatStorage', 'DoubleStorage', 'HalfStorage', 'BFloat16Storage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage',
] as const;
const ALLOWED = new Set(['collections.OrderedDict', ...REBUILD, ...STORAGE_TYPES.map((s) => `torch.${s}`)]);

/** A global the pickle named and the table allowed: a name, not code. */
class Global {
  constructor(readonly name: string) {}
}
const MARK = Symbol('mark');
type Item = PyValue | Global | typeof MARK;

/** Longest string or byte run read from a pickle (torch.save writes names and small ints only). */
const MAX_RUN = 1 << 30;

/**
 * Unpickle `bytes` (the `data.pkl` of a torch.save archive). `where` names the
 * file in errors. Persistent ids must be storage tuples.
 */
export function unpickle(bytes: Uint8Array, where: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const stack: Item[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Item>();
  let pos = 0;

  const bad = (msg: string) => new TorchFileError('ERR_PICKLE', `${where}: data.pkl: ${msg} (at byte ${pos}).`);
  const unsafe = (what: string) =>
    new TorchFileError('ERR_UNSAFE_PICKLE', `${where}: data.pkl: ${what} is not allowed; torch.load(weights_only=True) would refuse it too. Only tensors, dicts, OrderedDicts, lists, tuples and primitives are read.`);
  const need = (n: number) => {
    if (n > bytes.length - pos) throw bad(`truncated: ${n} more bytes needed, ${bytes.length - pos} left; the file is damaged or incomplete`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => bytes[need(1)]!;
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const n = view.getBigUint64(need(8), true);
    if (n > BigInt(MAX_RUN)) throw bad(`a length of ${n} bytes exceeds the limit of ${MAX_RUN}`);
    return Number(n);
  };
  const str = (n: number) => {
    const at = need(n);
    try {
      return text.decode(bytes.subarray(at, at + n));
    } catch {
      throw bad('a string is not valid UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw bad('truncated: a GLOBAL name has no newline');
    const s = str(end - pos);
    pos++;
    return s;
  };
  const pop = (): Item => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) throw bad('pop from an empty stack');
    return stack.pop()!;
  };
  const value = (x: Item, what: string): PyValue => {
    if (x instanceof Global) throw unsafe(`using global '${x.name}' as ${what}`);
    if (x === MARK) throw bad('a MARK where a value was expected');
    return x;
  };
  /** The items since the last MARK; a tuple may hold a storage type (a persistent id does), other containers may not. */
  const popMark = (allowGlobals = false): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw bad('no MARK to pop to');
    return stack.splice(m).map((x) => (allowGlobals && x instanceof Global ? (x as unknown as PyValue) : value(x, 'a value')));
  };
  const tupleItem = (x: Item): PyValue => (x instanceof Global ? (x as unknown as PyValue) : value(x, 'a tuple item'));
  const top = (): Item => {
    const x = stack[stack.length - 1];
    if (x === undefined) throw bad('the stack is empty');
    return x;
  };
  const findClass = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!ALLOWED.has(full)) throw unsafe(`global '${full}'`);
    return new Global(full);
  };
  const setItems = (target: Item, kv: PyValue[]) => {
    if (!(target instanceof Map)) throw bad('SETITEM(S) on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) target.set(kv[i]!, kv[i + 1]!);
  };
  const appendTo = (target: Item, items: PyValue[]) => {
    if (!Array.isArray(target) || Object.isFrozen(target)) throw bad('APPEND(S) on something that is not a list');
    target.push(...items);
  };

  while (true) {
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v < 2 || v > 5) throw bad(`pickle protocol ${v}; torch.save writes protocols 2 to 5`);
        break;
      }
      case 0x95: need(8); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const result = value(pop(), 'the result');
        if (stack.length !== 0) throw bad(`${stack.length} values left on the stack at STOP`);
        const stray = findGlobal(result, new Set(), 0, bad);
        if (stray !== undefined) throw unsafe(`global '${stray.name}' as a value`);
        return result;
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x8a: case 0x8b: { // LONG1, LONG4: little-endian two's complement
        const n = op === 0x8a ? u8() : u32();
        if (n > 64) throw bad(`a ${n}-byte integer; at most 64 bytes are read`);
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! >= 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(str(u32())); break; // BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break; // BINUNICODE8
      case 0x43: case 0x42: case 0x8e: { // SHORT_BINBYTES, BINBYTES, BINBYTES8
        const n = op === 0x43 ? u8() : op === 0x42 ? u32() : u64();
        const at = need(n);
        stack.push(bytes.slice(at, at + n));
        break;
      }
      case 0x29: stack.push(Object.freeze([]) as unknown as PyValue[]); break; // EMPTY_TUPLE
      case 0x74: stack.push(Object.freeze(popMark(true)) as PyValue[]); break; // TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        const items: PyValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(tupleItem(pop()));
        stack.push(Object.freeze(items) as PyValue[]);
        break;
      }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const kv = popMark();
        const d = new Map<PyValue, PyValue>();
        setItems(d, kv);
        stack.push(d);
        break;
      }
      case 0x61: { const v = value(pop(), 'a list item'); appendTo(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendTo(top(), items); break; } // APPENDS
      case 0x73: { // SETITEM
        const v = value(pop(), 'a dict value');
        const k = value(pop(), 'a dict key');
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x63: { const module = line(); stack.push(findClass(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw bad('STACK_GLOBAL needs two strings');
        stack.push(findClass(module, name));
        break;
      }
      case 0x52: { // REDUCE: call an allowed global with a tuple of data
        const args = value(pop(), 'arguments');
        const fn = pop();
        if (!(fn instanceof Global)) throw unsafe('REDUCE of a value that is not a global');
        if (!Array.isArray(args)) throw bad(`REDUCE of '${fn.name}' with arguments that are not a tuple`);
        stack.push(call(fn.name, args, bad, unsafe));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args); only OrderedDict()
        const args = value(pop(), 'arguments');
        const cls = pop();
        if (!(cls instanceof Global) || cls.name !== 'collections.OrderedDict') throw unsafe(`NEWOBJ of ${cls instanceof Global ? `'${cls.name}'` : 'a non-class'}`);
        if (!Array.isArray(args) || args.length !== 0) throw bad('NEWOBJ of OrderedDict with arguments');
        stack.push(new Map());
        break;
      }
      case 0x62: { // BUILD: as torch's weights_only unpickler, only on an OrderedDict (its attributes,
        // e.g. state_dict()'s `_metadata`, which Duet ignores) or on a tensor with no state
        const state = value(pop(), 'a BUILD state');
        const target = top();
        if (target instanceof Map) break;
        if (!isSpec(target)) throw unsafe('BUILD (setting attributes) on an object that is not an OrderedDict or a tensor');
        if (!(state === null || (state instanceof Map && state.size === 0))) throw unsafe('BUILD with a non-empty state on a tensor (a tensor subclass or Python attributes)');
        break;
      }
      case 0x51: { // BINPERSID
        const pid = value(pop(), 'a persistent id');
        stack.push(storageRef(pid, bad));
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        const v = memo.get(i);
        if (v === undefined) throw bad(`memo index ${i} was never stored (the memo holds ${memo.size} values)`);
        stack.push(v);
        break;
      }
      case 0x69: throw unsafe('opcode INST (creating an object of a named class)');
      case 0x6f: throw unsafe('opcode OBJ (creating an object of a class on the stack)');
      case 0x92: throw unsafe('opcode NEWOBJ_EX (creating an object with keyword arguments)');
      case 0x82: case 0x83: case 0x84: throw unsafe('an extension-registry global (EXT1/EXT2/EXT4)');
      case 0x50: throw unsafe('a text persistent id (PERSID)');
      default:
        throw bad(`opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}) is not one torch.save writes`);
    }
  }
}

/** Containers nested deeper than this are refused (the walks over the result recurse). */
export const MAX_DEPTH = 1000;

/**
 * A global left in the result (a tuple may carry one); containers may be shared
 * or cyclic. Also bounds the nesting, so later walks cannot overflow the stack.
 */
function findGlobal(x: unknown, seen: Set<object>, depth: number, bad: (m: string) => Error): Global | undefined {
  if (x instanceof Global) return x;
  if (typeof x !== 'object' || x === null || seen.has(x)) return undefined;
  if (depth > MAX_DEPTH) throw bad(`containers nested deeper than ${MAX_DEPTH} levels`);
  seen.add(x);
  const items = Array.isArray(x) ? x : x instanceof Map ? [...x.keys(), ...x.values()] : [];
  for (const i of items) {
    const g = findGlobal(i, seen, depth + 1, bad);
    if (g !== undefined) return g;
  }
  return undefined;
}

const isSpec = (x: unknown): x is TensorSpec => typeof x === 'object' && x !== null && (x as TensorSpec).kind === 'tensor';
const isStorage = (x: unknown): x is StorageRef => typeof x === 'object' && x !== null && (x as StorageRef).kind === 'storage';
const isIntList = (x: unknown): x is number[] => Array.isArray(x) && x.every((d) => typeof d === 'number' && Number.isSafeInteger(d));

/** The allowed calls, as data builders. */
function call(name: string, args: PyValue[], bad: (m: string) => Error, unsafe: (m: string) => Error): PyValue {
  if (name === 'collections.OrderedDict') {
    const d = new Map<PyValue, PyValue>();
    const items = args[0];
    if (args.length > 1) throw bad('OrderedDict() with more than one argument');
    if (items !== undefined) {
      if (!Array.isArray(items)) throw bad('OrderedDict() of something that is not a list of pairs');
      for (const kv of items) {
        if (!Array.isArray(kv) || kv.length !== 2) throw bad('OrderedDict() of something that is not a list of pairs');
        d.set(kv[0]!, kv[1]!);
      }
    }
    return d;
  }
  if (name === 'torch._utils._rebuild_tensor_v2') {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, shape, stride] = args;
    if (!isStorage(storage)) throw bad('_rebuild_tensor_v2 without a storage');
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || !isIntList(shape) || !isIntList(stride) || shape.length !== stride.length) {
      throw bad('_rebuild_tensor_v2 with a malformed offset, size or stride');
    }
    return { kind: 'tensor', storage, offset, shape: [...shape], stride: [...stride] };
  }
  if (REBUILD.has(name)) {
    // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): the data is the tensor.
    if (!isSpec(args[0])) throw bad(`${name} of something that is not a tensor`);
    return args[0];
  }
  // Storage types are only valid inside a persistent id.
  throw unsafe(`calling '${name}'`);
}

function storageRef(pid: PyValue, bad: (m: string) => Error): StorageRef {
  // The storage type is a Global; popping it as a value would refuse it, so look at the raw tuple.
  const t = pid as unknown as unknown[];
  if (!Array.isArray(t) || t.length !== 5 || t[0] !== 'storage') throw bad('a persistent id that is not (\'storage\', type, key, location, numel)');
  const [, type, key, , numel] = t;
  if (!(type instanceof Global) || !type.name.startsWith('torch.') || !type.name.endsWith('Storage')) throw bad('a persistent id without a storage type');
  if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw bad('a persistent id with a malformed key or size');
  return { kind: 'storage', type: type.name.slice('torch.'.length), key, numel };
}
