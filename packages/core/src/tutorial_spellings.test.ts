/**
 * PyTorch spellings the "Learning PyTorch with Examples" ports needed
 * (docs/ports/learning-pytorch-with-examples.md): `device=` in creation
 * functions, sizes spread out (`ones(2, 2, { requiresGrad: true })`), `torch.accelerator`, `torch.set_default_device`, `x.view(-1, n)`,
 * Python's `random` module, and `apply()` of a custom Function taken alone.
 */
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, AutogradError, DeviceError, ShapeError, accelerator, arange, autograd, cuda, full, getDefaultDevice, linspace, memory, ones, rand, randn, random,
  setDefaultDevice, tensor, zeros, type Tensor,
} from './index.js';

describe('device= in creation functions', () => {
  it("takes 'cpu' and checks the device like x.to(device)", () => {
    expect(linspace(0, 1, 3, { device: 'cpu', dtype: 'float32' }).shape).toEqual([3]);
    expect(randn([], { device: 'cpu' }).shape).toEqual([]);
    expect(full([], 0.3, { device: 'cpu', requiresGrad: true }).requiresGrad).toBe(true);
    if (!cuda.isAvailable()) {
      const before = memory().numTensors;
      expect(() => zeros([2], { device: 'cuda' })).toThrow(DeviceError);
      expect(() => zeros([2], { device: 'cuda' })).toThrow(/creating a tensor with \{ device: 'cuda' \}: CUDA is not available/);
      expect(() => tensor([1], { device: 'tpu' as never })).toThrow(/expected a device \('cpu', 'cuda', 'cuda:0' or 'gpu'\), received "tpu"/);
      expect(memory().numTensors).toBe(before); // the refused tensor was released
    }
  });
});

describe('torch.accelerator and set_default_device', () => {
  it('report the engine, and setDefaultDevice checks its argument', () => {
    expect(accelerator.isAvailable()).toBe(cuda.isAvailable());
    const device = accelerator.isAvailable() ? accelerator.currentAccelerator()!.type : 'cpu';
    expect(accelerator.currentAccelerator()).toEqual(cuda.isAvailable() ? { type: 'cuda' } : null);
    setDefaultDevice(device);
    expect(getDefaultDevice()).toBe(device);
    if (!cuda.isAvailable()) expect(() => setDefaultDevice('cuda')).toThrow(DeviceError);
    expect(getDefaultDevice()).toBe('cpu');
  });
});

describe('zeros, ones, randn, rand take the sizes spread out too', () => {
  it('torch.ones(2, 2, requires_grad=True) is ones(2, 2, { requiresGrad: true })', () => {
    const x = ones(2, 2, { requiresGrad: true });
    expect([x.shape, x.requiresGrad, x.toArray()]).toEqual([[2, 2], true, ones([2, 2]).toArray()]);
    expect(zeros(3).shape).toEqual([3]);
    expect(zeros(2, 3, { dtype: 'int32' }).dtype).toBe('int32');
    expect(randn(1, 1, 32, 32).shape).toEqual([1, 1, 32, 32]);
    expect(rand(4, 5).shape).toEqual([4, 5]);
    expect(randn([2, 3], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => zeros(2, -1)).toThrow(ShapeError);
  });
});

describe('view and reshape take the shape spread out too', () => {
  it('x.view(-1, n) is x.view([-1, n])', () => {
    const x = arange(24);
    expect(x.view(-1, 6).shape).toEqual([4, 6]);
    expect(x.view([2, -1, 3]).shape).toEqual([2, 4, 3]);
    expect(x.reshape(2, 3, 4).shape).toEqual([2, 3, 4]);
    expect(x.view(2, 3, 4).toArray()).toEqual(x.reshape([2, 3, 4]).toArray());
  });
});

describe("Python's random module", () => {
  it('randint includes both ends, randrange excludes the stop; seeded streams repeat', () => {
    random.seed(1);
    const draws = Array.from({ length: 600 }, () => random.randint(4, 6));
    expect(new Set(draws)).toEqual(new Set([4, 5, 6]));
    random.seed(1);
    expect(Array.from({ length: 600 }, () => random.randint(4, 6))).toEqual(draws);
    const r = Array.from({ length: 300 }, () => random.randrange(4, 6));
    expect(new Set(r)).toEqual(new Set([4, 5]));
    expect(new Set(Array.from({ length: 200 }, () => random.randrange(3)))).toEqual(new Set([0, 1, 2]));
    const u = random.uniform(2, 3);
    expect(u >= 2 && u < 3).toBe(true);
    expect(['a', 'b']).toContain(random.choice(['a', 'b']));
    const xs = [1, 2, 3, 4, 5];
    random.shuffle(xs);
    expect([...xs].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('is its own stream: manualSeed does not move it', () => {
    random.seed(7);
    const a = random.random();
    random.seed(7);
    randn([10]);
    expect(random.random()).toBe(a);
  });

  it('bad ranges are typed errors', () => {
    expect(() => random.randint(6, 4)).toThrow(new ArgumentError('random.randint(a, b): empty range, expected a <= b, received a=6, b=4.'));
    expect(() => random.randint(1.5, 4)).toThrow(ArgumentError);
    expect(() => random.randrange(3, 3)).toThrow(/empty range/);
    expect(() => random.choice([])).toThrow(/non-empty/);
  });
});

describe('a custom Function\'s apply taken alone', () => {
  class Double extends autograd.Function {
    static forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
      return x.mul(2);
    }
    static backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
      return g.mul(2);
    }
  }
  it('wrapped, works; taken alone, says how to wrap it', () => {
    const P = (x: Tensor) => Double.apply(x);
    expect(P(tensor([1, 2])).toArray()).toEqual([2, 4]);
    const unbound = Double.apply as unknown as (x: Tensor) => Tensor;
    expect(() => unbound(tensor([1]))).toThrow(AutogradError);
    expect(() => unbound(tensor([1]))).toThrow(/Wrap it: const P3 = \(x: Tensor\) => MyFunction\.apply\(x\)/);
  });
});
