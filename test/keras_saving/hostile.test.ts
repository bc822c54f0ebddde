/**
 * Damaged and hostile `.keras` archives (issue 10): each is refused with a
 * typed error that names the file and the entry, before any variable is
 * made or kept, and nothing is written anywhere. The archives are built
 * here from a real Keras 3.15 file (py_sequential.keras, written by
 * test/golden/gen_keras_saving.py) by changing the bytes that matter.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '@duet/core';
import * as keras from '@duet/keras';
import { crc32, makeZip, readZip, ZIP_LIMITS } from '../../packages/keras/src/saving/archive.js';
import { jsonSyntaxError } from '../../packages/keras/src/saving/keras_json.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'duet-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = () => new Uint8Array(readFileSync(join(here, 'py_sequential.keras')));
const entries = () => readZip(good(), 'py_sequential.keras');
const enc = (s: string) => new TextEncoder().encode(s);

/** Byte offsets of `name`'s central directory record and local header in a zip. */
function locate(zip: Uint8Array, name: string): { central: number; local: number } {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const nameBytes = enc(name);
  for (let o = zip.length - 46; o >= 0; o--) {
    if (dv.getUint32(o, true) !== 0x02014b50 || dv.getUint16(o + 28, true) !== nameBytes.length) continue;
    if (nameBytes.every((b, i) => zip[o + 46 + i] === b)) return { central: o, local: dv.getUint32(o + 42, true) };
  }
  throw new Error(`no entry ${name}`);
}

/** The offset of `name`'s data in a zip. */
function dataOffset(zip: Uint8Array, name: string): number {
  const { local } = locate(zip, name);
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  return local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
}

/** Write `bytes` as a .keras file and load it; the error it is refused with, and the native tensor count before and after. */
async function refuse(name: string, bytes: Uint8Array): Promise<{ err: any; path: string }> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const listing = readdirSync(dir);
  const before = memory().numTensors;
  const err = await keras.models.loadModel(path).then(() => null, (e) => e);
  expect(err, `${name} was loaded`).not.toBeNull();
  expect(memory().numTensors, `${name}: tensors left behind`).toBe(before);
  expect(readdirSync(dir)).toEqual(listing);
  return { err, path };
}

beforeAll(async () => {
  // Warm-up: h5wasm and the layer registry (their first use allocates nothing native, but makes the counts stable).
  await keras.models.loadModel(join(here, 'py_sequential.keras'));
});

describe('CRC-32 of every entry', () => {
  it('the CRC of each entry of a Python-written file is the one its central directory records', () => {
    const zip = good();
    const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (const [name, data] of entries()) expect(crc32(data), name).toBe(dv.getUint32(locate(zip, name).central + 16, true));
  });

  for (const entry of ['config.json', 'metadata.json', 'model.weights.h5']) {
    it(`one flipped byte inside ${entry} is an error naming ${entry} and the file`, async () => {
      const zip = good();
      const start = dataOffset(zip, entry);
      zip[start + 20]! ^= 0x01;
      const { err, path } = await refuse(`crc-${entry}.keras`, zip);
      expect(err).toBeInstanceOf(keras.saving.SavingError);
      expect(err.code).toBe('ERR_KERAS_ZIP');
      expect(err.message).toContain(path);
      expect(err.message).toContain(`entry "${entry}" is corrupt: CRC-32`);
    });
  }

  it('a corrupted deflated entry is refused, naming it', async () => {
    const files = Object.fromEntries(entries());
    const zip = makeZip(files, 6);
    writeFileSync(join(dir, 'deflated.keras'), zip);
    const loaded = await keras.models.loadModel(join(dir, 'deflated.keras')); // intact, deflated: loads
    expect(loaded.layers.length).toBe(2);
    const start = dataOffset(zip, 'model.weights.h5');
    zip[start + 40]! ^= 0x10;
    const { err } = await refuse('deflated-bad.keras', zip);
    expect(err.code).toBe('ERR_KERAS_ZIP');
    expect(err.message).toMatch(/entry "model\.weights\.h5" is corrupt/);
  });
});

/**
 * The same archive with ZIP64 records (as zip writers emit for entries or
 * offsets past 4 GiB): every size and offset 0xFFFFFFFF in the central
 * directory, the real values in ZIP64 extra fields, a ZIP64 end record.
 */
function toZip64(zip: Uint8Array): Uint8Array {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const count = dv.getUint16(eocd + 10, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  const parts: Uint8Array[] = [zip.slice(0, cdOffset)];
  let o = cdOffset;
  let cdSize = 0;
  for (let i = 0; i < count; i++) {
    const nameLen = dv.getUint16(o + 28, true);
    const head = zip.slice(o, o + 46 + nameLen);
    const h = new DataView(head.buffer);
    const [csize, usize, local] = [h.getUint32(20, true), h.getUint32(24, true), h.getUint32(42, true)];
    h.setUint32(20, 0xffffffff, true);
    h.setUint32(24, 0xffffffff, true);
    h.setUint32(42, 0xffffffff, true);
    h.setUint16(30, 28, true);
    h.setUint16(32, 0, true);
    const extra = new DataView(new ArrayBuffer(28));
    extra.setUint16(0, 0x0001, true);
    extra.setUint16(2, 24, true);
    extra.setBigUint64(4, BigInt(usize), true);
    extra.setBigUint64(12, BigInt(csize), true);
    extra.setBigUint64(20, BigInt(local), true);
    parts.push(head, new Uint8Array(extra.buffer));
    cdSize += head.length + 28;
    o += 46 + nameLen + dv.getUint16(o + 30, true) + dv.getUint16(o + 32, true);
  }
  const rec = new DataView(new ArrayBuffer(56 + 20 + 22));
  const recOffset = cdOffset + cdSize;
  rec.setUint32(0, 0x06064b50, true);
  rec.setBigUint64(4, 44n, true);
  rec.setUint16(12, 45, true);
  rec.setUint16(14, 45, true);
  rec.setBigUint64(24, BigInt(count), true);
  rec.setBigUint64(32, BigInt(count), true);
  rec.setBigUint64(40, BigInt(cdSize), true);
  rec.setBigUint64(48, BigInt(cdOffset), true);
  rec.setUint32(56, 0x07064b50, true);
  rec.setBigUint64(56 + 8, BigInt(recOffset), true);
  rec.setUint32(56 + 16, 1, true);
  rec.setUint32(76, 0x06054b50, true);
  rec.setUint16(76 + 8, 0xffff, true);
  rec.setUint16(76 + 10, 0xffff, true);
  rec.setUint32(76 + 12, 0xffffffff, true);
  rec.setUint32(76 + 16, 0xffffffff, true);
  parts.push(new Uint8Array(rec.buffer));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

it('bytes appended after the archive (as some tools leave them) do not hide its end record', () => {
  const zip = good();
  const padded = new Uint8Array(zip.length + 10);
  padded.set(zip);
  expect([...readZip(padded, 'padded.keras').keys()]).toEqual([...entries().keys()]);
});

describe('ZIP64 records', () => {
  it('an archive whose central directory uses ZIP64 fields reads the same entries', () => {
    const zip64 = toZip64(good());
    const a = entries();
    const b = readZip(zip64, 'zip64.keras');
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
  });

  it('a ZIP64 archive without its locator is corrupt', async () => {
    const zip64 = toZip64(good());
    zip64.set([0, 0, 0, 0], zip64.length - 22 - 20);
    const { err } = await refuse('zip64-bad.keras', zip64);
    expect(err.message).toMatch(/a ZIP64 archive without its ZIP64 locator/);
  });
});

describe('zip slip: entry names that could escape a folder', () => {
  for (const name of ['../evil.json', 'a/../../evil.json', '/etc/evil.json', 'C:/evil.json', 'a\\..\\evil.json', 'evil\0.json']) {
    it(`${JSON.stringify(name)} is refused before any entry is read`, async () => {
      const files = Object.fromEntries(entries());
      // Same-length placeholder, then the name bytes are patched in (fflate would refuse some of these names).
      const placeholder = 'x'.repeat(enc(name).length);
      const zip = makeZip({ ...files, [placeholder]: enc('{}') });
      const { central, local } = locate(zip, placeholder);
      zip.set(enc(name), central + 46);
      zip.set(enc(name), local + 30);
      const { err, path } = await refuse('slip.keras', zip);
      expect(err.code).toBe('ERR_KERAS_ZIP_ENTRY');
      expect(err.message).toContain(path);
      expect(err.message).toContain(JSON.stringify(name));
    });
  }
});

describe('zip bombs: sizes are checked against limits before inflating', () => {
  it('an entry declaring more than the per-entry limit (2 GiB - 1) is refused, naming it', async () => {
    const zip = good();
    const { central } = locate(zip, 'model.weights.h5');
    new DataView(zip.buffer).setUint32(central + 24, 3_000_000_000, true);
    const { err } = await refuse('bomb-size.keras', zip);
    expect(err.code).toBe('ERR_KERAS_ZIP');
    expect(err.message).toMatch(/entry "model\.weights\.h5" declares 3000000000 bytes .*over the limit of 2147483647 bytes per entry/);
  });

  it('a deflated entry claiming more than deflate can expand (1100:1) is refused', async () => {
    const zip = makeZip({ 'config.json': enc('{}') }, 9);
    const { central } = locate(zip, 'config.json');
    new DataView(zip.buffer).setUint32(central + 24, 50_000_000, true);
    const { err } = await refuse('bomb-ratio.keras', zip);
    expect(err.message).toMatch(/entry "config\.json" declares 50000000 bytes from \d+ compressed bytes \(over 1100:1/);
  });

  it('a bomb that lies low about its size inflates no further than it declared', async () => {
    // 64 MiB of zeros deflate to ~64 KB; the directory says 1000 bytes.
    const zip = makeZip({ 'config.json': new Uint8Array(64 << 20) }, 9);
    const dv = new DataView(zip.buffer);
    const { central, local } = locate(zip, 'config.json');
    dv.setUint32(central + 24, 1000, true);
    dv.setUint32(local + 22, 1000, true);
    const { err } = await refuse('bomb-lie.keras', zip);
    expect(err.code).toBe('ERR_KERAS_ZIP');
    expect(err.message).toMatch(/entry "config\.json" is corrupt: it does not inflate to its declared 1000 bytes/);
  });

  it('the total of the declared sizes has a limit too', () => {
    const zip = makeZip(Object.fromEntries(entries()));
    const total = [...entries().values()].reduce((a, b) => a + b.length, 0);
    expect(() => readZip(zip, 'small.keras', () => true, { ...ZIP_LIMITS, maxTotalBytes: total - 1 })).toThrow(/small\.keras: refusing an archive whose entry "model\.weights\.h5" .*over the limit of/);
    expect(readZip(zip, 'small.keras', () => true, { ...ZIP_LIMITS, maxTotalBytes: total }).size).toBe(3);
  });
});

describe('the three entries', () => {
  it('a missing config.json names the file and what a .keras holds', async () => {
    const files = Object.fromEntries(entries());
    delete files['config.json'];
    const { err, path } = await refuse('noconfig.keras', makeZip(files));
    expect(err.code).toBe('ERR_KERAS_ZIP_ENTRY');
    expect(err.message).toBe(`${path}: the archive has no 'config.json' (a .keras file holds config.json, metadata.json and model.weights.h5).`);
  });

  it('config.json that is not JSON names the file, the entry, the line and the column', async () => {
    const files = Object.fromEntries(entries());
    const text = '{\n  "module": "keras",\n  "class_name": "Sequential",\n  "config": {"name": "m",, "layers": []}\n}\n';
    files['config.json'] = enc(text);
    const { err, path } = await refuse('badjson.keras', makeZip(files));
    expect(err.code).toBe('ERR_KERAS_CONFIG');
    expect(err.message).toContain(`${path}: 'config.json' is not valid JSON at line 4, column 26: expected a string`);
    // The column is where the text breaks: the second comma.
    expect(text.split('\n')[3]![25]).toBe(',');
  });

  it('the JSON position finder agrees with JSON.parse on what is valid', () => {
    for (const ok of ['{}', '[1,-0.5e+3,"a\\u00e9",true,false,null]', ' {"a":{"b":[]}} ']) {
      expect(() => JSON.parse(ok)).not.toThrow();
      expect(jsonSyntaxError(ok)).toBeNull();
    }
    for (const [bad, at] of [['{"a":1,}', 7], ['[1 2]', 3], ['{"a" 1}', 5], ['01', 1], ['"\u0001"', 1], ['[', 1], ['{"a":tru}', 8], ['{}x', 2]] as const) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(jsonSyntaxError(bad)?.offset, bad).toBe(at);
    }
  });

  it('config.json that is not UTF-8 is refused', async () => {
    const files = Object.fromEntries(entries());
    files['config.json'] = Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d);
    const { err } = await refuse('latin.keras', makeZip(files));
    expect(err.code).toBe('ERR_KERAS_CONFIG');
    expect(err.message).toMatch(/'config\.json' is not valid UTF-8/);
  });

  it('a weights entry that is not HDF5 names model.weights.h5 and the file; no variable is made', async () => {
    const files = Object.fromEntries(entries());
    files['model.weights.h5'] = enc('PK\u0003\u0004 this is not an HDF5 file, whatever its name says');
    const { err, path } = await refuse('noth5.keras', makeZip(files));
    expect(err.code).toBe('ERR_KERAS_H5');
    expect(err.message).toContain(`${path}: model.weights.h5: not a readable HDF5 file`);
  });

  it('an entry that appears twice is refused, naming it (which copy is meant is ambiguous)', async () => {
    const files = Object.fromEntries(entries());
    // A second entry with a same-length name, renamed to config.json in both headers.
    const zip = makeZip({ ...files, 'config.jsom': enc('{"class_name": "Sequential", "config": {"layers": []}}') });
    const { central, local } = locate(zip, 'config.jsom');
    zip.set(enc('config.json'), central + 46);
    zip.set(enc('config.json'), local + 30);
    const { err, path } = await refuse('dup.keras', zip);
    expect(err.code).toBe('ERR_KERAS_ZIP_ENTRY');
    expect(err.message).toBe(`${path}: refusing an archive where entry "config.json" appears twice (which one is meant is ambiguous).`);
  });

  it('a local header whose name differs from the central directory\'s is corrupt', async () => {
    const zip = good();
    const { local } = locate(zip, 'metadata.json');
    zip.set(enc('metadata.jsoX'), local + 30);
    const { err } = await refuse('mismatch.keras', zip);
    expect(err.message).toMatch(/entry "metadata\.json" is corrupt: its local header names it "metadata\.jsoX"/);
  });
});

describe('config.json naming code to run', () => {
  it('a Lambda carrying Python bytecode is refused: functions are never rebuilt from a file', async () => {
    const files = Object.fromEntries(entries());
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    config.config.layers.push({
      module: 'keras.layers', class_name: 'Lambda', registered_name: null,
      config: { name: 'evil', function: { class_name: '__lambda__', config: { code: '4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMIAAAAdAB8AIMBUwApAU4pAdoCb3MpAdoBeKkAcgMAAAD6AzxzPtoIPGxhbWJkYT4BAAAA8wAAAAA=', defaults: null, closure: null } }, output_shape: null, arguments: {} },
    });
    files['config.json'] = enc(JSON.stringify(config));
    const { err } = await refuse('lambda.keras', makeZip(files));
    expect(err.name).toBe('KerasValueError');
    expect(err.message).toMatch(/Lambda layer "evil" cannot be rebuilt from its config: functions are not serialized/);
  });

  it('a class naming a Python function (os.system) is an unknown class, never a call', async () => {
    const files = Object.fromEntries(entries());
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    config.config.layers[1] = { module: 'os', class_name: 'system', registered_name: 'os>system', config: { command: 'touch pwned' } };
    files['config.json'] = enc(JSON.stringify(config));
    const { err } = await refuse('ossystem.keras', makeZip(files));
    expect(err).toBeInstanceOf(keras.saving.UnknownClassError);
    expect(err.message).toMatch(/unknown layer class 'system'/);
    expect(readdirSync(process.cwd())).not.toContain('pwned');
  });
});

describe('weights files with dtypes no Keras weight has (test/golden/gen_keras_hostile.py, h5py)', () => {
  for (const name of ['complex', 'string', 'int8', 'compound']) {
    it(`${name}: refused naming the dataset and its dtype, before any value is read; the model and the tensor count are unchanged`, async () => {
      const m = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(8)]);
      const before = m.getWeights().map((t) => Array.from(t.dataSync()));
      const path = join(here, 'hostile', `${name}.weights.h5`);
      const count = memory().numTensors;
      const err = await m.loadWeights(path).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(keras.saving.SavingError);
      expect(err.code).toBe('ERR_KERAS_H5');
      expect(err.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: dataset 'layers/dense/vars/0' has dtype .*; expected float32, float64, float16, int32 or int64\\.$`));
      expect(memory().numTensors).toBe(count);
      expect(m.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(before);
      // The same weights inside a .keras archive.
      const files = Object.fromEntries(readZip(await keras.saving.serializeModel(m), 'fresh'));
      files['model.weights.h5'] = new Uint8Array(readFileSync(path));
      const { err: err2 } = await refuse(`${name}-h5.keras`, makeZip(files));
      expect(err2.code).toBe('ERR_KERAS_H5');
      expect(err2.message).toMatch(/model\.weights\.h5: dataset 'layers\/dense\/vars\/0' has dtype/);
    });
  }
});

describe('random damage', () => {
  it('300 archives with random flipped bytes or cut short: each loads or is refused with a SavingError, and no tensor is left behind', async () => {
    const zip = good();
    let s = 12345;
    const rand = (n: number) => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s % n;
    };
    const before = memory().numTensors;
    const outcomes = { loaded: 0, refused: 0 };
    for (let i = 0; i < 300; i++) {
      let bytes: Uint8Array = zip.slice();
      if (i % 5 === 4) bytes = bytes.subarray(0, rand(bytes.length));
      else for (let k = 0; k <= rand(3); k++) bytes[rand(bytes.length)] = rand(256);
      const model = await keras.saving.deserializeModel(bytes, `damaged-${i}.keras`).then((m) => m, (e) => e);
      if (model instanceof keras.Model) {
        outcomes.loaded++;
        model.optimizer?.dispose();
        for (const w of model.weights) w.dispose();
      } else {
        expect(model, `case ${i}: ${String(model?.stack ?? model)}`).toBeInstanceOf(keras.saving.SavingError);
        outcomes.refused++;
      }
    }
    expect(memory().numTensors).toBe(before);
    // Most damage is caught (the rest hits bytes no reader uses: timestamps, attributes, versions).
    expect(outcomes.refused).toBeGreaterThan(outcomes.loaded);
  });
});
