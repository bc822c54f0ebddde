/**
 * The `.keras` zip archive (fflate, in memory) and atomic file writes.
 *
 * Reading never extracts to disk: the central directory is parsed here and
 * entries are decompressed in memory. Before any data is touched, the
 * archive is refused if an entry's name could escape a folder (absolute,
 * `..`, a backslash, a drive letter, NUL), if a name appears twice, or if a
 * declared size is over the limits (a zip bomb). Every entry's CRC-32 is
 * then compared with the central directory's, so a corrupted byte anywhere
 * is an error naming the entry and the file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as zlib from 'node:zlib';
import { zipSync } from 'fflate';
import { SavingError } from './errors.js';

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

/** A zip of `entries`: stored uncompressed (level 0) by default, as Keras writes `.keras` files; deflated at levels 1-9. */
export function makeZip(entries: Record<string, Uint8Array>, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 0): Uint8Array {
  const z: Record<string, [Uint8Array, { level: typeof level }]> = {};
  for (const [name, data] of Object.entries(entries)) z[name] = [data, { level }];
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

/** Limits on what a `.keras` archive may declare (the defaults of {@link readZip}). */
export interface ZipLimits {
  /** Largest uncompressed entry, in bytes (default 2 GiB - 1, Node's largest single read). */
  maxEntryBytes: number;
  /** Largest sum of the uncompressed entries, in bytes (default 4 GiB). */
  maxTotalBytes: number;
  /** Largest expansion of a deflated entry (default 1100: deflate cannot exceed ~1032:1, so more is a lie or a bomb). */
  maxRatio: number;
}

export const ZIP_LIMITS: ZipLimits = { maxEntryBytes: 2 ** 31 - 1, maxTotalBytes: 2 ** 32, maxRatio: 1100 };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The zip format's CRC-32 (IEEE 802.3), native when Node has `zlib.crc32` (>= 20.15). */
export function crc32(bytes: Uint8Array): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One entry of the central directory. */
interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The central directory of a zip (ZIP64 included), every field checked against the file's length. */
function centralDirectory(bytes: Uint8Array, where: string): ZipEntry[] {
  try {
    return parseCentralDirectory(bytes, where);
  } catch (e) {
    // A field that points past the end of the file, missed by the checks below: still a damaged archive.
    if (e instanceof RangeError) throw new SavingError('ERR_KERAS_ZIP', `${where}: corrupt or truncated zip archive (${e.message}).`, { cause: e });
    throw e;
  }
}

function parseCentralDirectory(bytes: Uint8Array, where: string): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (why: string) => new SavingError('ERR_KERAS_ZIP', `${where}: corrupt or truncated zip archive (${why}).`);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`a 64-bit field at byte ${o} is ${v}`);
    return Number(v);
  };
  // The end-of-central-directory record: the last signature within 64 KiB + 22 bytes of the end
  // whose comment reaches the end exactly, else (bytes appended after the archive) the last one.
  let eocd = -1;
  let loose = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
    if (u32(o) !== EOCD) continue;
    if (loose < 0) loose = o;
    if (o + 22 + u16(o + 20) === bytes.length) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) eocd = loose;
  if (eocd < 0) throw corrupt('no end-of-central-directory record: the file is cut short or is not a zip');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== EOCD64_LOCATOR) throw corrupt('a ZIP64 archive without its ZIP64 locator');
    const rec = u64(loc + 8);
    if (rec + 56 > loc || u32(rec) !== EOCD64) throw corrupt('the ZIP64 end-of-central-directory record is missing');
    count = u64(rec + 32);
    cdSize = u64(rec + 40);
    cdOffset = u64(rec + 48);
  }
  if (cdOffset + cdSize > eocd) throw corrupt(`the central directory (${cdSize} bytes at ${cdOffset}) runs past its end record at ${eocd}`);
  const entries: ZipEntry[] = [];
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdOffset + cdSize || u32(o) !== CENTRAL) throw corrupt(`central directory entry ${i} of ${count} is missing`);
    const flags = u16(o + 8);
    const method = u16(o + 10);
    const crc = u32(o + 16);
    let compressedSize = u32(o + 20);
    let size = u32(o + 24);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    let localOffset = u32(o + 42);
    const end = o + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) throw corrupt(`central directory entry ${i} runs past the directory`);
    const nameBytes = bytes.subarray(o + 46, o + 46 + nameLen);
    // Bit 11: UTF-8 names; otherwise CP437, whose ASCII range is what Keras writes.
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(nameBytes);
    // The ZIP64 extra field holds, in order, whichever of the 32-bit fields are 0xFFFFFFFF.
    for (let e = o + 46 + nameLen; e + 4 <= o + 46 + nameLen + extraLen;) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        const take = () => {
          if (p + 8 > e + 4 + len) throw corrupt(`entry ${JSON.stringify(name)}: a short ZIP64 extra field`);
          const v = u64(p);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      e += 4 + len;
    }
    entries.push({ name, method, flags, crc, compressedSize, size, localOffset });
    o = end;
  }
  return entries;
}

/**
 * The entries of a zip archive held in memory, by name. Every entry is
 * checked (name, uniqueness, declared sizes against `limits`, then its
 * CRC-32 after decompression); only those `wanted` accepts are returned.
 */
export function readZip(bytes: Uint8Array, where: string, wanted: (name: string) => boolean = () => true, limits: ZipLimits = ZIP_LIMITS): Map<string, Uint8Array> {
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new SavingError('ERR_KERAS_ZIP', `${where}: not a zip archive (a .keras file is a zip with config.json, metadata.json and model.weights.h5); it has ${bytes.length} bytes.`);
  }
  const entries = centralDirectory(bytes, where);
  const seen = new Set<string>();
  let total = 0;
  for (const e of entries) {
    const why = unsafeEntryName(e.name);
    if (why !== null) throw new SavingError('ERR_KERAS_ZIP_ENTRY', `${where}: refusing an unsafe archive: entry name ${JSON.stringify(e.name)} ${why}.`);
    if (seen.has(e.name)) throw new SavingError('ERR_KERAS_ZIP_ENTRY', `${where}: refusing an archive where entry ${JSON.stringify(e.name)} appears twice (which one is meant is ambiguous).`);
    seen.add(e.name);
    if (e.flags & 1) throw new SavingError('ERR_KERAS_ZIP', `${where}: entry ${JSON.stringify(e.name)} is encrypted; .keras archives are not.`);
    if (e.method !== 0 && e.method !== 8) throw new SavingError('ERR_KERAS_ZIP', `${where}: entry ${JSON.stringify(e.name)} uses compression method ${e.method}; expected 0 (stored) or 8 (deflate).`);
    const bomb = (limit: string) => new SavingError('ERR_KERAS_ZIP', `${where}: refusing an archive whose entry ${JSON.stringify(e.name)} declares ${e.size} bytes from ${e.compressedSize} compressed bytes (${limit}).`);
    if (e.size > limits.maxEntryBytes) throw bomb(`over the limit of ${limits.maxEntryBytes} bytes per entry`);
    if (e.method === 0 && e.size !== e.compressedSize) throw bomb('a stored entry must have equal sizes');
    if (e.method === 8 && e.size > (e.compressedSize + 1024) * limits.maxRatio) throw bomb(`over ${limits.maxRatio}:1, more than deflate can expand`);
    total += e.size;
    if (total > limits.maxTotalBytes) throw bomb(`the entries so far total ${total} bytes, over the limit of ${limits.maxTotalBytes}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Uint8Array>();
  for (const e of entries) {
    const bad = (why: string) => new SavingError('ERR_KERAS_ZIP', `${where}: entry ${JSON.stringify(e.name)} is corrupt: ${why}.`);
    const o = e.localOffset;
    if (o + 30 > bytes.length || dv.getUint32(o, true) !== LOCAL) throw bad(`no local header at byte ${o}`);
    const nameLen = dv.getUint16(o + 26, true);
    const start = o + 30 + nameLen + dv.getUint16(o + 28, true);
    const localName = new TextDecoder(e.flags & 0x800 ? 'utf-8' : 'latin1').decode(bytes.subarray(o + 30, o + 30 + nameLen));
    if (localName !== e.name) throw bad(`its local header names it ${JSON.stringify(localName)}`);
    if (start + e.compressedSize > bytes.length) throw bad(`its ${e.compressedSize} bytes at ${start} run past the end of the file (${bytes.length} bytes)`);
    const raw = bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else {
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        throw new SavingError('ERR_KERAS_ZIP', `${where}: entry ${JSON.stringify(e.name)} is corrupt: it does not inflate to its declared ${e.size} bytes (${err instanceof Error ? err.message : String(err)}).`, { cause: err });
      }
      if (data.length !== e.size) throw bad(`it inflates to ${data.length} bytes, not its declared ${e.size}`);
    }
    const crc = crc32(data);
    if (crc !== e.crc) throw bad(`CRC-32 ${hex(crc)} of its data does not match ${hex(e.crc)} in the central directory`);
    if (wanted(e.name)) out.set(e.name, data);
  }
  return out;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
