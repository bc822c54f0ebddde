/**
 * PyTorch and Hugging Face checkpoints (test/interop, made by
 * test/golden/gen_interop.py with torch 2.13): torch.save zip files through the
 * restricted unpickler, sharded safetensors with an index, the float16/bfloat16
 * warning, and hostile files that must be refused without leaking tensors.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Tensor, memory, tensor, type DType } from '@duet/core';
import { expectClose, expectNoLeaks } from '../../../../test/helpers.js';
import { MLP } from '../../../../examples/pytorch-interop.js';
import { SafetensorsError, TorchFileError, load, loadSync, loadTorch, loadTorchSync, type TorchValue } from './index.js';

const FIX = fileURLToPath(new URL('../../../../test/interop/', import.meta.url));
const ST_FIX = fileURLToPath(new URL('../../../../test/safetensors/', import.meta.url));
interface Stored {
  shape: number[];
  data: number[];
}
const golden = JSON.parse(readFileSync(join(FIX, 'interop.json'), 'utf8')) as {
  versions: Record<string, string>;
  mlp: { input: Stored; output: Stored; keys: string[] };
  dtypes: Record<string, Stored & { torchDtype: string }>;
  sharded: { weightMap: Record<string, string>; values: Record<string, Stored>; input: Stored; output: Stored };
  hostile: Record<string, { code: string; message: string }>;
};
const shaped = (s: Stored) => ({ shape: s.shape, values: s.data });
const dir = () => mkdtempSync(join(tmpdir(), 'duet-interop-'));
const DUET_DTYPE: Record<string, DType> = { 'torch.bool': 'bool', 'torch.int64': 'int32', 'torch.int32': 'int32', 'torch.int16': 'int32', 'torch.int8': 'int32', 'torch.uint8': 'int32' };

/** The error `fn` throws (sync or async), checked to be a Duet error naming `where`. */
async function caught(fn: () => unknown, where: string): Promise<TorchFileError | SafetensorsError> {
  try {
    await fn();
  } catch (e) {
    expect(e instanceof TorchFileError || e instanceof SafetensorsError, String(e)).toBe(true);
    expect((e as Error).message).toContain(where);
    return e as TorchFileError;
  }
  throw new Error('expected an error');
}

/** The native tensor count is the same after `fn` as before (no scope() to hide a leak). */
async function expectCountKept(fn: () => unknown): Promise<void> {
  const before = memory().numTensors;
  await fn();
  expect(memory().numTensors).toBe(before);
}

afterEach(() => vi.restoreAllMocks());

describe('the fixtures', () => {
  it('were made by torch 2.13 and are small', () => {
    expect(golden.versions.torch).toMatch(/^2\.13\./);
    expect(Object.keys(golden.hostile).length).toBeGreaterThanOrEqual(13);
  });
});

describe('torch.save files (.pt, pytorch_model.bin)', () => {
  it('the same state dict as safetensors and as .pt loads to the same tensors, into the same model', async () => {
    const a = await load(join(FIX, 'mlp.safetensors'));
    const b = await load(join(FIX, 'mlp.pt'));
    expect(Object.keys(b)).toEqual(golden.mlp.keys); // the OrderedDict's order
    for (const k of golden.mlp.keys) expect(b[k]!.toArray(), k).toEqual(a[k]!.toArray());
    const model = new MLP();
    model.loadStateDict(b);
    expect(model.fc2.bias!.toArray()).toEqual(a['fc2.bias']!.toArray());
  });

  it.each(['dtypes.pt', 'bin/pytorch_model.bin', 'bin'])('every dtype, views, strides and offsets of %s convert exactly', (file) => {
    const sd = loadSync(join(FIX, file));
    expect(Object.keys(sd)).toEqual(Object.keys(golden.dtypes));
    for (const [k, e] of Object.entries(golden.dtypes)) {
      const expected = k === 'f64' ? { shape: e.shape, values: Array.from(Float32Array.from(e.data)) } : shaped(e);
      expect(sd[k]!.dtype, k).toBe(DUET_DTYPE[e.torchDtype] ?? 'float32');
      expectClose(sd[k]!, expected, { atol: 0, rtol: 0, message: k });
    }
    expect(sd.transposed!.shape).toEqual([4, 3]);
    expect(sd.transposed!.toArray()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(sd.strided!.toArray()).toEqual([0.5, 2, 3.5]);
  });

  it('int64 outside int32 is an error naming the tensor', async () => {
    const e = await caught(() => load(join(FIX, 'int64_overflow.pt')), 'int64_overflow.pt');
    expect(e.code).toBe('ERR_TORCH_TENSOR');
    expect(e.message).toMatch(/tensor 'big' \(I64\): value 1099511627776 at flat index 1 does not fit in int32/);
  });

  it('the legacy (pre-1.6) format says how to re-save', async () => {
    const e = await caught(() => loadSync(join(FIX, 'legacy.pt')), 'legacy.pt');
    expect(e.code).toBe('ERR_TORCH_LEGACY_FORMAT');
    expect(e.message).toContain('torch.save(torch.load(path, weights_only=True), path)');
  });

  it('a training checkpoint is refused by load() and read whole by loadTorch()', async () => {
    const e = await caught(() => load(join(FIX, 'checkpoint.pt')), 'checkpoint.pt');
    expect(e.code).toBe('ERR_TORCH_NOT_A_STATE_DICT');
    expect(e.message).toContain("'epoch' is a number (3), not a tensor");
    const ckpt = (await loadTorch(join(FIX, 'checkpoint.pt'))) as { [k: string]: TorchValue };
    const { model, ...rest } = ckpt;
    expect(rest).toEqual({ epoch: 3, lr: 0.5, name: 'run-1', done: true, none: null, big: 2 ** 40, history: [1.5, 2.5], pair: [1, 'a'] });
    const w = (model as { w: Tensor }).w;
    expect(w).toBeInstanceOf(Tensor);
    expect(w.toArray()).toEqual([[1, 1], [1, 1]]);
    expect(Object.keys(loadTorchSync(join(FIX, 'mlp.pt')) as object)).toEqual(golden.mlp.keys);
  });

  it('a torch.save file over 2 GiB is refused before it is read (a 3 GB sparse file)', async () => {
    const path = join(dir(), 'huge.pt');
    writeFileSync(path, Buffer.from('PK\x03\x04', 'latin1'));
    truncateSync(path, 3 * 2 ** 30);
    for (const read of [load, loadSync, loadTorch, loadTorchSync]) {
      const e = await caught(() => read(path), path);
      expect(e.code).toBe('ERR_TORCH_ARCHIVE');
      expect(e.message).toContain(`the file has ${3 * 2 ** 30} bytes; Duet reads torch.save files of at most 2147483647 bytes`);
    }
  });

  it("a safetensors file whose header length starts like a torch.save file is still safetensors", () => {
    // Header length 0x008a0280 (bytes 80 02 8a 00: the legacy torch magic), then '{}' and space padding.
    const path = join(dir(), 'odd.safetensors');
    const n = 0x008a0280;
    const bytes = Buffer.alloc(8 + n, 0x20);
    bytes.writeBigUInt64LE(BigInt(n));
    bytes.write('{}', 8);
    writeFileSync(path, bytes);
    expect(Object.keys(loadSync(path))).toEqual([]);
  });

  it('loads leave no native tensors behind', () => {
    expectNoLeaks(() => void loadSync(join(FIX, 'dtypes.pt')));
    expectNoLeaks(() => void loadSync(join(FIX, 'sharded')));
  });
});

describe('hostile torch.save files are refused, nothing runs, nothing leaks', () => {
  it.each(Object.entries(golden.hostile))('%s', async (file, { code, message }) => {
    const path = join(FIX, 'hostile', file);
    for (const read of [load, loadSync, loadTorch, loadTorchSync]) {
      await expectCountKept(async () => {
        const e = await caught(() => read(path), path);
        expect(e.code, file).toBe(code);
        expect(e.message, file).toContain(message);
      });
    }
  });

  it('a zip naming one entry twice (a safe data.pkl and a hostile one) is refused', async () => {
    const entries = unzipSync(readFileSync(join(FIX, 'mlp.pt')));
    const hostile = unzipSync(readFileSync(join(FIX, 'hostile', 'os_system.pt')))['archive/data.pkl']!;
    const bytes = Buffer.from(zipSync({ ...entries, 'mlp/data.pkx': hostile }, { level: 0 }));
    let at = -1;
    while ((at = bytes.indexOf('mlp/data.pkx', at + 1)) >= 0) bytes.write('mlp/data.pkl', at); // same length: headers stay valid
    const path = join(dir(), 'twice.pt');
    writeFileSync(path, bytes);
    await expectCountKept(async () => {
      const e = await caught(() => load(path), path);
      expect(e.code).toBe('ERR_TORCH_ARCHIVE');
      expect(e.message).toContain("zip entry 'mlp/data.pkl' appears twice");
    });
  });

  it('unsafe globals are named with the weights_only rule', async () => {
    const e = await caught(() => load(join(FIX, 'hostile', 'os_system.pt')), 'os_system.pt');
    expect(e.message).toBe(
      `${join(FIX, 'hostile', 'os_system.pt')}: data.pkl: global 'os.system' is not allowed; torch.load(weights_only=True) would refuse it too. Only tensors, dicts, OrderedDicts, lists, tuples and primitives are read.`,
    );
  });
});

describe('Hugging Face sharded safetensors', () => {
  const index = join(FIX, 'sharded', 'model.safetensors.index.json');

  it.each([
    ['the index', index],
    ['the folder', join(FIX, 'sharded')],
  ])('load(%s) reads every shard; the model gives PyTorch\'s outputs', async (_what, path) => {
    for (const sd of [await load(path), loadSync(path)]) {
      expect(Object.keys(sd).sort()).toEqual(Object.keys(golden.sharded.weightMap).sort());
      for (const [k, e] of Object.entries(golden.sharded.values)) expectClose(sd[k]!, shaped(e), { atol: 0, rtol: 0, message: k });
      const model = new MLP();
      model.loadStateDict(sd);
      const x = tensor(Float32Array.from(golden.sharded.input.data), { shape: golden.sharded.input.shape });
      expectClose(model(x), shaped(golden.sharded.output), { atol: 1e-5, rtol: 1e-5 });
    }
  });

  it('a shard that is a symlink out of the folder is refused', async () => {
    const d = join(dir(), 'model');
    cpSync(join(FIX, 'sharded'), d, { recursive: true });
    const outside = join(dir(), 'elsewhere.safetensors');
    copyFileSync(join(d, S2), outside);
    rmSync(join(d, S2));
    symlinkSync(outside, join(d, S2));
    const e = await caught(() => load(d), d);
    expect(e.code).toBe('ERR_SAFETENSORS_INDEX');
    expect(e.message).toContain(`shard '${S2}' links outside the index's folder`);
  });

  it('pytorch_model.bin.index.json: sharded torch.save files', async () => {
    const d = dir();
    const shard = 'pytorch_model-00001-of-00001.bin';
    copyFileSync(join(FIX, 'mlp.pt'), join(d, shard));
    writeFileSync(join(d, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: Object.fromEntries(golden.mlp.keys.map((k) => [k, shard])) }));
    const sd = await load(d);
    const ref = loadSync(join(FIX, 'mlp.safetensors'));
    for (const k of golden.mlp.keys) expect(sd[k]!.toArray(), k).toEqual(ref[k]!.toArray());
  });

  /** A copy of the sharded fixture whose index is `edit`ed. */
  const edited = (edit: (m: Record<string, string>) => Record<string, unknown> | string): string => {
    const d = join(dir(), 'model');
    cpSync(join(FIX, 'sharded'), d, { recursive: true });
    const out = edit({ ...golden.sharded.weightMap });
    writeFileSync(join(d, 'model.safetensors.index.json'), typeof out === 'string' ? out : JSON.stringify({ metadata: {}, weight_map: out }));
    return join(d, 'model.safetensors.index.json');
  };

  const S1 = 'model-00001-of-00002.safetensors';
  const S2 = 'model-00002-of-00002.safetensors';

  it.each([
    ['a shard outside the folder', (m: Record<string, string>) => ({ ...m, 'fc2.bias': `../${S2}` }), `shard '../${S2}' (for 'fc2.bias') is outside the index's folder`],
    ['an absolute shard path', (m: Record<string, string>) => ({ ...m, 'fc2.bias': '/etc/passwd' }), "shard '/etc/passwd' (for 'fc2.bias') is outside"],
    ['an index as a shard', (m: Record<string, string>) => ({ ...m, 'fc2.bias': 'model.safetensors.index.json' }), 'is itself an index'],
    ['a missing shard file', (m: Record<string, string>) => ({ ...m, 'fc2.bias': 'model-00003-of-00003.safetensors' }), "shard 'model-00003-of-00003.safetensors' (for 'fc2.bias') does not exist"],
    ['a listed tensor its shard lacks', (m: Record<string, string>) => ({ ...m, 'fc3.weight': S2 }), "tensor 'fc3.weight' is mapped to"],
    ['a tensor in the wrong shard', (m: Record<string, string>) => ({ ...m, 'fc2.bias': S1 }), 'fc2.bias'],
    ['a tensor the index does not list', (m: Record<string, string>) => { const { 'fc2.bias': _, ...rest } = m; return rest; }, `holds 'fc2.bias', which "weight_map" does not list`],
    ['a tensor listed twice', () => `{"weight_map": {"fc1.weight": "${S1}", "fc1.weight": "${S2}"}}`, "tensor 'fc1.weight' is listed twice"],
    ['no weight_map', () => '{"metadata": {}}', 'expected a JSON object with a "weight_map" object'],
    ['not JSON', () => '{"weight_map": ', 'not valid JSON'],
  ])('%s is ERR_SAFETENSORS_INDEX, and no tensor is kept', async (_what, edit, message) => {
    const path = edited(edit);
    for (const read of [load, loadSync]) {
      await expectCountKept(async () => {
        const e = await caught(() => read(path), path);
        expect(e.code).toBe('ERR_SAFETENSORS_INDEX');
        expect(e.message).toContain(message);
      });
    }
  });
});

describe('float16 and bfloat16 are widened to float32 with one warning per file', () => {
  const spy = () => vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

  it('a safetensors file: once, naming the file and the count', () => {
    const path = join(dir(), 'dtypes.safetensors');
    copyFileSync(join(ST_FIX, 'dtypes.safetensors'), path);
    const w = spy();
    loadSync(path);
    loadSync(path);
    expect(w).toHaveBeenCalledTimes(1);
    expect(w).toHaveBeenCalledWith(`${path}: 2 float16/bfloat16 tensors were converted to float32, Duet's floating-point dtype (values are exact; memory doubles).`, {
      type: 'DuetWarning',
      code: 'DUET_HALF_TO_FLOAT32',
    });
  });

  it('a .pt file, and a sharded checkpoint as one warning for the index', async () => {
    const d = dir();
    copyFileSync(join(FIX, 'dtypes.pt'), join(d, 'dtypes.pt'));
    cpSync(join(FIX, 'sharded'), join(d, 'sharded'), { recursive: true });
    const w = spy();
    await load(join(d, 'dtypes.pt'));
    await load(join(d, 'sharded'));
    expect(w.mock.calls.map((c) => c[0])).toEqual([
      `${join(d, 'dtypes.pt')}: 2 float16/bfloat16 tensors were converted to float32, Duet's floating-point dtype (values are exact; memory doubles).`,
      `${join(d, 'sharded', 'model.safetensors.index.json')}: 2 float16/bfloat16 tensors were converted to float32, Duet's floating-point dtype (values are exact; memory doubles).`,
    ]);
  });

  it('float32-only files do not warn', () => {
    const w = spy();
    loadSync(join(FIX, 'mlp.pt'));
    loadSync(join(FIX, 'mlp.safetensors'));
    expect(w).not.toHaveBeenCalled();
  });
});
