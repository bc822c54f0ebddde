/**
 * `save` / `load`: state dicts as safetensors files, byte-compatible with
 * Python's `safetensors` (a file Duet writes loads with
 * `safetensors.torch.load_file`, and the other way round).
 *
 * Writes are atomic: the data goes to a temporary file in the same folder,
 * which is flushed and then renamed over the target, so a failed or
 * interrupted save leaves any previous file intact.
 *
 * @example
 * ```ts
 * import { nn, save, load } from '@duet/nn';
 * const model = new nn.Linear(4, 2);
 * await save(model.stateDict(), 'linear.safetensors', { metadata: { epoch: '3' } });
 * const sd = await load('linear.safetensors');
 * model.loadStateDict(sd);
 * sd.__metadata__?.epoch; // '3'
 * ```
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuetError, type Tensor } from '@duet/core';
import { SafetensorsError } from './errors.js';
import { countHalf, warnWidened } from './dtypes.js';
import { FOLDER_FILES, planShards, takeShard } from './sharded.js';
import { checkTorchSize, decodeTorch, isLegacyTorch, isZip, type TorchValue } from './torch.js';
import { entryTensor, headerLength, layout, parseHeader, tensorBytes, type Metadata, type Parsed, type TensorDict } from './format.js';

export { SafetensorsError, TorchFileError, type SafetensorsErrorCode, type TorchFileErrorCode } from './errors.js';
export type { TorchValue } from './torch.js';
export type { Metadata, TensorDict } from './format.js';

export interface SaveOptions {
  /** A string map stored in the header's `__metadata__` (e.g. `{ format: 'pt' }`). */
  metadata?: Metadata;
}

/**
 * What `load` returns: the tensors by name (a plain object, ready for
 * `module.loadStateDict`), and the file's `__metadata__` map, if any, as a
 * non-enumerable property (so it is not taken for a tensor).
 */
export type LoadedStateDict = Record<string, Tensor> & { readonly __metadata__?: Metadata };

/**
 * Write `tensors` (a state dict: name -> Tensor) to `path` as safetensors.
 * float32, int32 and bool tensors are written as F32, I32 and BOOL.
 */
export async function save(tensors: TensorDict, path: string, options: SaveOptions = {}): Promise<void> {
  const { head, tensors: ordered } = layout(tensors, options.metadata);
  const tmp = tempPath(path);
  const fh = await open(tmp, 'wx').catch((e: unknown) => {
    throw ioError('save', path, e);
  });
  try {
    await writeAllAsync(fh, head);
    for (const [, t] of ordered) await writeAllAsync(fh, tensorBytes(t));
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw ioError('save', path, e);
  }
}

/** `save`, synchronously. */
export function saveSync(tensors: TensorDict, path: string, options: SaveOptions = {}): void {
  const { head, tensors: ordered } = layout(tensors, options.metadata);
  const tmp = tempPath(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (e) {
    throw ioError('save', path, e);
  }
  let closed = false;
  try {
    writeAll(fd, head);
    for (const [, t] of ordered) writeAll(fd, tensorBytes(t));
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw ioError('save', path, e);
  }
}

/**
 * Read a state dict. `path` is one of:
 * - a safetensors file (Duet's, `safetensors.torch.save_file`'s, Hugging Face's);
 * - a sharded checkpoint's `model.safetensors.index.json` (or `pytorch_model.bin.index.json`),
 *   or the folder holding it: every shard is loaded and checked against the index;
 * - a `torch.save` file (`model.pt`, `pytorch_model.bin`), read by a restricted unpickler
 *   that builds only tensors and containers, as `torch.load(weights_only=True)` does.
 *
 * F32/F64/F16/BF16 load as float32 (F16/BF16 with a one-time `DUET_HALF_TO_FLOAT32`
 * warning), I32 and the other integer types as int32 (values outside int32 are an
 * error), BOOL as bool. A damaged file raises a `SafetensorsError` or `TorchFileError`
 * whose `code` says why. A safetensors file is read in three steps: the 8-byte length,
 * the header (checked against the file's size and the 100 MB limit), then the data the
 * header describes; a bad file never makes Duet read more than it holds.
 */
export async function load(path: string): Promise<LoadedStateDict> {
  return loadAny(path, undefined);
}

/** `load`, synchronously. */
export function loadSync(path: string): LoadedStateDict {
  return loadAnySync(path, undefined);
}

/**
 * Read a whole `torch.save` file: a state dict, or a training checkpoint with
 * nested dicts, lists, tuples, numbers and strings (`{ epoch: 3, model: {...} }`).
 * Dicts with string keys become plain objects, others Maps; tuples and lists arrays;
 * integers beyond 2^53 bigints. Only what `torch.load(weights_only=True)` accepts is read.
 */
export async function loadTorch(path: string): Promise<TorchValue> {
  const st = await stat(path).catch((e: unknown) => {
    throw ioError('load', path, e);
  });
  checkRegularFile(st, path);
  checkTorchSize(st.size, path);
  const bytes = await readFile(path).catch((e: unknown) => {
    throw ioError('load', path, e);
  });
  return decodeTorch(bytes, path, { stateDict: false });
}

/** `loadTorch`, synchronously. */
export function loadTorchSync(path: string): TorchValue {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    checkRegularFile(st, path);
    checkTorchSize(st.size, path);
    bytes = readFileSync(path);
  } catch (e) {
    throw ioError('load', path, e);
  }
  return decodeTorch(bytes, path, { stateDict: false });
}

/** Counts F16/BF16 tensors across the shards of one index, for one warning. */
type HalfCount = { n: number };

async function loadAny(path: string, half: HalfCount | undefined): Promise<LoadedStateDict> {
  let st = await stat(path).catch((e: unknown) => {
    throw ioError('load', path, e);
  });
  if (st.isDirectory() && inFolder(path, st) !== path) {
    path = inFolder(path, st);
    st = await stat(path);
  }
  const index = indexOf(path, st);
  if (index !== undefined) {
    const text = await readFile(index, 'utf8').catch((e: unknown) => {
      throw ioError('load', index, e);
    });
    const out: LoadedStateDict = {};
    const count: HalfCount = { n: 0 };
    try {
      for (const shard of planShards(text, index).shards.values()) takeShard(shard, await loadAny(shard.file, count), out, index);
    } catch (e) {
      for (const t of Object.values(out) as Tensor[]) t.dispose();
      throw e;
    }
    warnWidened(index, count.n);
    return out;
  }
  checkRegularFile(st, path);
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw ioError('load', path, e);
  });
  try {
    const read = async (at: number, n: number) => {
      const buf = Buffer.alloc(n);
      let off = 0;
      while (off < n) {
        const { bytesRead } = await fh.read(buf, off, n - off, at + off);
        if (bytesRead === 0) break; // the file shrank: the checks below report it as truncated
        off += bytesRead;
      }
      return buf.subarray(0, off);
    };
    const size = (await fh.stat()).size;
    const prefix = await read(0, Math.min(9, size));
    if (isTorchFile(prefix)) {
      checkTorchSize(size, path);
      return torchStateDict(await read(0, size), path, half);
    }
    // Length, then header (both checked against the file's size), then the data the header describes.
    const n = headerLength(prefix, size, path);
    const parsed = parseHeader(await read(8, n), size - 8 - n, path);
    return build(parsed, await read(8 + n, size - 8 - n), path, half);
  } catch (e) {
    throw ioError('load', path, e);
  } finally {
    await fh.close();
  }
}

function loadAnySync(path: string, half: HalfCount | undefined): LoadedStateDict {
  let st: Stats;
  try {
    st = statSync(path);
    if (st.isDirectory() && inFolder(path, st) !== path) {
      path = inFolder(path, st);
      st = statSync(path);
    }
  } catch (e) {
    throw ioError('load', path, e);
  }
  const index = indexOf(path, st);
  if (index !== undefined) {
    let text: string;
    try {
      text = readFileSync(index, 'utf8');
    } catch (e) {
      throw ioError('load', index, e);
    }
    const out: LoadedStateDict = {};
    const count: HalfCount = { n: 0 };
    try {
      for (const shard of planShards(text, index).shards.values()) takeShard(shard, loadAnySync(shard.file, count), out, index);
    } catch (e) {
      for (const t of Object.values(out) as Tensor[]) t.dispose();
      throw e;
    }
    warnWidened(index, count.n);
    return out;
  }
  let fd: number;
  try {
    checkRegularFile(st, path);
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError('load', path, e);
  }
  try {
    const read = (at: number, n: number) => {
      const buf = Buffer.alloc(n);
      let off = 0;
      while (off < n) {
        const got = readSync(fd, buf, off, n - off, at + off);
        if (got === 0) break;
        off += got;
      }
      return buf.subarray(0, off);
    };
    const size = fstatSync(fd).size;
    const prefix = read(0, Math.min(9, size));
    if (isTorchFile(prefix)) {
      checkTorchSize(size, path);
      return torchStateDict(read(0, size), path, half);
    }
    const n = headerLength(prefix, size, path);
    const parsed = parseHeader(read(8, n), size - 8 - n, path);
    return build(parsed, read(8 + n, size - 8 - n), path, half);
  } catch (e) {
    throw ioError('load', path, e);
  } finally {
    closeSync(fd);
  }
}

/** The index file to read: `path` itself (`*.index.json`), or the one in the folder `path`. */
function indexOf(path: string, st: Stats): string | undefined {
  if (st.isFile() && path.endsWith('.index.json')) return path;
  return undefined;
}

/** In a folder, the file Hugging Face would load (an index, else a single file); else `path` itself. */
function inFolder(path: string, st: Stats): string {
  if (!st.isDirectory()) return path;
  return FOLDER_FILES.map((f) => join(path, f)).find((f) => existsSync(f)) ?? path;
}

/**
 * A torch.save file by its first bytes (a zip, or the legacy pickle). A safetensors
 * header length could start with the same bytes, but its JSON then starts at byte 8
 * with '{', where a zip has its compression method and the legacy format a magic number.
 */
const isTorchFile = (prefix: Uint8Array): boolean => (isZip(prefix) || isLegacyTorch(prefix)) && prefix[8] !== 0x7b;

function torchStateDict(bytes: Uint8Array, path: string, half: HalfCount | undefined): LoadedStateDict {
  return decodeTorch(bytes, path, { stateDict: true, half }) as LoadedStateDict;
}

/** Decode a whole safetensors file held in memory (`where` names it in errors). */
export function decodeFile(bytes: Uint8Array, where = '<buffer>'): LoadedStateDict {
  const n = headerLength(bytes, bytes.length, where);
  const data = bytes.subarray(8 + n);
  return build(parseHeader(bytes.subarray(8, 8 + n), data.length, where), data, where, undefined);
}

function build({ entries, metadata }: Parsed, data: Uint8Array, where: string, half: HalfCount | undefined): LoadedStateDict {
  const need = entries.reduce((m, e) => Math.max(m, e.end), 0);
  if (data.length < need) throw new SafetensorsError('ERR_SAFETENSORS_TRUNCATED', `${where}: the data section ends at byte ${data.length}, but the header's tensors need ${need} bytes. The file is truncated.`);
  const out = Object.fromEntries(entries.map((e) => [e.name, entryTensor(data, e)])) as LoadedStateDict;
  if (metadata !== undefined) Object.defineProperty(out, '__metadata__', { value: metadata, enumerable: false });
  const widened = countHalf(entries.map((e) => e.dtype));
  if (half !== undefined) half.n += widened;
  else warnWidened(where, widened);
  return out;
}

/** `load` reads only regular files: a directory, `/dev/zero` or a pipe is refused before any read. */
function checkRegularFile(st: Stats, path: string): void {
  if (st.isFile()) return;
  const kind = st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
  throw new SafetensorsError('ERR_SAFETENSORS_NOT_A_FILE', `load(): '${path}' is ${kind}; expected a safetensors file.`);
}

const IO_REASON: Record<string, (path: string) => string> = {
  ENOENT: (p) => `the folder '${dirname(p)}' does not exist`,
  ENOTDIR: (p) => `a part of '${dirname(p)}' is not a folder`,
  EISDIR: (p) => `'${p}' is a directory`,
  EACCES: (p) => `permission denied (on '${p}' or its folder '${dirname(p)}')`,
  EPERM: (p) => `operation not permitted (on '${p}' or its folder '${dirname(p)}')`,
  EROFS: () => 'the file system is read-only',
  ENOSPC: () => 'no space left on the device',
};

/**
 * A file-system error (Node's, which names the temporary file of an atomic
 * save) as a SafetensorsError naming the path the caller gave. Duet's own
 * errors and everything that is not a file-system error pass through.
 */
function ioError(op: 'save' | 'load', path: string, e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof DuetError || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  const reason = op === 'load' && code === 'ENOENT' ? `'${path}' does not exist` : (IO_REASON[code]?.(path) ?? (e as Error).message);
  return new SafetensorsError('ERR_SAFETENSORS_IO', `${op}(): cannot ${op === 'save' ? 'write' : 'read'} '${path}': ${reason} (${code}).`, { cause: e });
}

/** A fresh temporary name next to `path` (same folder, so the final rename is atomic). */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeAllAsync(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}
