/**
 * The `.keras` zip archive (fflate, in memory) and atomic file writes.
 *
 * Reading never extracts to disk: entries are decompressed in memory, and
 * any entry whose name could escape a folder (absolute, `..`, a backslash,
 * a drive letter, NUL) is refused before its data is touched, as are
 * entries whose declared size is absurd for their compressed size.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { SavingError } from './errors.js';

/** Deflate cannot expand more than ~1032:1; anything beyond is a lie or a bomb. */
const MAX_RATIO = 1100;
const MAX_ENTRY = 2 ** 31 - 1;

/** Write `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    let off = 0;
    while (off < bytes.length) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** A zip of `entries` (stored uncompressed, as Keras writes `.keras` files). */
export function makeZip(entries: Record<string, Uint8Array>): Uint8Array {
  const z: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, data] of Object.entries(entries)) z[name] = [data, { level: 0 }];
  return zipSync(z, { mtime: new Date() });
}

/** Why an entry name is unsafe, or null if it is a plain relative path. */
export function unsafeEntryName(name: string): string | null {
  if (name.includes('\0')) return 'contains NUL';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/')) return 'is absolute';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.split('/').some((p) => p === '..')) return "contains '..'";
  return null;
}

/** The entries of a zip archive held in memory (only those `wanted` accepts are decompressed). */
export function readZip(bytes: Uint8Array, where: string, wanted: (name: string) => boolean = () => true): Map<string, Uint8Array> {
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new SavingError('ERR_KERAS_ZIP', `${where}: not a zip archive (a .keras file is a zip with config.json, metadata.json and model.weights.h5); it has ${bytes.length} bytes.`);
  }
  let unsafe: string | null = null;
  let tooLarge: string | null = null;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        const why = unsafeEntryName(f.name);
        if (why !== null) {
          unsafe ??= `entry name ${JSON.stringify(f.name)} ${why}`;
          return false;
        }
        if (!wanted(f.name)) return false;
        if (f.originalSize > MAX_ENTRY || f.originalSize > (f.size + 1024) * MAX_RATIO) {
          tooLarge ??= `entry ${JSON.stringify(f.name)} declares ${f.originalSize} bytes from ${f.size} compressed bytes`;
          return false;
        }
        return true;
      },
    });
  } catch (e) {
    throw new SavingError('ERR_KERAS_ZIP', `${where}: corrupt or truncated zip archive (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  if (unsafe !== null) throw new SavingError('ERR_KERAS_ZIP_ENTRY', `${where}: refusing an unsafe archive: ${unsafe}.`);
  if (tooLarge !== null) throw new SavingError('ERR_KERAS_ZIP', `${where}: refusing an archive whose ${tooLarge}.`);
  return new Map(Object.entries(files));
}
