import { mkdirSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError, arange, tensor, zeros, type Tensor } from '@duet/core';
import { Linear } from '../layers/linear.js';
import { StateDictError } from '../module.js';
import { SafetensorsError, decodeFile, load, loadSync, save, saveSync } from './index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'duet-st-'));

describe('save / load round trip', () => {
  const dict = () => ({
    'fc.weight': tensor([[1.5, -2], [3.25, 1e-30]]),
    'fc.bias': tensor([0.1, -0.2]),
    ids: tensor([7, -3, 2147483647], { dtype: 'int32' }),
    mask: tensor([[true, false, true]]),
    empty: zeros([0, 4]),
    scalar: tensor(4.5),
  });

  it('keeps names, dtypes, shapes and values (async and sync)', async () => {
    const d = dir();
    const src = dict();
    await save(src, join(d, 'a.safetensors'));
    saveSync(src, join(d, 'b.safetensors'));
    expect(readFileSync(join(d, 'a.safetensors'))).toEqual(readFileSync(join(d, 'b.safetensors')));
    for (const loaded of [await load(join(d, 'a.safetensors')), loadSync(join(d, 'b.safetensors'))]) {
      expect(Object.keys(loaded).sort()).toEqual(Object.keys(src).sort());
      for (const [k, t] of Object.entries(src)) {
        expect(loaded[k]!.dtype, k).toBe(t.dtype);
        expect(loaded[k]!.shape, k).toEqual(t.shape);
        expect(loaded[k]!.toArray(), k).toEqual(t.toArray());
      }
    }
  });

  it('writes the 8-byte length, a space-padded JSON header and 8-byte alignment', async () => {
    const path = join(dir(), 'x.safetensors');
    await save(dict(), path);
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = bytes.subarray(8, 8 + n).toString('utf8');
    expect(header.trimEnd().endsWith('}')).toBe(true);
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    // Python's order: dtype (F32 > I32 > BOOL), then name.
    expect(Object.keys(JSON.parse(header))).toEqual(['empty', 'fc.bias', 'fc.weight', 'scalar', 'ids', 'mask']);
  });

  it('stores metadata as a string map and returns it as a non-enumerable __metadata__', async () => {
    const path = join(dir(), 'm.safetensors');
    await save({ w: tensor([1, 2]) }, path, { metadata: { epoch: '3', format: 'pt' } });
    const sd = await load(path);
    expect(Object.keys(sd)).toEqual(['w']);
    expect(sd.__metadata__).toEqual({ epoch: '3', format: 'pt' });
    await save({ w: tensor([1]), __metadata__: { note: 'inline' } } as unknown as Record<string, Tensor>, path);
    expect((await load(path)).__metadata__).toEqual({ note: 'inline' });
  });

  it('accepts a Map, and rejects non-tensor values and non-string metadata with clear errors', async () => {
    const path = join(dir(), 'e.safetensors');
    await save(new Map([['a', tensor([1])]]), path);
    expect(Object.keys(await load(path))).toEqual(['a']);
    await expect(save({ a: 3 } as unknown as Record<string, Tensor>, path)).rejects.toThrow(ArgumentError);
    await expect(save({ a: 3 } as unknown as Record<string, Tensor>, path)).rejects.toThrow(/'a' is a number.*__metadata__/);
    await expect(save({ a: tensor([1]) }, path, { metadata: { epoch: 3 as unknown as string } })).rejects.toThrow(/values must be strings/);
  });

  it("is safe with keys like '__proto__'", async () => {
    const path = join(dir(), 'p.safetensors');
    await save(new Map([['__proto__', tensor([1])], ['constructor', tensor([2])]]), path);
    const sd = await load(path);
    expect(Object.getPrototypeOf(sd)).toBe(Object.prototype);
    expect(Object.keys(sd).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(sd, '__proto__')!.value.toArray()).toEqual([1]);
  });
});

describe('atomic writes', () => {
  /** A tensor whose data cannot be read: save fails after writing part of the file. */
  const poisoned = () => {
    const t = tensor([1, 2, 3]);
    Object.defineProperty(t, 'dataSync', { value: () => { throw new Error('disk on fire'); } });
    return t;
  };

  it.each([
    ['save', (d: Record<string, Tensor>, p: string) => save(d, p)],
    ['saveSync', async (d: Record<string, Tensor>, p: string) => saveSync(d, p)],
  ] as const)('a failed %s leaves the previous file intact and no temporary file', async (_name, write) => {
    const d = dir();
    const path = join(d, 'model.safetensors');
    await save({ w: arange(0, 1000).float() }, path);
    const before = readFileSync(path);
    // 'a' (F32) is written first; 'zz' fails after the header and 'a' went to the temporary file.
    await expect(write({ a: arange(0, 5000).float(), zz: poisoned() }, path)).rejects.toThrow('disk on fire');
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(d)).toEqual(['model.safetensors']);
  });
});

describe('bad files raise SafetensorsError with a code', () => {
  const good = (): Buffer => {
    const d = dir();
    saveSync({ a: tensor([1, 2, 3]), b: tensor([4, 5], { dtype: 'int32' }) }, join(d, 'g.safetensors'));
    return readFileSync(join(d, 'g.safetensors'));
  };
  /** A file from a header object and a data section. */
  const file = (header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Buffer => {
    const h = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([prefix, h, data]);
  };
  const code = (bytes: Uint8Array): string => {
    try {
      decodeFile(bytes, 'test.safetensors');
    } catch (e) {
      expect(e).toBeInstanceOf(SafetensorsError);
      expect((e as Error).message).toContain('test.safetensors');
      return (e as SafetensorsError).code;
    }
    throw new Error('expected an error');
  };
  const f32 = (n: number) => new Uint8Array(4 * n);

  it('truncated files', () => {
    const g = good();
    expect(code(g.subarray(0, 5))).toBe('ERR_SAFETENSORS_TRUNCATED');
    expect(code(g.subarray(0, g.length - 3))).toBe('ERR_SAFETENSORS_TRUNCATED');
    expect(code(new Uint8Array(0))).toBe('ERR_SAFETENSORS_TRUNCATED');
  });

  it('a header larger than the file (or than 100 MB)', () => {
    const g = Buffer.from(good());
    g.writeBigUInt64LE(BigInt(g.length), 0);
    expect(code(g)).toBe('ERR_SAFETENSORS_HEADER_TOO_LARGE');
    g.writeBigUInt64LE(2n ** 63n, 0);
    expect(code(g)).toBe('ERR_SAFETENSORS_HEADER_TOO_LARGE');
  });

  it('corrupt JSON, invalid UTF-8, wrong structure', () => {
    expect(code(file(null, undefined, '{"a": {"dtype": "F32", '))).toBe('ERR_SAFETENSORS_HEADER');
    expect(code(file(null, undefined, '[1, 2]'))).toBe('ERR_SAFETENSORS_HEADER');
    expect(code(file(null, undefined, '\xff\xfe'.replace(/./g, ' ')).fill(0xff, 8))).toBe('ERR_SAFETENSORS_HEADER');
    expect(code(file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)))).toBe('ERR_SAFETENSORS_HEADER');
    expect(code(file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)))).toBe('ERR_SAFETENSORS_HEADER');
    expect(code(file({ a: 'eval("process.exit(1)")' }))).toBe('ERR_SAFETENSORS_HEADER');
    expect(code(file({ __metadata__: { epoch: 3 } }))).toBe('ERR_SAFETENSORS_HEADER');
  });

  it('duplicate tensor names (JSON.parse would keep the last one)', () => {
    const entry = '{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}';
    const err = (bytes: Uint8Array) => {
      try {
        decodeFile(bytes, 'test.safetensors');
      } catch (e) {
        return e as SafetensorsError;
      }
      throw new Error('expected an error');
    };
    const e = err(file(null, f32(1), `{"x": ${entry}, "x": ${entry}}`));
    expect(e.code).toBe('ERR_SAFETENSORS_HEADER');
    expect(e.message).toBe("test.safetensors: duplicate tensor name 'x' in header.");
    const e2 = err(file(null, f32(1), '{"x": {"dtype": "F32", "dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}'));
    expect(e2.message).toBe("test.safetensors: duplicate key 'dtype' in the header entry of 'x'.");
    expect(decodeFile(file(null, f32(1), `{"x": ${entry}, "y\\"x": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}}`), 't').x!.shape).toEqual([1]);
  });

  it('unknown dtypes', () => {
    for (const dtype of ['F8_E4M3', 'C64', 'float32', 'PICKLE']) {
      expect(code(file({ a: { dtype, shape: [1], data_offsets: [0, 4] } }, f32(1)))).toBe('ERR_SAFETENSORS_DTYPE');
    }
  });

  it('overlapping, gapped, mis-sized or out-of-range offsets', () => {
    const two = (o1: number[], o2: number[], bytes: number) =>
      file({ a: { dtype: 'F32', shape: [2], data_offsets: o1 }, b: { dtype: 'F32', shape: [2], data_offsets: o2 } }, new Uint8Array(bytes));
    expect(code(two([0, 8], [4, 12], 12))).toBe('ERR_SAFETENSORS_OFFSETS'); // overlap
    expect(code(two([0, 8], [12, 20], 20))).toBe('ERR_SAFETENSORS_OFFSETS'); // gap
    expect(code(two([0, 8], [8, 16], 24))).toBe('ERR_SAFETENSORS_OFFSETS'); // trailing bytes
    expect(code(two([0, 8], [8, 12], 12))).toBe('ERR_SAFETENSORS_OFFSETS'); // size does not match the shape
    expect(code(two([0, 8], [8, 16], 12))).toBe('ERR_SAFETENSORS_TRUNCATED'); // beyond the data
  });

  it('load() of a damaged file on disk rejects with the same error', async () => {
    const path = join(dir(), 'bad.safetensors');
    const g = good();
    writeFileSync(path, g.subarray(0, g.length - 1));
    await expect(load(path)).rejects.toMatchObject({ code: 'ERR_SAFETENSORS_TRUNCATED' });
    expect(() => loadSync(path)).toThrow(SafetensorsError);
  });
});

describe('file-system checks name the path the caller gave', () => {
  const ioError = async (fn: () => unknown): Promise<SafetensorsError> => {
    try {
      await fn();
    } catch (e) {
      expect(e).toBeInstanceOf(SafetensorsError);
      return e as SafetensorsError;
    }
    throw new Error('expected an error');
  };

  it.each([
    ['load', (p: string) => load(p)],
    ['loadSync', (p: string) => loadSync(p)],
  ] as const)('%s refuses /dev/zero and a directory before reading', async (_name, read) => {
    const e = await ioError(() => read('/dev/zero'));
    expect(e.code).toBe('ERR_SAFETENSORS_NOT_A_FILE');
    expect(e.message).toBe("load(): '/dev/zero' is a character device; expected a safetensors file.");
    const d = dir();
    expect((await ioError(() => read(d))).message).toBe(`load(): '${d}' is a directory; expected a safetensors file.`);
    const missing = join(d, 'missing.safetensors');
    const m = await ioError(() => read(missing));
    expect(m.code).toBe('ERR_SAFETENSORS_IO');
    expect(m.message).toBe(`load(): cannot read '${missing}': '${missing}' does not exist (ENOENT).`);
    expect((m.cause as { code: string }).code).toBe('ENOENT');
  });

  it.each([
    ['load', (p: string) => load(p)],
    ['loadSync', (p: string) => loadSync(p)],
  ] as const)('%s checks the header against the file before reading the data (a 3 GB sparse file)', async (_name, read) => {
    // A broken header followed by 3 GB of holes: reading the whole file first would fail with Node's
    // ERR_FS_FILE_TOO_LARGE (or fill memory); reading in steps stops at the header.
    const path = join(dir(), 'big.safetensors');
    const header = Buffer.from('{"a": nope}', 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(path, Buffer.concat([prefix, header]));
    truncateSync(path, 3 * 2 ** 30);
    expect((await ioError(() => read(path))).code).toBe('ERR_SAFETENSORS_HEADER');
    // A declared header longer than the file: refused from the 8-byte prefix.
    prefix.writeBigUInt64LE(BigInt(4 * 2 ** 30));
    writeFileSync(path, prefix);
    truncateSync(path, 1024);
    expect((await ioError(() => read(path))).code).toBe('ERR_SAFETENSORS_HEADER_TOO_LARGE');
  });

  it.each([
    ['save', (d: Record<string, Tensor>, p: string) => save(d, p)],
    ['saveSync', async (d: Record<string, Tensor>, p: string) => saveSync(d, p)],
  ] as const)('%s into a missing folder or onto a directory names the target, not the temporary file', async (_name, write) => {
    const d = dir();
    const inMissing = join(d, 'no', 'such', 'model.safetensors');
    const e1 = await ioError(() => write({ w: tensor([1]) }, inMissing));
    expect(e1.code).toBe('ERR_SAFETENSORS_IO');
    expect(e1.message).toBe(`save(): cannot write '${inMissing}': the folder '${join(d, 'no', 'such')}' does not exist (ENOENT).`);
    mkdirSync(join(d, 'taken'));
    const e2 = await ioError(() => write({ w: tensor([1]) }, join(d, 'taken')));
    expect(e2.message).toBe(`save(): cannot write '${join(d, 'taken')}': '${join(d, 'taken')}' is a directory (EISDIR).`);
    expect(e2.message).not.toMatch(/\.tmp/);
    expect(readdirSync(d)).toEqual(['taken']); // no temporary file left behind
  });

  it.skipIf(process.getuid?.() === 0)('save into a read-only folder is EACCES naming the target', async () => {
    const d = join(dir(), 'ro');
    mkdirSync(d, 0o555);
    const target = join(d, 'model.safetensors');
    const e = await ioError(() => save({ w: tensor([1]) }, target));
    expect(e.message).toBe(`save(): cannot write '${target}': permission denied (on '${target}' or its folder '${d}') (EACCES).`);
  });
});

describe('with a real model', () => {
  it('round-trips nn.Linear; keys or shapes that do not fit are caught by loadStateDict', async () => {
    const path = join(dir(), 'linear.safetensors');
    const a = new Linear(4, 3);
    await save(a.stateDict(), path);
    const b = new Linear(4, 3);
    b.loadStateDict(await load(path));
    expect(b.weight.toArray()).toEqual(a.weight.toArray());
    expect(b.bias!.toArray()).toEqual(a.bias!.toArray());
    expect(() => new Linear(4, 2).loadStateDict(loadSync(path))).toThrow(StateDictError);
    expect(() => new Linear(4, 2).loadStateDict(loadSync(path))).toThrow(/size mismatch for weight/);
    await save({ ...a.stateDict(), extra: tensor([1]) }, path);
    expect(() => new Linear(4, 3).loadStateDict(loadSync(path))).toThrow(/Unexpected key\(s\) in state_dict: "extra"/);
    await save({ weight: a.weight }, path);
    expect(() => new Linear(4, 3).loadStateDict(loadSync(path))).toThrow(/Missing key\(s\) in state_dict: "bias"/);
  });
});
