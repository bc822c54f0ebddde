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
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@duet/core';
import { entryTensor, headerLength, layout, parseHeader, tensorBytes, type Metadata, type TensorDict } from './format.js';

export { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
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
  const fh = await open(tmp, 'wx');
  try {
    await writeAllAsync(fh, head);
    for (const [, t] of ordered) await writeAllAsync(fh, tensorBytes(t));
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** `save`, synchronously. */
export function saveSync(tensors: TensorDict, path: string, options: SaveOptions = {}): void {
  const { head, tensors: ordered } = layout(tensors, options.metadata);
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'wx');
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
    throw e;
  }
}

/**
 * Read a safetensors file. F32/F64/F16/BF16 load as float32, I32 and the
 * other integer types as int32 (values outside int32 are an error), BOOL as
 * bool. A damaged file raises a `SafetensorsError` whose `code` says why.
 */
export async function load(path: string): Promise<LoadedStateDict> {
  return decodeFile(await readFile(path), path);
}

/** `load`, synchronously. */
export function loadSync(path: string): LoadedStateDict {
  return decodeFile(readFileSync(path), path);
}

/** Decode a whole safetensors file held in memory (`where` names it in errors). */
export function decodeFile(bytes: Uint8Array, where = '<buffer>'): LoadedStateDict {
  const n = headerLength(bytes, bytes.length, where);
  const data = bytes.subarray(8 + n);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + n), data.length, where);
  const out = Object.fromEntries(entries.map((e) => [e.name, entryTensor(data, e)])) as LoadedStateDict;
  if (metadata !== undefined) Object.defineProperty(out, '__metadata__', { value: metadata, enumerable: false });
  return out;
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
