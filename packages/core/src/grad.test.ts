/** grad(output, inputs): torch.autograd.grad's semantics, and no leak. */
import { describe, expect, it } from 'vitest';
import { AutogradError, autograd, grad, memory, noGrad, scope, tensor, type Tensor } from './index.js';

const leaf = (values: number[]) => tensor(values, { requiresGrad: true });

describe('grad(output, inputs)', () => {
  it('returns the gradients in input order and leaves .grad alone', () => {
    const w = leaf([1, 2, 3]);
    const b = leaf([0.5]);
    const loss = w.square().sum().add(b.mul(3).sum());
    const [dw, db] = grad(loss, [w, b]);
    expect(dw!.toArray()).toEqual([2, 4, 6]);
    expect(db!.toArray()).toEqual([3]);
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  it('takes intermediate tensors, and adds the gradients of every path', () => {
    const w = leaf([1, 2, 3]);
    const h = w.mul(2);
    const [dw, dh] = grad(h.square().sum().add(w.sum()), [w, h]); // d/dw (4w^2 + w) = 8w + 1; d/dh 2h
    expect(dw!.toArray()).toEqual([9, 17, 25]);
    expect(dh!.toArray()).toEqual([4, 8, 12]);
  });

  it('gives null for an input the output does not depend on (zeros with materializeGrads)', () => {
    const w = leaf([1, 2]);
    const unused = leaf([5, 5, 5]);
    const [, none] = grad(w.sum(), [w, unused]);
    expect(none).toBeNull();
    const [, zeros] = grad(w.sum(), [w, unused], { materializeGrads: true });
    expect(zeros!.toArray()).toEqual([0, 0, 0]);
  });

  it('frees the graph unless retainGraph, as backward() does', () => {
    const w = leaf([1, 2]);
    const loss = w.square().sum();
    grad(loss, [w], { retainGraph: true });
    expect(grad(loss, [w])[0]!.toArray()).toEqual([2, 4]);
    expect(() => grad(loss, [w])).toThrow(AutogradError);
  });

  it('with gradOutput, a vector-Jacobian product', () => {
    const w = leaf([1, 2]);
    const [dw] = grad(w.square(), [w], { gradOutput: tensor([1, 10]) });
    expect(dw!.toArray()).toEqual([2, 40]);
  });

  it('walks only the part of the graph that leads to the inputs (a GAN\'s discriminator step stops at the generated images)', () => {
    const g = leaf([1, 2]);
    const generated = g.mul(2);
    generated.sum().backward(); // frees the generator's part of the graph
    const d = leaf([3, 4]);
    const [dd] = grad(generated.mul(d).sum(), [d]);
    expect(dd!.toArray()).toEqual([2, 4]);
  });

  it('bad arguments are AutogradErrors that say what was received', () => {
    const w = leaf([1]);
    expect(() => grad(w.sum(), w as unknown as Tensor[])).toThrow(/expected an array of Tensors as inputs, received Tensor\(shape=\[1\]\)/);
    expect(() => grad(noGrad(() => w.sum()), [w])).toThrow(AutogradError);
  });

  it('leaks no native tensors', () => {
    const w = leaf([1, 2, 3]);
    const step = () => scope(() => {
      const [dw] = grad(w.mul(w).sum(), [w]);
      return dw!.sum().item();
    });
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(memory().numTensors).toBe(before);
  });
});

describe('grad(output, inputs) through a custom autograd.Function with two outputs', () => {
  // y1 = 2x, y2 = x^2 from one forward; one backward call gets both outputs' gradients.
  class TwoOut extends autograd.Function {
    static forward(ctx: autograd.FunctionCtx, x: Tensor): [Tensor, Tensor] {
      ctx.saveForBackward(x);
      return [x.mul(2), x.square()];
    }
    static backward(ctx: autograd.FunctionCtx, g1: Tensor, g2: Tensor): Tensor {
      const [x] = ctx.savedTensors;
      return g1.mul(2).add(g2.mul(x!).mul(2));
    }
  }
  it('runs the shared rule once, gives d(sum y1 + sum y2)/dx = 2 + 2x, and leaves .grad alone', () => {
    const x = leaf([1, 2, 3]);
    const [y1, y2] = TwoOut.apply(x);
    const [dx] = grad(y1.sum().add(y2.sum()), [x]);
    expect(dx!.toArray()).toEqual([4, 6, 8]);
    expect(x.grad).toBeNull();
  });
  it('stops at the wanted tensors (only the part of the graph that leads to them runs)', () => {
    const x = leaf([1, 2]);
    const w = leaf([3, 4]);
    const [y1, y2] = TwoOut.apply(x.mul(w));
    const [dw] = grad(y1.sum().add(y2.sum()), [w]);
    // d/dw of 2xw + (xw)^2 = 2x + 2x^2 w
    expect(dw!.toArray()).toEqual([2 * 1 + 2 * 1 * 3, 2 * 2 + 2 * 4 * 4]);
    expect(x.grad).toBeNull();
  });
});
