/**
 * Files written by `torch.save` (PyTorch >= 1.6, the zip format): a zip with
 * `<archive>/data.pkl` (the object, pickled), `<archive>/data/<key>` (each
 * storage's raw little-endian bytes), `<archive>/byteorder` and `version`.
 * The pickle is read by the restricted unpickler (pickle.ts); every tensor
 * is checked against its storage before any is built, so a bad file creates
 * no tensors. Zip entries are read with fflate, sizes checked before inflating.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { tensor, type Tensor } from '@duet/core';
import { SafetensorsError, TorchFileError } from './errors.js';
import { ITEM_SIZE, countHalf, decode, duetDType, warnWidened, type StDType } from './dtypes.js';
import { unpickle, type PyValue, type StorageRef, type TensorSpec } from './pickle.js';

/** Storage types and the dtype of their bytes. */
const STORAGE_DTYPE: Record<string, StDType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
/** Largest `data.pkl` read (100 MB, as the safetensors header limit; a state dict's pickle is ~100 bytes a tensor). */
export const MAX_PICKLE_SIZE = 100_000_000;
/** Largest torch.save file read (it is read whole, and Node reads at most 2 GiB at once). */
export const MAX_TORCH_FILE = 2 ** 31 - 1;
/** Largest tensor built (elements), as Duet's int32 indexing allows. */
const MAX_ELEMENTS = 2 ** 31 - 1;

/** Refuse, before reading it, a torch.save file too large to read whole. */
export function checkTorchSize(size: number, where: string): void {
  if (size > MAX_TORCH_FILE) {
    throw fail('ERR_TORCH_ARCHIVE', `${where}: the file has ${size} bytes; Duet reads torch.save files of at most ${MAX_TORCH_FILE} bytes (read whole). Re-save it as safetensors: safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors').`);
  }
}

/** Is this the start of a zip (`PK\x03\x04`, or an empty zip's `PK\x05\x06`)? */
export const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5);
/** The legacy format starts with a protocol-2 pickle of torch's magic number (a LONG1). */
export const isLegacyTorch = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0x80 && b[1] === 0x02 && b[2] === 0x8a;

/** What `loadTorch` returns: dicts of string keys as plain objects (others as Maps), tuples and lists as arrays. */
export type TorchValue = null | boolean | number | bigint | string | Uint8Array | Tensor | TorchValue[] | { [key: string]: TorchValue } | Map<unknown, TorchValue>;

const fail = (code: ConstructorParameters<typeof TorchFileError>[0], msg: string, cause?: unknown) =>
  new TorchFileError(code, msg, cause === undefined ? undefined : { cause });

/**
 * Decode a torch.save file held in memory. With `stateDict`, the object must
 * be a dict of name -> tensor (checked before any tensor is built).
 */
export function decodeTorch(bytes: Uint8Array, where: string, options: { stateDict: boolean; half?: { n: number } }): TorchValue {
  if (isLegacyTorch(bytes)) {
    throw fail('ERR_TORCH_LEGACY_FORMAT', `${where}: written by torch.save(..., _use_new_zipfile_serialization=False), the format before PyTorch 1.6, which Duet does not read. Re-save it in the zip format: torch.save(torch.load(path, weights_only=True), path).`);
  }
  if (!isZip(bytes)) throw fail('ERR_TORCH_ARCHIVE', `${where}: not a torch.save file (a zip archive starts with 'PK'), and not a safetensors file either.`);
  const infos = listEntries(bytes, where);
  const pkls = [...infos.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) throw fail('ERR_TORCH_ARCHIVE', `${where}: expected one '<archive>/data.pkl' entry, found ${pkls.length === 0 ? 'none' : pkls.map((n) => `'${n}'`).join(', ')}.`);
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const small = extract(bytes, where, infos, new Map([[`${prefix}data.pkl`, { max: MAX_PICKLE_SIZE }], [`${prefix}byteorder`, { max: 16, optional: true }]]));
  const order = small.get(`${prefix}byteorder`);
  if (order !== undefined && new TextDecoder().decode(order) !== 'little') {
    throw fail('ERR_TORCH_ARCHIVE', `${where}: byteorder '${new TextDecoder().decode(order).slice(0, 16)}'; Duet reads little-endian files only (those written on x86 and ARM).`);
  }
  const root = unpickle(small.get(`${prefix}data.pkl`)!, where);
  if (options.stateDict) checkStateDict(root, where);
  const specs = collectTensors(root);
  const storages = new Map<string, StorageRef>();
  for (const [spec, name] of specs) {
    checkSpec(spec, name, where);
    const seen = storages.get(spec.storage.key);
    if (seen !== undefined && (seen.type !== spec.storage.type || seen.numel !== spec.storage.numel)) {
      throw fail('ERR_TORCH_TENSOR', `${where}: storage '${spec.storage.key}' is described twice, as ${seen.numel} ${seen.type} and as ${spec.storage.numel} ${spec.storage.type}.`);
    }
    storages.set(spec.storage.key, spec.storage);
  }
  const data = extract(bytes, where, infos, new Map([...storages.values()].map((s) => [`${prefix}data/${s.key}`, { exact: s.numel * ITEM_SIZE[STORAGE_DTYPE[s.type]!] }])));
  const built = new Map<TensorSpec, Tensor>();
  try {
    for (const [spec, name] of specs) built.set(spec, build(spec, data.get(`${prefix}data/${spec.storage.key}`)!, name, where));
  } catch (e) {
    for (const t of built.values()) t.dispose();
    throw e;
  }
  const widened = countHalf([...specs.keys()].map((s) => STORAGE_DTYPE[s.storage.type]!));
  if (options.half !== undefined) options.half.n += widened; // one warning for a sharded checkpoint
  else warnWidened(where, widened);
  return convert(root, built, where);
}

/** Every entry of the zip by name; names that could escape a folder are refused. */
function listEntries(bytes: Uint8Array, where: string): Map<string, UnzipFileInfo> {
  const infos = new Map<string, UnzipFileInfo>();
  try {
    unzipSync(bytes, {
      filter: (f) => {
        // Two entries of one name: readers disagree on which wins, so refuse the file.
        if (infos.has(f.name)) throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${f.name}' appears twice; a torch.save file names each entry once.`);
        infos.set(f.name, f);
        return false; // list only
      },
    });
  } catch (e) {
    if (e instanceof TorchFileError) throw e;
    throw fail('ERR_TORCH_ARCHIVE', `${where}: the zip archive is damaged (${(e as Error).message}).`, e);
  }
  for (const name of infos.keys()) {
    if (name.startsWith('/') || name.includes('\\') || name.includes('\0') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) {
      throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${name}' is an absolute path or climbs out of the archive with '..'; a torch.save file has none.`);
    }
  }
  return infos;
}

type Want = { max?: number; exact?: number; optional?: boolean };

/** Read the `wanted` entries, checking each declared size before inflating anything (zip bombs). */
function extract(bytes: Uint8Array, where: string, infos: Map<string, UnzipFileInfo>, wanted: Map<string, Want>): Map<string, Uint8Array> {
  for (const [name, w] of wanted) {
    const f = infos.get(name);
    if (f === undefined) {
      if (w.optional) continue;
      throw fail('ERR_TORCH_ARCHIVE', `${where}: the pickle refers to zip entry '${name}', which the archive does not have. The file is incomplete.`);
    }
    if (f.compression !== 0 && f.compression !== 8) throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${name}' uses compression method ${f.compression}; expected stored (0) or deflate (8).`);
    if (f.compression === 0 && f.size !== f.originalSize) throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${name}' is stored, but its sizes differ (${f.size} and ${f.originalSize}).`);
    const expected = w.exact !== undefined ? `${w.exact} bytes (its tensors' storage)` : `at most ${w.max} bytes`;
    if ((w.exact !== undefined && f.originalSize !== w.exact) || (w.max !== undefined && f.originalSize > w.max)) {
      throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${name}' declares ${f.originalSize} bytes; expected ${expected}. The file is damaged or a zip bomb.`);
    }
  }
  let out: Record<string, Uint8Array>;
  try {
    out = unzipSync(bytes, { filter: (f) => wanted.has(f.name) });
  } catch (e) {
    throw fail('ERR_TORCH_ARCHIVE', `${where}: the zip archive is damaged (${(e as Error).message}).`, e);
  }
  const got = new Map<string, Uint8Array>();
  for (const [name, w] of wanted) {
    const b = Object.prototype.hasOwnProperty.call(out, name) ? out[name] : undefined;
    if (b === undefined) continue;
    if (b.length !== infos.get(name)!.originalSize) throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${name}' holds ${b.length} bytes but declares ${infos.get(name)!.originalSize}. The file is truncated.`);
    if (w.exact !== undefined && b.length !== w.exact) throw fail('ERR_TORCH_ARCHIVE', `${where}: zip entry '${name}' holds ${b.length} bytes; expected ${w.exact}.`);
    got.set(name, b);
  }
  return got;
}

/** `load()` takes a dict of name -> tensor; a training checkpoint (epoch, optimizer...) is for `loadTorch`. */
function checkStateDict(root: PyValue, where: string): void {
  if (!(root instanceof Map)) throw fail('ERR_TORCH_NOT_A_STATE_DICT', `${where}: holds ${kind(root)}, not a state dict (a dict of name -> tensor). loadTorch(path) returns the whole object.`);
  for (const [k, v] of root) {
    if (typeof k !== 'string') throw fail('ERR_TORCH_NOT_A_STATE_DICT', `${where}: a key of the dict is ${kind(k)}; a state dict's keys are strings. loadTorch(path) returns the whole object.`);
    if (!isSpec(v)) {
      throw fail('ERR_TORCH_NOT_A_STATE_DICT', `${where}: '${k}' is ${kind(v)}, not a tensor: the file holds more than a state dict (a training checkpoint?). Use loadTorch(path) and pass its state dict (e.g. ckpt.model) to loadStateDict.`);
    }
  }
}

const isSpec = (x: unknown): x is TensorSpec => typeof x === 'object' && x !== null && (x as TensorSpec).kind === 'tensor';

function kind(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return `a ${v.kind}`;
  return `a ${typeof v} (${String(v).slice(0, 40)})`;
}

/** Tensors in the object, each once (a shared one keeps its first name), with a dotted name for errors. */
function collectTensors(root: PyValue): Map<TensorSpec, string> {
  const found = new Map<TensorSpec, string>();
  const seen = new Set<object>();
  const walk = (v: PyValue, name: string) => {
    if (isSpec(v)) {
      if (!found.has(v)) found.set(v, name || '<root>');
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    const join = (k: unknown) => (name === '' ? String(k) : `${name}.${String(k)}`);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, join(i)));
    else if (v instanceof Map) for (const [k, x] of v) walk(x, join(k));
  };
  walk(root, '');
  return found;
}

/** dtype known; shape, stride and offset inside the storage (no element read beyond it). */
function checkSpec(spec: TensorSpec, name: string, where: string): void {
  const { storage, shape, stride, offset } = spec;
  const st = STORAGE_DTYPE[storage.type];
  const desc = `tensor '${name}' (shape [${shape.join(', ')}], stride [${stride.join(', ')}], offset ${offset}, storage '${storage.key}' of ${storage.numel} ${storage.type.replace('Storage', '')} elements)`;
  if (st === undefined) throw fail('ERR_TORCH_TENSOR', `${where}: tensor '${name}' has storage type ${storage.type}, which Duet cannot load.`);
  if (offset < 0 || shape.some((d) => d < 0) || stride.some((s) => s < 0)) throw fail('ERR_TORCH_TENSOR', `${where}: ${desc} has a negative size, stride or offset.`);
  const numel = shape.reduce((p, d) => p * d, 1);
  if (numel === 0) return;
  if (numel > MAX_ELEMENTS) throw fail('ERR_TORCH_TENSOR', `${where}: ${desc} has ${numel} elements; Duet's limit is ${MAX_ELEMENTS}.`);
  const last = shape.reduce((m, d, i) => m + (d - 1) * stride[i]!, offset);
  if (!Number.isSafeInteger(last) || last >= storage.numel) {
    throw fail('ERR_TORCH_TENSOR', `${where}: ${desc} reaches element ${last}, beyond its storage; expected at most ${storage.numel - 1}. The file is damaged.`);
  }
}

/** A contiguous Duet tensor from a (possibly strided) view of a storage's bytes. */
function build(spec: TensorSpec, data: Uint8Array, name: string, where: string): Tensor {
  const st = STORAGE_DTYPE[spec.storage.type]!;
  const size = ITEM_SIZE[st];
  const numel = spec.shape.reduce((p, d) => p * d, 1);
  let contiguous = true;
  for (let i = spec.shape.length - 1, expect = 1; i >= 0; i--) {
    if (spec.shape[i] !== 1 && spec.stride[i] !== expect) contiguous = false;
    expect *= spec.shape[i]!;
  }
  let bytes: Uint8Array;
  if (contiguous || numel === 0) bytes = data.subarray(spec.offset * size, (spec.offset + numel) * size);
  else {
    bytes = new Uint8Array(numel * size);
    const index = new Array<number>(spec.shape.length).fill(0);
    for (let n = 0; n < numel; n++) {
      let src = spec.offset;
      for (let d = 0; d < index.length; d++) src += index[d]! * spec.stride[d]!;
      bytes.set(data.subarray(src * size, src * size + size), n * size);
      for (let d = index.length - 1; d >= 0 && ++index[d]! === spec.shape[d]; d--) index[d] = 0; // odometer
    }
  }
  try {
    return tensor(decode(bytes, st, name), { shape: spec.shape, dtype: duetDType(st) });
  } catch (e) {
    if (e instanceof SafetensorsError) throw fail('ERR_TORCH_TENSOR', `${where}: ${e.message}`, e);
    throw e;
  }
}

/** The unpickled object with tensors built: string-keyed dicts as plain objects (`__proto__` stays a key). */
function convert(v: PyValue, built: Map<TensorSpec, Tensor>, where: string, memo = new Map<object, TorchValue>()): TorchValue {
  if (isSpec(v)) return built.get(v)!;
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v as TorchValue;
  const done = memo.get(v);
  if (done !== undefined) return done;
  if (Array.isArray(v)) {
    const out: TorchValue[] = [];
    memo.set(v, out);
    for (const x of v) out.push(convert(x, built, where, memo));
    return out;
  }
  if (v instanceof Map) {
    if ([...v.keys()].every((k) => typeof k === 'string')) {
      const out: { [key: string]: TorchValue } = {};
      memo.set(v, out);
      for (const [k, x] of v) Object.defineProperty(out, k as string, { value: convert(x, built, where, memo), enumerable: true, writable: true, configurable: true });
      return out;
    }
    const out = new Map<unknown, TorchValue>();
    memo.set(v, out);
    for (const [k, x] of v) out.set(k, convert(x, built, where, memo));
    return out;
  }
  throw fail('ERR_TORCH_TENSOR', `${where}: holds a bare storage (not a tensor), which Duet does not load.`);
}
