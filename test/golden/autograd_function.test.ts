/**
 * Custom autograd Functions (`autograd.Function`, PyTorch's
 * `torch.autograd.Function`) against PyTorch (autograd_function.json, written
 * by gen_autograd_function.py, which defines the same Functions): the
 * tutorial's LegendrePolynomial3, a straight-through estimator, two outputs
 * with one unused (materialized or not), an input used twice, gradient
 * reversal returning its input, a non-differentiable output; their memory;
 * and the typed errors for a backward that returns the wrong thing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AutogradError, autograd, linspace, memory, noGrad, round, sin, tensor, type Tensor } from '@duet/core';
import { disposeWithGrads, expectClose, expectNoLeaks, type Shaped } from '../helpers.js';

const golden = JSON.parse(readFileSync(new URL('./autograd_function.json', import.meta.url), 'utf8'));
const X: number[] = golden.x;
const V: number[] = golden.v;
const leaf = (v: number | number[]): Tensor => tensor(v, { requiresGrad: true });

class LegendrePolynomial3 extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx<[Tensor]>, input: Tensor): Tensor {
    ctx.saveForBackward(input);
    return input.pow(3).mul(5).sub(input.mul(3)).mul(0.5);
  }
  static backward(ctx: autograd.FunctionCtx<[Tensor]>, gradOutput: Tensor): Tensor {
    const [input] = ctx.savedTensors;
    return gradOutput.mul(1.5).mul(input.pow(2).mul(5).sub(1));
  }
}

class StraightThroughRound extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx<[Tensor]>, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return round(x);
  }
  static backward(ctx: autograd.FunctionCtx<[Tensor]>, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x.abs().le(1).float());
  }
}

class ScaleAndExp extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx<[Tensor]>, x: Tensor, k: number): [Tensor, Tensor] {
    ctx.saveForBackward(x);
    ctx.k = k;
    return [x.mul(k), x.exp()];
  }
  static backward(ctx: autograd.FunctionCtx<[Tensor]>, gScaled: Tensor, gExp: Tensor | null): [Tensor, null] {
    const [x] = ctx.savedTensors;
    let gx = gScaled.mul(ctx.k);
    if (gExp !== null) gx = gx.add(gExp.mul(x.exp()));
    return [gx, null];
  }
}

class ScaleAndExpNoMaterialize extends ScaleAndExp {
  static override forward(ctx: autograd.FunctionCtx<[Tensor]>, x: Tensor, k: number): [Tensor, Tensor] {
    ctx.setMaterializeGrads(false);
    return ScaleAndExp.forward(ctx, x, k);
  }
}

class MyMul extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx<[Tensor, Tensor]>, a: Tensor, b: Tensor): Tensor {
    ctx.saveForBackward(a, b);
    return a.mul(b);
  }
  static backward(ctx: autograd.FunctionCtx<[Tensor, Tensor]>, g: Tensor): [Tensor, Tensor] {
    const [a, b] = ctx.savedTensors;
    return [g.mul(b), g.mul(a)];
  }
}

class GradReverse extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx, x: Tensor, lambd: number): Tensor {
    ctx.lambd = lambd;
    return x; // PyTorch's x.view_as(x): apply() gives a new tensor sharing the values
  }
  static backward(ctx: autograd.FunctionCtx, g: Tensor): [Tensor, null] {
    return [g.neg().mul(ctx.lambd), null];
  }
}

class DoubleWithMask extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx, x: Tensor): [Tensor, Tensor] {
    const mask = x.gt(0).float();
    ctx.markNonDifferentiable(mask);
    return [x.mul(2), mask];
  }
  static backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
    return g.mul(2);
  }
}

const close = (a: Tensor | null, e: Shaped, message: string) => expectClose(a!, e, { message, atol: 1e-5, rtol: 1e-5 });

describe(`autograd.Function matches PyTorch ${golden.torch_version}`, () => {
  it('LegendrePolynomial3 (the tutorial\'s y = a + b * P3(c + d * x))', () => {
    const g = golden.legendre;
    const x = linspace(-Math.PI, Math.PI, 7);
    const [a, b, c, d] = [leaf(0.1), leaf(-1), leaf(0.2), leaf(0.3)];
    const p3 = LegendrePolynomial3.apply(c.add(d.mul(x)));
    expect(p3.gradFn?.name()).toBe('LegendrePolynomial3Backward');
    const loss = a.add(b.mul(p3)).sub(sin(x)).pow(2).sum();
    loss.backward();
    close(p3, g.p3, 'P3');
    expect(loss.item()).toBeCloseTo(g.loss, 4);
    [a, b, c, d].forEach((t, i) => close(t.grad, g.grads[i], `grad ${'abcd'[i]}`));
  });

  it('a straight-through estimator (round forward, hardtanh-masked identity backward)', () => {
    const g = golden.ste;
    const [x, w] = [leaf(X), leaf(0.9)];
    const y = StraightThroughRound.apply(x.mul(w));
    y.mul(tensor(V)).sum().backward();
    close(y, g.y, 'y');
    close(x.grad, g.x_grad, 'x.grad');
    close(w.grad, g.w_grad, 'w.grad');
  });

  for (const [name, cls] of [['two_outputs', ScaleAndExp], ['two_outputs_no_materialize', ScaleAndExpNoMaterialize]] as const) {
    it(`two outputs and a number argument, one output unused (${name})`, () => {
      const g = golden[name];
      const x = leaf(X);
      const [s, e] = cls.apply(x, 3);
      s.mul(tensor(V)).sum().backward();
      close(s, g.scaled, 'scaled');
      close(e, g.exp, 'exp');
      close(x.grad, g.x_grad_one_used, 'x.grad (exp unused)');
      const x2 = leaf(X);
      const [s2, e2] = cls.apply(x2, 3);
      s2.mul(tensor(V)).add(e2).sum().backward();
      close(x2.grad, g.x_grad_both_used, 'x.grad (both used)');
    });
  }

  it('backward receives null for an unused output only with setMaterializeGrads(false)', () => {
    const seen: (Tensor | null)[] = [];
    class Spy extends ScaleAndExp {
      static override backward(ctx: autograd.FunctionCtx<[Tensor]>, gScaled: Tensor, gExp: Tensor | null): [Tensor, null] {
        seen.push(gExp);
        return ScaleAndExp.backward(ctx, gScaled, gExp);
      }
    }
    class SpyNoMaterialize extends Spy {
      static override forward(ctx: autograd.FunctionCtx<[Tensor]>, x: Tensor, k: number): [Tensor, Tensor] {
        ctx.setMaterializeGrads(false);
        return ScaleAndExp.forward(ctx, x, k);
      }
    }
    Spy.apply(leaf(X), 3)[0].sum().backward();
    SpyNoMaterialize.apply(leaf(X), 3)[0].sum().backward();
    expect(seen[0]).not.toBeNull();
    expect(seen[1]).toBeNull();
  });

  it('an input used twice, by one call and by a second one', () => {
    const g = golden.double_use;
    const x = leaf(X);
    const y = MyMul.apply(x, x);
    const z = MyMul.apply(y, x);
    z.mul(tensor(V)).sum().backward();
    close(y, g.y, 'y');
    close(z, g.z, 'z');
    close(x.grad, g.x_grad, 'x.grad');
  });

  it('gradient reversal: forward returns its input, backward -lambda * grad', () => {
    const g = golden.grad_reverse;
    const x = leaf(X);
    const y = GradReverse.apply(x, 0.5);
    expect(y).not.toBe(x);
    expect(y.gradFn?.name()).toBe('GradReverseBackward');
    y.mul(tensor(V)).sum().backward();
    close(y, g.y, 'y');
    close(x.grad, g.x_grad, 'x.grad');
  });

  it('markNonDifferentiable: the mask output requires no grad', () => {
    const g = golden.mask;
    const x = leaf(X);
    const [y, mask] = DoubleWithMask.apply(x);
    expect(mask.requiresGrad).toBe(g.mask_requires_grad);
    y.mul(mask).sum().backward();
    close(y, g.y, 'y');
    close(mask, g.mask, 'mask');
    close(x.grad, g.x_grad, 'x.grad');
  });

  it('needsInputGrad, noGrad, and a second backward() through a freed graph', () => {
    let needs: readonly boolean[] = [];
    class Probe extends MyMul {
      static override forward(ctx: autograd.FunctionCtx<[Tensor, Tensor]>, a: Tensor, b: Tensor): Tensor {
        needs = ctx.needsInputGrad;
        return MyMul.forward(ctx, a, b);
      }
    }
    const y = Probe.apply(leaf(X), tensor(V));
    expect(needs).toEqual([true, false]);
    const z = noGrad(() => Probe.apply(leaf(X), tensor(V)));
    expect(z.requiresGrad).toBe(false);
    expect(needs).toEqual([false, false]);
    y.sum().backward();
    expect(() => y.sum().backward()).toThrow(/second time/);
    const x = leaf(X);
    const w = Probe.apply(x, tensor(V)).sum();
    w.backward(undefined, { retainGraph: true });
    w.backward();
    expectClose(x.grad!, V.map((v) => 2 * v)); // retained: the two backward() calls add up
  });
});

describe('autograd.Function errors', () => {
  class WrongCount extends autograd.Function {
    static forward(_ctx: autograd.FunctionCtx, a: Tensor, b: Tensor): Tensor {
      return a.mul(b);
    }
    static backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
      return g;
    }
  }
  class WrongShape extends autograd.Function {
    static forward(_ctx: autograd.FunctionCtx, a: Tensor): Tensor {
      return a.sum();
    }
    static backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
      return g.expand([2]);
    }
  }
  class GradForNumber extends autograd.Function {
    static forward(_ctx: autograd.FunctionCtx, a: Tensor, k: number): Tensor {
      return a.mul(k);
    }
    static backward(_ctx: autograd.FunctionCtx, g: Tensor): [Tensor, Tensor] {
      return [g, g];
    }
  }
  class NoBackward extends autograd.Function {
    static forward(_ctx: autograd.FunctionCtx, a: Tensor): Tensor {
      return a;
    }
  }

  it('a wrong number of gradients says expected vs received', () => {
    const y = WrongCount.apply(leaf(X), leaf(V));
    const e = (() => { try { y.sum().backward(); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(AutogradError);
    expect((e as Error).message).toBe('function WrongCountBackward returned an incorrect number of gradients: expected 2 (one per argument of apply()), received 1.');
  });

  it('a gradient of the wrong shape says expected vs received', () => {
    const y = WrongShape.apply(leaf([1, 2, 3]));
    expect(() => y.backward()).toThrow(new AutogradError('function WrongShapeBackward returned an invalid gradient at index 0: expected shape [3] (the input\'s), received [2].'));
  });

  it('a gradient for a number argument is refused', () => {
    const y = GradForNumber.apply(leaf(X), 2);
    expect(() => y.sum().backward()).toThrow(/returned a gradient different than null at index 1, but the corresponding forward argument was not a Tensor \(received the number 2\)/);
  });

  it('a Function without backward is refused at apply()', () => {
    expect(() => (NoBackward as unknown as typeof LegendrePolynomial3).apply(leaf(X))).toThrow(/needs a static backward\(ctx, \.\.\.\) method/);
  });

  it('savedTensors outside backward is refused', () => {
    let ctxSeen: autograd.FunctionCtx | null = null;
    class Peek extends LegendrePolynomial3 {
      static override forward(ctx: autograd.FunctionCtx<[Tensor]>, input: Tensor): Tensor {
        ctxSeen = ctx;
        return LegendrePolynomial3.forward(ctx, input);
      }
    }
    Peek.apply(leaf(X));
    expect(() => ctxSeen!.savedTensors).toThrow(AutogradError);
  });

  it('a failed backward leaks nothing', () => {
    expectNoLeaks(() => {
      const xs = [leaf(X), leaf(V)];
      const [s] = ScaleAndExp.apply(xs[0]!, 2);
      const y = WrongCount.apply(s!, xs[1]!);
      expect(() => y.sum().backward()).toThrow(AutogradError);
      disposeWithGrads(xs);
    });
  });
});

describe('autograd.Function memory', () => {
  const cases: Record<string, (xs: Tensor[]) => Tensor> = {
    legendre: ([x]) => LegendrePolynomial3.apply(x!.mul(0.5)).sum(),
    ste: ([x]) => StraightThroughRound.apply(x!).sum(),
    twoOutputsOneUsed: ([x]) => ScaleAndExp.apply(x!, 3)[0].sum(),
    doubleUse: ([x]) => MyMul.apply(x!, x!).sum(),
    gradReverse: ([x]) => GradReverse.apply(x!, 0.5).sum(),
    mask: ([x]) => { const [y, m] = DoubleWithMask.apply(x!); return y.mul(m).sum(); },
  };
  for (const [name, f] of Object.entries(cases)) {
    it(`${name}: forward + backward, and forward alone, leak nothing`, () => {
      expectNoLeaks(() => {
        const xs = [leaf(X)];
        f(xs).backward();
        disposeWithGrads(xs);
      });
      expectNoLeaks(() => disposeWithGrads([(() => { const xs = [leaf(X)]; f(xs); return xs[0]!; })()]));
    });
  }

  it('a training loop with a custom Function keeps native memory flat, with no keep()', () => {
    const x = linspace(-Math.PI, Math.PI, 200);
    const y = sin(x);
    const [a, b, c, d] = [leaf(0), leaf(-1), leaf(0), leaf(0.3)];
    const counts: number[] = [];
    for (let t = 0; t < 60; t++) {
      const loss = a.add(b.mul(LegendrePolynomial3.apply(c.add(d.mul(x))))).sub(y).pow(2).sum();
      loss.backward();
      noGrad(() => {
        for (const p of [a, b, c, d]) {
          p.sub_(p.grad!.mul(1e-4));
          p.grad = null;
        }
      });
      if (t >= 20) counts.push(memory().numTensors);
    }
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
  });
});
