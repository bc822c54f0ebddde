/**
 * The safetensors byte layout (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian header length N, N bytes of JSON
 * (`{"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}}`),
 * then the tensors' bytes. Written exactly as Python's `safetensors` writes:
 * tensors ordered by dtype then name, compact JSON, header padded with spaces
 * to a multiple of 8. Read with every check of the reference reader; the
 * header is parsed as JSON data only (nothing in a file is ever evaluated).
 */
import { ArgumentError, Tensor, tensor } from '@duet/core';
import { SafetensorsError } from './errors.js';
import { ITEM_SIZE, TO_ST, WRITE_RANK, decode, duetDType, isKnownDType, type StDType } from './dtypes.js';

/** The reference reader's limit on the header's size. */
export const MAX_HEADER_SIZE = 100_000_000;

/** What `save` takes: named tensors, plus an optional `__metadata__` map of strings. */
export type TensorDict = { [name: string]: Tensor } | Map<string, Tensor>;
export type Metadata = Record<string, string>;

export interface Layout {
  /** The 8-byte length prefix and the padded JSON header. */
  head: Uint8Array;
  /** Tensors in file order. */
  tensors: [string, Tensor][];
}

/** Check the input of `save` and lay out its header. No tensor data is read here. */
export function layout(dict: TensorDict, metadata: Metadata | undefined): Layout {
  const entries: [string, Tensor][] = [];
  const pairs = dict instanceof Map ? [...dict.entries()] : Object.entries(dict);
  for (const [name, t] of pairs) {
    if (name === '__metadata__') {
      if (metadata !== undefined) throw new ArgumentError("save(): metadata was given twice (as options.metadata and as a '__metadata__' entry).");
      metadata = t as unknown as Metadata;
      continue;
    }
    if (!(t instanceof Tensor)) {
      throw new ArgumentError(`save(): every value must be a Tensor; '${name}' is ${describe(t)}. Put other values, as strings, in the '__metadata__' map.`);
    }
    if (t.isDisposed) throw new ArgumentError(`save(): tensor '${name}' was already released and cannot be saved.`);
    entries.push([name, t]);
  }
  if (metadata !== undefined) checkMetadata(metadata);
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  entries.sort(([na, a], [nb, b]) => WRITE_RANK[TO_ST[b.dtype]] - WRITE_RANK[TO_ST[a.dtype]] || Buffer.compare(utf8(na), utf8(nb)));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    // Python's writer orders metadata keys at random (a hash map); sorted is deterministic.
    header.__metadata__ = Object.fromEntries(Object.keys(metadata).sort().map((k) => [k, metadata![k]]));
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const dtype = TO_ST[t.dtype];
    const end = offset + t.numel() * ITEM_SIZE[dtype];
    Object.defineProperty(header, name, { value: { dtype, shape: [...t.shape], data_offsets: [offset, end] }, enumerable: true, writable: true, configurable: true });
    offset = end;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  return { head, tensors: entries };
}

/** The raw little-endian bytes of a tensor's values (bool as 0/1 bytes). */
export function tensorBytes(t: Tensor): Uint8Array {
  const v = t.dataSync();
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function checkMetadata(m: unknown): asserts m is Metadata {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new ArgumentError(`save(): '__metadata__' must be an object of strings, received ${describe(m)}.`);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw new ArgumentError(`save(): '__metadata__' values must be strings (safetensors stores a string map); '${k}' is ${describe(v)}. Use JSON.stringify for structured values.`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}

// ------------------------------------------------------------------ reading

export interface ParsedEntry {
  name: string;
  dtype: StDType;
  shape: number[];
  begin: number;
  end: number;
}
export interface Parsed {
  entries: ParsedEntry[];
  metadata: Metadata | undefined;
}

const fail = (code: ConstructorParameters<typeof SafetensorsError>[0], msg: string, cause?: unknown) =>
  new SafetensorsError(code, msg, cause === undefined ? undefined : { cause });

/** The header length N from the first 8 bytes of a file of `fileSize` bytes, checked against the file. */
export function headerLength(prefix: Uint8Array, fileSize: number, where: string): number {
  if (fileSize < 8) throw fail('ERR_SAFETENSORS_TRUNCATED', `${where}: the file has ${fileSize} bytes; a safetensors file starts with an 8-byte header length. The file is truncated or not a safetensors file.`);
  const n = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(fileSize - 8) || n > BigInt(MAX_HEADER_SIZE)) {
    throw fail(
      'ERR_SAFETENSORS_HEADER_TOO_LARGE',
      `${where}: the header declares ${n} bytes, but ${n > BigInt(MAX_HEADER_SIZE) ? `the limit is ${MAX_HEADER_SIZE}` : `only ${fileSize - 8} bytes follow the length prefix`}. The file is truncated or not a safetensors file.`,
    );
  }
  return Number(n);
}

/** Parse and validate the JSON header (the N bytes after the prefix); `dataSize` = file size - 8 - N. */
export function parseHeader(headerBytes: Uint8Array, dataSize: number, where: string): Parsed {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (e) {
    throw fail('ERR_SAFETENSORS_HEADER', `${where}: the header is not valid UTF-8.`, e);
  }
  if (!text.startsWith('{')) throw fail('ERR_SAFETENSORS_HEADER', `${where}: the header must be a JSON object starting with '{', found ${JSON.stringify(text.slice(0, 16))}.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fail('ERR_SAFETENSORS_HEADER', `${where}: the header is not valid JSON (${(e as Error).message}).`, e);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail('ERR_SAFETENSORS_HEADER', `${where}: the header must be a JSON object.`);
  const dup = duplicateKey(text);
  if (dup !== undefined) {
    throw fail('ERR_SAFETENSORS_HEADER', dup.in === undefined ? `${where}: duplicate tensor name '${dup.key}' in header.` : `${where}: duplicate key '${dup.key}' in the header entry of '${dup.in}'.`);
  }
  let metadata: Metadata | undefined;
  const entries: ParsedEntry[] = [];
  for (const [name, info] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(info, where);
      continue;
    }
    entries.push(parseEntry(name, info, where));
  }
  checkOffsets(entries, dataSize, where);
  return { entries, metadata };
}

/**
 * The first key repeated within one object of a valid JSON text (JSON.parse
 * silently keeps the last; the reference reader rejects the file), with the
 * top-level key it sits under (`in`), if any. One pass over the text.
 */
export function duplicateKey(text: string): { key: string; in?: string } | undefined {
  const objects: (Set<string> | null)[] = []; // one entry per open {} (a Set) or [] (null)
  let top: string | undefined; // the current top-level key
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) objects.push(new Set());
    else if (c === 0x5b /* [ */) objects.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) objects.pop();
    else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const keys = objects[objects.length - 1];
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      if (keys != null && text[k] === ':') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return objects.length === 1 ? { key } : { key, in: top };
        keys.add(key);
        if (objects.length === 1) top = key;
      }
      i = j;
    }
  }
  return undefined;
}

function parseMetadata(info: unknown, where: string): Metadata {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) throw fail('ERR_SAFETENSORS_HEADER', `${where}: '__metadata__' must be an object of strings.`);
  const out: Metadata = {};
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string') throw fail('ERR_SAFETENSORS_HEADER', `${where}: '__metadata__' values must be strings; '${k}' is ${describe(v)}.`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function parseEntry(name: string, info: unknown, where: string): ParsedEntry {
  const bad = (what: string) => fail('ERR_SAFETENSORS_HEADER', `${where}: tensor '${name}': ${what}.`);
  if (info === null || typeof info !== 'object' || Array.isArray(info)) throw bad('expected an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') throw bad('missing or non-string "dtype"');
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`"shape" must be an array of non-negative integers, found ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || (offsets[0] as number) > (offsets[1] as number)) {
    throw bad(`"data_offsets" must be [begin, end] with 0 <= begin <= end, found ${JSON.stringify(offsets)}`);
  }
  if (!isKnownDType(dtype)) {
    throw fail('ERR_SAFETENSORS_DTYPE', `${where}: tensor '${name}' has dtype '${dtype}', which Duet cannot load. Supported: ${Object.keys(ITEM_SIZE).join(', ')}.`);
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

/** Like the reference reader: sizes match shapes, and the tensors tile the data section exactly. */
function checkOffsets(entries: ParsedEntry[], dataSize: number, where: string): void {
  for (const e of entries) {
    const need = e.shape.reduce((p, d) => p * d, 1) * ITEM_SIZE[e.dtype];
    if (e.end - e.begin !== need) {
      throw fail('ERR_SAFETENSORS_OFFSETS', `${where}: tensor '${e.name}' (${e.dtype}, shape [${e.shape.join(', ')}]) needs ${need} bytes, but its data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin}.`);
    }
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.end > dataSize) {
      throw fail('ERR_SAFETENSORS_TRUNCATED', `${where}: tensor '${e.name}' ends at byte ${e.end} of the data section, which has only ${dataSize} bytes. The file is truncated.`);
    }
    if (e.begin < pos) throw fail('ERR_SAFETENSORS_OFFSETS', `${where}: tensor '${e.name}' (data_offsets [${e.begin}, ${e.end}]) overlaps the tensor before it, which ends at ${pos}.`);
    if (e.begin > pos) throw fail('ERR_SAFETENSORS_OFFSETS', `${where}: bytes ${pos}..${e.begin} of the data section belong to no tensor (a gap before '${e.name}').`);
    pos = e.end;
  }
  if (pos !== dataSize) throw fail('ERR_SAFETENSORS_OFFSETS', `${where}: the data section has ${dataSize} bytes, but the tensors cover only ${pos}.`);
}

/** A Duet tensor from the bytes of one entry (relative to the data section). */
export function entryTensor(data: Uint8Array, e: ParsedEntry): Tensor {
  const values = decode(data.subarray(e.begin, e.end), e.dtype, e.name);
  return tensor(values, { shape: e.shape, dtype: duetDType(e.dtype) });
}
