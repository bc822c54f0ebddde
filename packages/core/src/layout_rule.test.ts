/**
 * The one layout rule (layout.ts): every accepted spelling of a data format
 * normalises to the same `DataFormat` and gives the op the same result as the
 * spelling it had before; `opLayout` decides the stored layout of an op's
 * operands, result and gradient the way docs/design/layout.md's rules say.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, functional as F, memory, randn, scope, type DataFormat2dLike } from './index.js';
import { dataFormat, opLayout } from './layout.js';

describe('dataFormat(): one type, the spellings users bring', () => {
  it('normalises PyTorch/TF names, Keras names and a channel axis', () => {
    for (const v of [undefined, 'NCHW', 'channelsFirst', 1] as const) expect(dataFormat('op', v)).toBe('channelsFirst');
    for (const v of ['NHWC', 'channelsLast', -1] as const) expect(dataFormat('op', v)).toBe('channelsLast');
    for (const v of [undefined, 'NCL', 'channelsFirst', 1] as const) expect(dataFormat('op', v, 1)).toBe('channelsFirst');
    for (const v of ['NLC', 'channelsLast', -1] as const) expect(dataFormat('op', v, 1)).toBe('channelsLast');
  });

  it('a wrong spelling is an ArgumentError naming what is accepted and what was received', () => {
    expect(() => dataFormat('conv2d', 'NCL' as DataFormat2dLike)).toThrow(ArgumentError);
    expect(() => dataFormat('conv2d', 'NCL' as DataFormat2dLike)).toThrow(`conv2d: dataFormat must be 'NCHW' or 'NHWC' (or 'channelsFirst' / 'channelsLast'), received "NCL".`);
    expect(() => dataFormat('conv1d', 'NHWC' as never, 1)).toThrow(`conv1d: dataFormat must be 'NCL' or 'NLC'`);
  });

  it('every spelling gives the op the same values as the original one', () => {
    scope(() => {
      const x = randn([2, 5, 6, 3]); // NHWC
      const w = randn([3, 3, 3, 4]); // HWIO
      const ref = F.conv2d(x, w, null, { dataFormat: 'NHWC' }).toArray();
      for (const f of ['channelsLast', -1] as const) expect(F.conv2d(x, w, null, { dataFormat: f }).toArray()).toEqual(ref);
      const pool = F.maxPool2d(x, 2, { dataFormat: 'NHWC' }).toArray();
      expect(F.maxPool2d(x, 2, { dataFormat: 'channelsLast' }).toArray()).toEqual(pool);
      const bn = F.batchNorm2d(x, null, null, { training: true, dataFormat: 'NHWC' }).y.toArray();
      expect(F.batchNorm2d(x, null, null, { training: true, dataFormat: -1 }).y.toArray()).toEqual(bn);
      const s = randn([2, 7, 3]); // NLC
      const w1 = randn([3, 3, 4]); // [k, in, out]
      const r1 = F.conv1d(s, w1, null, { dataFormat: 'NLC' }).toArray();
      expect(F.conv1d(s, w1, null, { dataFormat: 'channelsLast' }).toArray()).toEqual(r1);
      const xc = randn([2, 3, 6, 5]);
      const wc = randn([4, 3, 3, 3]);
      expect(F.conv2d(xc, wc, null, { dataFormat: 'channelsFirst' }).toArray()).toEqual(F.conv2d(xc, wc).toArray());
      // Training batch norm with nothing requiring grad hands out the batch statistics (it used to read a released one).
      const st = F.batchNorm2d(xc, null, null, { training: true, dataFormat: 'channelsFirst' });
      expect(st.variance!.toArray()).toEqual(F.batchNorm2d(xc, null, null, { training: true }).variance!.toArray());
      expect(st.variance!.shape).toEqual([3]);
    });
  });
});

describe('opLayout(): the stored layout of operands, result and gradient', () => {
  it('asStored: NHWC only when every tensor operand is stored NHWC with one shape', () => {
    scope(() => {
      const a = F.maxPool2d(randn([2, 3, 4, 4]), 1); // stored NHWC
      const b = F.maxPool2d(randn([2, 3, 4, 4]), 1);
      const logical = randn([2, 3, 4, 4]);
      expect(a._nhwc && b._nhwc && !logical._nhwc).toBe(true);
      expect(opLayout('asStored', a)).toMatchObject({ nhwc: true, grad: { out: true } });
      expect(opLayout('asStored', a, 2).nhwc).toBe(true);
      expect(opLayout('asStored', a, b).nhwc).toBe(true);
      expect(opLayout('asStored', a, logical)).toEqual({ nhwc: false, grad: undefined });
      expect(opLayout('asStored', a, randn([4])).nhwc).toBe(false); // broadcasting: logical
      expect(opLayout('asStored', logical, a).nhwc).toBe(false);
    });
  });

  it('nhwcKernel: channels-first input read as NHWC, only the input gradient NHWC', () => {
    scope(() => {
      const x = randn([1, 2, 3, 3]);
      expect(opLayout('nhwcKernel', x, 'channelsFirst')).toEqual({ nhwc: true, grad: { out: true, inputs: [true, false, false] } });
      expect(opLayout('nhwcKernel', x, 'channelsLast')).toEqual({ nhwc: false, grad: undefined });
    });
  });

  it('the new spellings leak nothing', () => {
    const x = randn([2, 5, 6, 3]).keep();
    const w = randn([3, 3, 3, 4]).keep();
    scope(() => F.conv2d(x, w, null, { dataFormat: 'channelsLast' }).toArray()); // warm the constant cache
    const before = memory().numTensors;
    scope(() => F.conv2d(x, w, null, { dataFormat: 'channelsLast' }).toArray());
    expect(memory().numTensors).toBe(before);
    x.dispose();
    w.dispose();
  });
});
