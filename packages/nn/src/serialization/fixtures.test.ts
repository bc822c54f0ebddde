/**
 * Files crossing between Python and Duet (test/safetensors, made by
 * test/golden/gen_nn_train.py): torch's `save_file` output loads here,
 * Duet writes the same bytes as Python, and the file Duet wrote loaded in
 * PyTorch with `load_state_dict(strict=True)` and gave the outputs recorded.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tensor, type DType, type Tensor } from '@duet/core';
import { expectClose } from '../../../../test/helpers.js';
import { Small } from '../../../../test/safetensors/write_duet_file.js';
import { SafetensorsError, load, loadSync, save } from './index.js';

interface Stored {
  shape: number[];
  dtype: DType;
  data: number[];
}
const FIX = fileURLToPath(new URL('../../../../test/safetensors/', import.meta.url));
const golden = JSON.parse(readFileSync(new URL('../../../../test/golden/nn_train.json', import.meta.url), 'utf8')).safetensors as {
  torchModel: Record<string, Stored & { torchDtype: string }>;
  dtypes: Record<string, { shape: number[]; data: number[] }>;
  pythonWritten: Record<string, Stored>;
  pythonWrittenMetadata: Record<string, string>;
  duetWritten: { loadStrict: boolean; metadata: Record<string, string>; keys: string[]; values: Record<string, Stored>; evalInput: Stored; evalOutput: Stored };
};
const T = (s: Stored): Tensor =>
  tensor(s.dtype === 'float32' ? Float32Array.from(s.data) : s.dtype === 'int32' ? Int32Array.from(s.data) : Uint8Array.from(s.data), { shape: s.shape, dtype: s.dtype });
const shaped = (s: { shape: number[]; data: number[] }) => ({ shape: s.shape, values: s.data });

describe('files written by PyTorch (safetensors.torch.save_file)', () => {
  it('a Linear + BatchNorm1d state dict loads, int64 num_batches_tracked as int32', async () => {
    const sd = await load(join(FIX, 'torch_model.safetensors'));
    expect(Object.keys(sd).sort()).toEqual(Object.keys(golden.torchModel).sort());
    expect(sd.__metadata__).toEqual({ format: 'pt' });
    for (const [k, e] of Object.entries(golden.torchModel)) {
      expect(sd[k]!.dtype, k).toBe(e.dtype);
      expectClose(sd[k]!, shaped(e), { atol: 0, rtol: 0, message: k });
    }
    expect(golden.torchModel['bn.num_batches_tracked']!.torchDtype).toBe('torch.int64');
    expect(sd['bn.num_batches_tracked']!.item()).toBe(3);
    const model = new Small();
    model.loadStateDict(sd);
    expect(model.bn.runningMean!.toArray()).toEqual(sd['bn.running_mean']!.toArray());
  });

  it('F64, F16, BF16, I64, I16, I8, U8 and BOOL convert exactly', () => {
    const sd = loadSync(join(FIX, 'dtypes.safetensors'));
    for (const [k, e] of Object.entries(golden.dtypes)) {
      const expected = k === 'f64' ? { shape: e.shape, values: Array.from(Float32Array.from(e.data)) } : shaped(e);
      expectClose(sd[k]!, expected, { atol: 0, rtol: 0, message: k });
    }
    expect(sd.f64!.dtype).toBe('float32');
    expect(sd.i64!.dtype).toBe('int32');
    expect(sd.flag!.dtype).toBe('bool');
  });

  it('an int64 value beyond int32 is an error, not a silent wrap', () => {
    expect(() => loadSync(join(FIX, 'int64_overflow.safetensors'))).toThrow(SafetensorsError);
    expect(() => loadSync(join(FIX, 'int64_overflow.safetensors'))).toThrow(/1099511627776 .* does not fit in int32/);
  });

  it('Duet writes the same bytes as Python for the same tensors and metadata', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'duet-st-')), 'same.safetensors');
    const dict = Object.fromEntries(Object.entries(golden.pythonWritten).map(([k, s]) => [k, T(s)]));
    await save(dict, path, { metadata: golden.pythonWrittenMetadata });
    expect(readFileSync(path).equals(readFileSync(join(FIX, 'python_written.safetensors')))).toBe(true);
  });
});

describe('the file Duet wrote (write_duet_file.ts), as PyTorch saw it', () => {
  it('loaded in PyTorch with load_state_dict(strict=True)', () => {
    expect(golden.duetWritten.loadStrict).toBe(true);
    expect(golden.duetWritten.metadata).toEqual({ format: 'pt', writer: 'duet' });
  });

  it('holds the values PyTorch read, and gives PyTorch\'s eval outputs in Duet', async () => {
    const sd = await load(join(FIX, 'duet_written.safetensors'));
    expect(Object.keys(sd).sort()).toEqual(golden.duetWritten.keys);
    for (const [k, e] of Object.entries(golden.duetWritten.values)) expectClose(sd[k]!, shaped(e), { atol: 0, rtol: 0, message: k });
    const model = new Small();
    model.loadStateDict(sd);
    model.eval();
    expectClose(model.forward(T(golden.duetWritten.evalInput)), shaped(golden.duetWritten.evalOutput), { atol: 1e-5, rtol: 1e-5 });
  });
});
