/**
 * Every core op, forward and gradients, against PyTorch (core.json, written by
 * gen_core.py). Float outputs: atol/rtol 1e-5 unless the case says otherwise;
 * gradients: atol 1e-4; integer and bool outputs: exact, with the dtype.
 */
import { describe, expect, it } from 'vitest';
import { scope } from '@duet/core';
import { disposeWithGrads, expectClose, nest } from '../helpers.js';
import { golden, runCase } from './cases.js';
import { OPS } from './core_ops.js';

describe(`core ops match PyTorch ${golden.torch}`, () => {
  it('every golden case has a Duet op and every op a golden case', () => {
    const names = golden.cases.map((c) => c.name);
    expect(Object.keys(OPS).filter((k) => !names.includes(k))).toEqual([]);
    expect(names.filter((k) => !(k in OPS))).toEqual([]);
  });

  it.each(golden.cases)('$name', (c) => {
    scope(() => {
      const { inputs, outputs } = runCase(c);
      expect(outputs.length, 'number of outputs').toBe(c.outputs.length);
      outputs.forEach((o, i) => {
        const want = c.outputs[i]!;
        const what = `output ${i}`;
        expect(o.dtype, `${what} dtype`).toBe(want.dtype);
        expect(o.requiresGrad, `${what} requiresGrad`).toBe(c.upstream[i] != null);
        if (want.dtype === 'float32') {
          expectClose(o, want, { atol: c.atol ?? 1e-5, rtol: c.rtol ?? 1e-5, message: what });
        } else {
          expect([...o.shape], `${what} shape`).toEqual(want.shape);
          expect(o.toArray(), what).toEqual(nest(want.values, want.shape));
        }
      });
      for (const [k, g] of Object.entries(c.grads)) {
        const got = inputs[k]!.grad;
        if (g === null) expect(got === null || got.abs().max().item() === 0, `grad of ${k}: PyTorch has none`).toBe(true);
        else {
          expect(got, `grad of ${k}`).not.toBeNull();
          expectClose(got!, g, { atol: c.gradAtol ?? 1e-4, rtol: c.gradRtol ?? 1e-5, message: `grad of ${k}` });
        }
      }
      for (const [k, t] of Object.entries(inputs)) {
        if (!(k in c.grads)) expect(t.grad, `${k} needs no grad`).toBeNull();
      }
      disposeWithGrads(Object.values(inputs));
    });
  });
});
