/**
 * PyTorch spellings in @duet/core: function forms, size/numel/dim, new_* constructors,
 * to(device | dtype), the int64 spellings, in-place ops' checks, and
 * `using _ = noGrad()`. Values of the pointwise ops are checked against PyTorch
 * in test/golden/torch_api.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as core from './index.js';
import {
  ArgumentError, AutogradError, DTypeError, DeviceError, Int64RangeError, Tensor, arange, argmax, cuda, enableGrad, flatten, full, isGradEnabled,
  max, min, noGrad, ones, randn, scope, setGradEnabled, tensor, zeros,
} from './index.js';

describe('function forms', () => {
  it('each calls the method of the same name', () => {
    const x = tensor([[1, -2, 3], [4, 5, -6]]);
    const cases: [string, unknown[], (t: Tensor) => unknown][] = [
      ['flatten', [1], (t) => t.flatten(1)],
      ['argmax', [1], (t) => t.argmax(1)],
      ['argmin', [0], (t) => t.argmin(0)],
      ['sum', [1], (t) => t.sum(1)],
      ['mean', [], (t) => t.mean()],
      ['exp', [], (t) => t.exp()],
      ['relu', [], (t) => t.relu()],
      ['sigmoid', [], (t) => t.sigmoid()],
      ['tanh', [], (t) => t.tanh()],
      ['softmax', [1], (t) => t.softmax(1)],
      ['logSoftmax', [1], (t) => t.logSoftmax(1)],
      ['transpose', [0, 1], (t) => t.transpose(0, 1)],
      ['reshape', [[3, 2]], (t) => t.reshape([3, 2])],
      ['squeeze', [], (t) => t.unsqueeze(0).squeeze()],
      ['unsqueeze', [1], (t) => t.unsqueeze(1)],
      ['clamp', [-1, 2], (t) => t.clamp(-1, 2)],
      ['abs', [], (t) => t.abs()],
      ['matmul', [tensor([[1], [2], [3]])], (t) => t.matmul(tensor([[1], [2], [3]]))],
      ['variance', [1], (t) => t.var(1)],
      ['std', [0], (t) => t.std(0)],
      ['numel', [], (t) => t.numel()],
    ];
    const fns = core as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const [name, args, method] of cases) {
      const a = fns[name]!(name === 'squeeze' ? x.unsqueeze(0) : x, ...args);
      const b = method(x);
      expect(a instanceof Tensor ? a.toArray() : a, name).toEqual(b instanceof Tensor ? b.toArray() : b);
    }
  });

  it('max/min: overall, along a dim ([values, indices]), or elementwise with a tensor', () => {
    const x = tensor([[1, 5], [7, 2]]);
    expect(max(x).item()).toBe(7);
    expect(max(x, 1).map((t) => t.toArray())).toEqual([[5, 7], [1, 0]]);
    expect(max(x, tensor([[3, 3], [3, 3]])).toArray()).toEqual([[3, 5], [7, 3]]);
    expect(min(x, 0, { keepdim: true })[0].toArray()).toEqual([[1, 2]]);
    expect(min(x, tensor(3)).toArray()).toEqual([[1, 3], [3, 2]]);
    expect(argmax(flatten(x)).item()).toBe(2);
  });
});

describe('size, numel, dim, new_*', () => {
  it('numel() and dim()', () => {
    expect(zeros([2, 3, 4]).numel()).toBe(24);
    expect(zeros([2, 3, 4]).dim()).toBe(3);
    expect(tensor(5).numel()).toBe(1);
  });
  it('size() is the shape (a copy); size(dim) one dim, negative from the end', () => {
    const x = zeros([2, 3, 4]);
    expect(x.size()).toEqual([2, 3, 4]);
    x.size().push(9); // a copy: the tensor's shape is untouched
    expect(x.shape).toEqual([2, 3, 4]);
    expect(x.size(0)).toBe(2);
    expect(x.size(1)).toBe(3);
    expect(x.size(-1)).toBe(4);
    expect(x.size(-3)).toBe(2);
    expect(tensor(5).size()).toEqual([]);
  });
  it('size(dim) out of range throws an ArgumentError naming the dim and ndim', () => {
    const x = zeros([2, 3]);
    for (const d of [2, -3, 0.5]) {
      expect(() => x.size(d)).toThrow(ArgumentError);
      expect(() => x.size(d)).toThrow(`ndim 2 (shape [2, 3]): expected an integer in [-2, 1], received ${d}`);
    }
    expect(() => tensor(5).size(0)).toThrow('ndim 0');
  });
  it("newZeros / newOnes / newFull / newEmpty / newTensor take the tensor's dtype unless told", () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(i.newZeros([2, 2]).dtype).toBe('int32');
    expect(i.newOnes([3]).toArray()).toEqual([1, 1, 1]);
    expect(i.newFull([2], 7).toArray()).toEqual([7, 7]);
    expect(i.newEmpty([1]).shape).toEqual([1]);
    expect(i.newTensor([[1.7, 2.2]]).toArray()).toEqual([[1, 2]]);
    const f = randn([2]);
    expect(f.newZeros([2], { dtype: 'long' }).dtype).toBe('int32');
    expect(f.newTensor([1, 2]).dtype).toBe('float32');
    expect(f.newOnes([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('devices', () => {
  it("to('cpu'), cpu() return the same tensor; to({ device, dtype }) and to(device, dtype) cast", () => {
    const x = tensor([1.5, 2.5]);
    expect(x.to('cpu')).toBe(x);
    expect(x.cpu()).toBe(x);
    expect(x.to({ device: 'cpu', dtype: 'int32' }).toArray()).toEqual([1, 2]);
    expect(x.to('cpu', 'long').dtype).toBe('int32');
    expect(x.to(tensor([true])).dtype).toBe('bool');
    expect(x.to('float32')).toBe(x);
  });
  it('CUDA on the CPU engine: a DeviceError that says how to get the GPU engine', () => {
    expect(cuda.isAvailable()).toBe(false);
    expect(cuda.deviceCount()).toBe(0);
    const x = tensor([1]);
    for (const d of ['cuda', 'cuda:0', 'gpu'] as const) {
      expect(() => x.to(d)).toThrow(DeviceError);
      expect(() => x.to(d)).toThrow(/CUDA is not available.*DUET_DEVICE=gpu/);
    }
    expect(() => x.cuda()).toThrow(DeviceError);
    expect(() => x.to('cuda:1')).toThrow(/one device per process.*received 'cuda:1'/);
    expect(() => x.to('mps' as 'cpu')).toThrow(/expected a dtype .* or a device .*received 'mps'/);
    try {
      x.to('cuda');
    } catch (e) {
      expect((e as DeviceError).code).toBe('ERR_DEVICE');
    }
  });
});

describe('int64 spellings', () => {
  it("'int64' / 'long' give int32 in creation, to() and long()", () => {
    expect(tensor([1, 2], { dtype: 'int64' }).dtype).toBe('int32');
    expect(zeros([2], { dtype: 'long' }).dtype).toBe('int32');
    expect(full([2], 3, { dtype: 'int64' }).toArray()).toEqual([3, 3]);
    expect(arange(0, 4, 1, { dtype: 'long' }).toArray()).toEqual([0, 1, 2, 3]);
    expect(tensor([1.9, -1.9, 0.5]).long().toArray()).toEqual([1, -1, 0]);
    expect(tensor([true, false]).long().toArray()).toEqual([1, 0]);
    const i = tensor([1], { dtype: 'int32' });
    expect(i.long()).toBe(i);
    expect(tensor([2.5]).to('int64').toArray()).toEqual([2]);
  });
  it('a value outside int32 raises Int64RangeError naming its index', () => {
    expect(() => tensor([[1, 2], [3, 2 ** 40]], { dtype: 'int64' })).toThrow(Int64RangeError);
    expect(() => tensor([[1, 2], [3, 2 ** 40]], { dtype: 'int64' })).toThrow(/value 1099511627776 at index \[1, 1\] does not fit int32/);
    expect(() => tensor([0, 3e9]).long()).toThrow(/long\(\): value 3000000000 at index \[1\]/);
    expect(() => tensor([NaN]).to('long')).toThrow(Int64RangeError);
    expect(() => full([1], -(2 ** 33), { dtype: 'long' })).toThrow(Int64RangeError);
    expect(() => tensor([1], { dtype: 'float64' as 'float32' })).toThrow(DTypeError);
    expect(new Int64RangeError('x').code).toBe('ERR_INT64_RANGE');
  });
});

describe('in-place ops', () => {
  it('change the tensor itself and return it', () => {
    const x = tensor([4, 9]);
    const y = x.sqrt_();
    expect(y).toBe(x);
    expect(x.toArray()).toEqual([2, 3]);
    expect(x.neg_().abs_().exp_().log_().toArray()).toEqual([2, 3]);
  });
  it('refuse a leaf that requires grad outside noGrad, and a dtype change', () => {
    const w = ones([2]).requiresGrad_();
    expect(() => w.sqrt_()).toThrow(AutogradError);
    noGrad(() => w.addcmul_(tensor([1, 2]), tensor([3, 4]), { value: 0.5 }));
    expect(w.toArray()).toEqual([2.5, 5]);
    expect(() => tensor([4], { dtype: 'int32' }).sqrt_()).toThrow(DTypeError);
    expect(() => tensor([1], { dtype: 'int32' }).addcdiv(tensor([1], { dtype: 'int32' }), tensor([2], { dtype: 'int32' }))).toThrow(/integer division/);
  });
  it('release their temporaries', () => {
    const x = randn([3, 4]).keep();
    const run = () => scope(() => {
      x.mul_(0.9).addcmul_(x, x, { value: 0.1 }).abs_().sqrt_().lerp_(x, 0.5).addcdiv_(x, x.abs().add(1), { value: -0.1 });
      return undefined;
    });
    run();
    const before = core.memory().numTensors;
    run();
    expect(core.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('grad mode as a using declaration', () => {
  it('using _ = noGrad() turns recording off until the block ends, also when it throws', () => {
    const w = ones([2]).requiresGrad_();
    {
      using _ = noGrad();
      expect(isGradEnabled()).toBe(false);
      expect(w.mul(2).requiresGrad).toBe(false);
      {
        using _g = enableGrad();
        expect(w.mul(2).requiresGrad).toBe(true);
      }
      expect(isGradEnabled()).toBe(false);
    }
    expect(isGradEnabled()).toBe(true);
    expect(() => {
      using _ = noGrad();
      throw new Error('boom');
    }).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });
  it('the callback forms still return the value; setGradEnabled sets the mode now', () => {
    expect(noGrad(() => 3)).toBe(3);
    const m = setGradEnabled(false);
    expect(isGradEnabled()).toBe(false);
    m[Symbol.dispose]();
    m[Symbol.dispose](); // idempotent
    expect(isGradEnabled()).toBe(true);
    expect(typeof Symbol.dispose).toBe('symbol');
  });
});
