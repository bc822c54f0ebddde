/**
 * A minimal safetensors reader/writer for the quantized file (F32 and I8
 * tensors; @duet/nn's `save` holds Duet tensors, which have no int8 dtype).
 * Layout (https://github.com/huggingface/safetensors): 8-byte little-endian
 * header length, the JSON header (padded with spaces to a multiple of 8),
 * then the tensors' bytes. Python's `safetensors.numpy.load_file` reads it.
 * Written to a temporary file, then renamed.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { QuantizationError } from './errors.js';

export interface StEntry {
  name: string;
  dtype: 'F32' | 'I8';
  shape: number[];
  data: Float32Array | Int8Array;
}

export function writeSafetensors(path: string, entries: StEntry[], metadata: Record<string, string>): number {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  // Larger alignment first (as Python's writer sorts by dtype), then by name.
  const sorted = [...entries].sort((a, b) => (a.dtype === b.dtype ? (a.name < b.name ? -1 : 1) : a.dtype === 'F32' ? -1 : 1));
  for (const e of sorted) {
    const n = e.data.byteLength;
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const parts = [prefix, json, ...sorted.map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength))];
  const bytes = Buffer.concat(parts);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return bytes.length;
}

export function readSafetensors(path: string): { entries: Map<string, StEntry>; metadata: Record<string, string> } {
  const buf = readFileSync(path);
  const bad = (why: string) => new QuantizationError(`${path} is not a valid safetensors file: ${why}.`);
  if (buf.length < 8) throw bad(`it has ${buf.length} bytes, fewer than the 8-byte header length`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw bad(`the header length ${n} runs past the end of the file (${buf.length} bytes)`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  const data = buf.subarray(8 + n);
  const entries = new Map<string, StEntry>();
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = h.data_offsets as [number, number];
    if (!(a >= 0 && b >= a && b <= data.length)) throw bad(`tensor '${name}' has offsets [${a}, ${b}] outside the ${data.length} data bytes`);
    const bytes = new Uint8Array(data.subarray(a, b)); // copy: aligned
    const count = (h.shape as number[]).reduce((x, y) => x * y, 1);
    let arr: Float32Array | Int8Array;
    if (h.dtype === 'F32') arr = new Float32Array(bytes.buffer, 0, count);
    else if (h.dtype === 'I8') arr = new Int8Array(bytes.buffer, 0, count);
    else throw bad(`tensor '${name}' has dtype ${h.dtype}; a quantized Duet file holds only F32 and I8`);
    if (arr.byteLength !== b - a) throw bad(`tensor '${name}' has ${b - a} bytes for shape [${h.shape}] of ${h.dtype}`);
    entries.set(name, { name, dtype: h.dtype, shape: h.shape, data: arr });
  }
  return { entries, metadata: (header.__metadata__ ?? {}) as Record<string, string> };
}
