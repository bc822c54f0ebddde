/**
 * TensorBoard's event files, written directly: TFRecord framing (length,
 * masked CRC-32C, data, masked CRC-32C) around `tensorflow.Event` protocol
 * buffers (tensorflow/core/util/event.proto), with scalars and histograms
 * as TensorFlow 2's `tf.summary.scalar` / `tf.summary.histogram` write them
 * (a tensor plus the `scalars` / `histograms` plugin metadata), so the real
 * TensorBoard and `tf.compat.v1.train.summary_iterator` read them.
 */
import { hostname } from 'node:os';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// ------------------------------------------------------------- CRC-32C
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), as TFRecord uses it. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant. */
export function maskedCrc(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: u64 length, masked CRC of the length, data, masked CRC of the data (little-endian). */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc(out.subarray(0, 8)), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc(data), true);
  return out;
}

// ------------------------------------------------------- protocol buffers
/** A minimal protobuf writer: the wire types the Event messages need. */
class Proto {
  private parts: number[] = [];
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }
  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }
  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.parts.push(...b);
    return this;
  }
  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  message(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;

/** A TensorProto with `tensor_content` (little-endian), as TensorFlow's `AsProtoTensorContent`. */
function tensorProto(dtype: number, shape: number[], content: Uint8Array): Proto {
  const shapeProto = new Proto();
  for (const d of shape) shapeProto.message(2, new Proto().int(1, d));
  return new Proto().int(1, dtype).message(2, shapeProto).bytes(4, content);
}

/** SummaryMetadata naming the TensorBoard plugin (and its data class: 1 scalar, 2 tensor). */
function pluginMetadata(plugin: string, dataClass: number): Proto {
  return new Proto().message(1, new Proto().bytes(1, plugin)).int(4, dataClass);
}

function event(wallTime: number, step: number, fill: (e: Proto) => void): Uint8Array {
  const e = new Proto().double(1, wallTime).int(2, step);
  fill(e);
  return e.finish();
}

/** Summary.Value for a scalar, as `tf.summary.scalar` (TF 2) writes it. */
function scalarValue(tag: string, value: number): Proto {
  const c = new Uint8Array(4);
  new DataView(c.buffer).setFloat32(0, value, true);
  return new Proto().bytes(1, tag).message(9, pluginMetadata('scalars', 1)).message(8, tensorProto(DT_FLOAT, [], c));
}

/**
 * TF 2's histogram buckets: `bucketCount` equal-width buckets over
 * [min, max] as rows (left edge, right edge, count); when all values are
 * equal, the range [v - 0.5, v + 0.5]; no values: zeros.
 */
export function histogramBuckets(values: ArrayLike<number>, bucketCount = 30): number[][] {
  const n = values.length;
  if (n === 0) return Array.from({ length: bucketCount }, () => [0, 0, 0]);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bucketCount;
  const counts = new Array<number>(bucketCount).fill(0);
  for (let i = 0; i < n; i++) {
    const k = Math.min(bucketCount - 1, Math.max(0, Math.floor((values[i]! - lo) / width)));
    counts[k]! += 1;
  }
  return counts.map((c, k) => [lo + k * width, k === bucketCount - 1 ? hi : lo + (k + 1) * width, c]);
}

function histogramValue(tag: string, values: ArrayLike<number>, buckets: number): Proto {
  const rows = histogramBuckets(values, buckets);
  const c = new Uint8Array(rows.length * 3 * 8);
  const dv = new DataView(c.buffer);
  rows.flat().forEach((v, i) => dv.setFloat64(i * 8, v, true));
  return new Proto().bytes(1, tag).message(9, pluginMetadata('histograms', 2)).message(8, tensorProto(DT_DOUBLE, [rows.length, 3], c));
}

let fileCounter = 0;

/**
 * One events file in `dir` (created if needed), named as TensorFlow names
 * them (`events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2`). Each write
 * appends whole records, so a reader never sees half an event.
 */
export class EventFileWriter {
  readonly path: string;
  /** Wall time source (seconds), replaceable for reproducible files. */
  private readonly now: () => number;

  constructor(dir: string, options: { now?: () => number; filename?: string } = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    mkdirSync(dir, { recursive: true });
    const t = this.now();
    this.path = join(dir, options.filename ?? `events.out.tfevents.${Math.floor(t)}.${hostname()}.${process.pid}.${fileCounter++}.v2`);
    // A new file (an existing one of the same name is replaced), starting with the file-version event.
    writeFileSync(this.path, tfRecord(event(t, 0, (e) => e.bytes(3, 'brain.Event:2'))));
  }

  private append(eventBytes: Uint8Array): void {
    appendFileSync(this.path, tfRecord(eventBytes));
  }

  /** Scalars at `step` (one event). */
  scalars(step: number, values: Record<string, number>): void {
    const summary = new Proto();
    for (const [tag, v] of Object.entries(values)) summary.message(1, scalarValue(tag, v));
    this.append(event(this.now(), step, (e) => e.message(5, summary)));
  }

  /** A histogram of `values` at `step`. */
  histogram(step: number, tag: string, values: ArrayLike<number>, buckets = 30): void {
    const summary = new Proto().message(1, histogramValue(tag, values, buckets));
    this.append(event(this.now(), step, (e) => e.message(5, summary)));
  }
}
