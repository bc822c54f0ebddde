/**
 * Python's number-first arithmetic in ported code (`-2.0 * (y - y_pred)` is
 * `mul(-2.0, y.sub(yPred))`), and a float tensor raised to an int tensor's
 * powers, against PyTorch (python_scalars.json, from gen_python_scalars.py):
 * values and gradients; no leaks.
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { add, div, mul, pow, sub, tensor, type Tensor } from '@duet/core';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';

const golden = JSON.parse(readFileSync(new URL('./python_scalars.json', import.meta.url), 'utf8'));
const CASES: Record<string, (t: Tensor) => Tensor> = {
  mul: (t) => mul(-2.0, t),
  add: (t) => add(3, t),
  sub: (t) => sub(1, t),
  div: (t) => div(1, t),
  pow: (t) => pow(2, t),
  pow_int_tensor: (t) => t.unsqueeze(-1).pow(tensor([1, 2, 3])),
};

function runCase(name: string): Tensor {
  const t = tensor(golden.t as number[], { requiresGrad: true });
  const r = CASES[name]!(t);
  const w = tensor(golden.w as number[]);
  r.mul(r.ndim === 1 ? w : w.unsqueeze(-1)).sum().backward();
  const c = golden.cases[name];
  expectClose(r, c.value, { message: `${name} value` });
  expectClose(t.grad!, c.grad, { message: `${name} grad`, rtol: 1e-5, atol: 1e-5 });
  return t;
}

describe(`number-first arithmetic matches PyTorch ${golden.torch_version}`, () => {
  for (const name of Object.keys(CASES)) {
    it(name, () => {
      disposeWithGrads([runCase(name)]);
      expectNoLeaks(() => disposeWithGrads([runCase(name)]));
    });
  }
});
