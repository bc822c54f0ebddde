import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualSeed, memory, tensor, type Tensor } from '@duet/core';
import * as keras from '../index.js';
import { TensorBoard } from './tensorboard.js';
import { crc32c, histogramBuckets, maskedCrc } from './tfevents.js';

// ------------------------------------------- a small reader for the tests
interface ReadValue { tag: string; plugin: string | null; scalar: number | null; histogram: number[][] | null }
interface ReadEvent { wallTime: number; step: number; fileVersion: string | null; values: ReadValue[] }

/** Protobuf fields of `b`: field number -> list of raw values (varint as bigint, fixed64 bytes, length-delimited bytes). */
function fields(b: Uint8Array): Map<number, (bigint | Uint8Array)[]> {
  const out = new Map<number, (bigint | Uint8Array)[]>();
  let i = 0;
  const varint = () => {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[i++]!;
      x |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return x;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    let v: bigint | Uint8Array;
    if (wire === 0) v = varint();
    else if (wire === 1) { v = b.subarray(i, i + 8); i += 8; }
    else if (wire === 5) { v = b.subarray(i, i + 4); i += 4; }
    else if (wire === 2) { const n = Number(varint()); v = b.subarray(i, i + n); i += n; }
    else throw new Error(`wire type ${wire}`);
    (out.get(field) ?? out.set(field, []).get(field)!).push(v);
  }
  return out;
}
const str = (v: unknown) => new TextDecoder().decode(v as Uint8Array);
const one = (m: Map<number, (bigint | Uint8Array)[]>, f: number) => m.get(f)?.[0];

/** Every event of a TFRecord file, checking both CRCs of every record. */
function readEvents(file: Uint8Array): ReadEvent[] {
  const out: ReadEvent[] = [];
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  for (let off = 0; off < file.length;) {
    const n = Number(dv.getBigUint64(off, true));
    expect(dv.getUint32(off + 8, true)).toBe(maskedCrc(file.subarray(off, off + 8)));
    const data = file.subarray(off + 12, off + 12 + n);
    expect(dv.getUint32(off + 12 + n, true)).toBe(maskedCrc(data));
    off += 16 + n;
    const e = fields(data);
    const wt = one(e, 1) as Uint8Array;
    const values: ReadValue[] = [];
    const summary = one(e, 5) as Uint8Array | undefined;
    for (const raw of summary === undefined ? [] : fields(summary).get(1) ?? []) {
      const v = fields(raw as Uint8Array);
      const meta = one(v, 9) as Uint8Array | undefined;
      const plugin = meta === undefined ? null : str(one(fields(one(fields(meta), 1) as Uint8Array), 1));
      const t = fields(one(v, 8) as Uint8Array);
      const content = one(t, 4) as Uint8Array;
      const cdv = new DataView(content.buffer, content.byteOffset, content.byteLength);
      let scalar: number | null = null;
      let histogram: number[][] | null = null;
      if (Number(one(t, 1)) === 1) scalar = cdv.getFloat32(0, true);
      else histogram = Array.from({ length: content.length / 24 }, (_, r) => [0, 1, 2].map((c) => cdv.getFloat64((r * 3 + c) * 8, true)));
      values.push({ tag: str(one(v, 1)), plugin, scalar, histogram });
    }
    out.push({ wallTime: new DataView(wt.buffer, wt.byteOffset, 8).getFloat64(0, true), step: Number(one(e, 2) ?? 0n), fileVersion: one(e, 3) === undefined ? null : str(one(e, 3)), values });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'duet-tb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TFRecord framing', () => {
  it('CRC-32C matches the standard check values', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(maskedCrc(new Uint8Array(0))).toBe(((((0 >>> 15) | (0 << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });

  it('histogram buckets cover [min, max] and count every value', () => {
    const rows = histogramBuckets([0, 1, 2, 3, 4, 5, 6, 7, 8, 9.5], 5);
    expect(rows.map((r) => r[2])).toEqual([2, 2, 2, 2, 2]);
    expect(rows[0]![0]).toBe(0);
    expect(rows[4]![1]).toBe(9.5);
    expect(histogramBuckets([3, 3], 2)).toEqual([[2.5, 3, 0], [3, 3.5, 2]]);
  });
});

describe('TensorBoard callback', () => {
  it('writes train and validation scalars per epoch (Keras\'s tags and steps), histograms, and leaks nothing', async () => {
    manualSeed(4);
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(3, { activation: 'relu' }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const x = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const y = tensor([[1], [2], [3], [4]]);
    const options = { epochs: 2, batchSize: 2, verbose: 0 as const, validationData: [x, y] as [Tensor, Tensor] };
    await m.fit(x, y, options); // warm-up: the same run without the callback
    const tb = new TensorBoard({ logDir: join(dir, 'logs'), histogramFreq: 1 });
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    const before = memory().numTensors;
    const h = await m.fit(x, y, { ...options, callbacks: [tb] });
    const its = m.optimizer!.iterations;
    await m.fit(x, y, { epochs: 1, verbose: 0 }); // a boundary releases the last step's reads
    expect(memory().numTensors).toBe(before);

    expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['train', 'validation']);
    const train = readEvents(readFileSync(tb.files.train!));
    expect(train[0]!.fileVersion).toBe('brain.Event:2');
    const scalars = (evs: ReturnType<typeof readEvents>, tag: string) => evs.flatMap((e) => e.values.filter((v) => v.tag === tag).map((v) => [e.step, v.scalar]));
    const f32 = (v: number) => Math.fround(v);
    expect(scalars(train, 'epoch_loss')).toEqual(h.history.loss!.map((v, i) => [i, f32(v)]));
    expect(scalars(train, 'epoch_mae')).toEqual(h.history.mae!.map((v, i) => [i, f32(v)]));
    expect(scalars(train, 'epoch_learning_rate')).toEqual([[0, f32(0.01)], [1, f32(0.01)]]);
    const val = readEvents(readFileSync(tb.files.validation!));
    expect(scalars(val, 'epoch_loss')).toEqual(h.history.val_loss!.map((v, i) => [i, f32(v)]));
    expect(scalars(val, 'evaluation_loss_vs_iterations').map((r) => r[0])).toEqual([its - 2, its]);
    const hist = train.flatMap((e) => e.values.filter((v) => v.tag.endsWith('/histogram')).map((v) => [e.step, v.tag, v.histogram!]));
    expect(hist.map((r) => r[1])).toEqual([...m.weights.map((w) => `${w.path}/histogram`), ...m.weights.map((w) => `${w.path}/histogram`)]);
    const firstKernel = hist[0]![2] as number[][];
    expect(firstKernel.reduce((a, r) => a + r[2]!, 0)).toBe(6);
  });

  it('logs batch scalars with updateFreq', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const tb = new TensorBoard({ logDir: join(dir, 'batches'), updateFreq: 2 });
    await m.fit(tensor([[1, 2], [3, 4], [5, 6], [7, 8]]), tensor([[1], [2], [3], [4]]), { epochs: 2, batchSize: 1, verbose: 0, callbacks: [tb] });
    const train = readEvents(readFileSync(tb.files.train!));
    expect(train.filter((e) => e.values.some((v) => v.tag === 'batch_loss')).map((e) => e.step)).toEqual([2, 4, 6, 8]);
    expect(() => new TensorBoard({ updateFreq: 0 })).toThrow(/update_freq/);
  });

  it('takes the guide\'s embeddingsFreq: 0 (Keras\'s default); a projector frequency it cannot honour is an error', () => {
    expect(new TensorBoard({ logDir: join(dir, 'e'), histogramFreq: 0, embeddingsFreq: 0, updateFreq: 'epoch' }).embeddingsFreq).toBe(0);
    expect(() => new TensorBoard({ embeddingsFreq: 1 })).toThrow(/embeddings_freq.*not supported/);
  });
});
