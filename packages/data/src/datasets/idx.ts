/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 * a magic number (two zero bytes, a type code, the number of dimensions),
 * the dimensions as big-endian uint32, then the values, big-endian. Plain or
 * gzip-compressed files.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The content of an IDX file: values (row-major) and shape. */
export interface IdxArray {
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  shape: number[];
  dtype: IdxDType;
}

const TYPES: Record<number, { dtype: IdxDType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

const hex = (b: Uint8Array, n: number): string => Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Read an IDX file (`.gz` or plain; gzip is detected from the content). */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DatasetNotFoundError(path, `Cannot read the IDX file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseIdx(bytes, path);
}

/** Parse IDX bytes; `path` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, path = '<buffer>'): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (cause) {
      throw new DatasetFormatError(path, `${path} looks gzip-compressed but does not decompress (truncated or corrupt?): ${(cause as Error).message}`, { cause });
    }
  }
  if (bytes.length < 4) throw new DatasetFormatError(path, `${path} is not an IDX file: it has ${bytes.length} bytes, fewer than the 4-byte magic number.`);
  const type = TYPES[bytes[2]!];
  const ndim = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    throw new DatasetFormatError(
      path,
      `${path} is not an IDX file: wrong magic number ${hex(bytes, 4)}; expected 00 00, a type code (08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, 0e float64) and the number of dimensions (e.g. 00 00 08 03 for MNIST images, 00 00 08 01 for labels).`,
    );
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new DatasetFormatError(path, `${path} is truncated: the header needs ${header} bytes for ${ndim} dimensions; the file has ${bytes.length}.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * type.bytes;
  const actual = bytes.length - header;
  if (actual !== expected) {
    throw new DatasetFormatError(
      path,
      `${path} is ${actual < expected ? 'truncated' : 'longer than its header says'}: the header says [${shape.join(', ')}] ${type.dtype} = ${expected} bytes of data; the file has ${actual}.`,
    );
  }
  const body = bytes.subarray(header);
  let data: IdxArray['data'];
  switch (type.dtype) {
    case 'uint8':
      data = body;
      break;
    case 'int8':
      data = new Int8Array(body.buffer, body.byteOffset, count);
      break;
    default: {
      const C = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[type.dtype];
      const out = new C(count);
      const get = { int16: view.getInt16, int32: view.getInt32, float32: view.getFloat32, float64: view.getFloat64 }[type.dtype].bind(view);
      for (let i = 0; i < count; i++) out[i] = get(header + i * type.bytes, false);
      data = out;
    }
  }
  return { data, shape, dtype: type.dtype };
}
