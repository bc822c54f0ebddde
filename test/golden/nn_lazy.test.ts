/**
 * Lazy layers against PyTorch (the `lazy` and `lazy_load` parts of
 * nn_hooks.json, written by gen_nn_hooks.py): before and after the first
 * call, the class, the repr, the state-dict keys and shapes (null =
 * uninitialised) and the output shape; loading a state dict into an
 * uninitialised LazyLinear. Every layer also materialises without leaking:
 * the placeholders are released as the parameters are made.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, memory, randn, scope, type Tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';

interface Snapshot {
  class: string;
  repr: string;
  state_dict: [string, number[] | null][];
  output_shape?: number[];
  equal?: boolean;
}
interface LazyCase {
  name: string;
  input_shape: number[];
  before: Snapshot;
  after: Snapshot;
}
const golden = JSON.parse(readFileSync(new URL('./nn_hooks.json', import.meta.url), 'utf8')) as {
  torch_version: string;
  lazy: LazyCase[];
  lazy_load: { loaded: Snapshot; called: Snapshot };
};

const MAKE: Record<string, () => nn.Module> = {
  LazyLinear: () => new nn.LazyLinear(10),
  LazyLinear_nobias_3d: () => new nn.LazyLinear(4, false),
  LazyConv1d: () => new nn.LazyConv1d(8, 3, { padding: 1 }),
  LazyConv1d_unbatched: () => new nn.LazyConv1d(4, 3),
  LazyConv2d: () => new nn.LazyConv2d(6, 3, { stride: 2 }),
  LazyConv2d_groups: () => new nn.LazyConv2d(4, 1, { groups: 2, bias: false }),
  LazyConvTranspose2d: () => new nn.LazyConvTranspose2d(5, 2, { stride: 2 }),
  LazyBatchNorm1d: () => new nn.LazyBatchNorm1d(),
  LazyBatchNorm1d_3d: () => new nn.LazyBatchNorm1d({ affine: false }),
  LazyBatchNorm2d: () => new nn.LazyBatchNorm2d({ momentum: 0.2 }),
};
const REGULAR: Record<string, abstract new (...a: any[]) => nn.Module> = {
  Linear: nn.Linear, Conv1d: nn.Conv1d, Conv2d: nn.Conv2d, ConvTranspose2d: nn.ConvTranspose2d, BatchNorm1d: nn.BatchNorm1d, BatchNorm2d: nn.BatchNorm2d,
};

function snapshot(m: nn.Module): Snapshot {
  return {
    class: m.constructor.name,
    repr: m.toString(),
    state_dict: Object.entries(m.stateDict()).map(([k, t]) => [k, nn.isLazy(t) ? null : [...t.shape]]),
  };
}

describe(`lazy layers against PyTorch ${golden.torch_version}`, () => {
  it('has a Duet layer for every fixture', () => {
    expect(Object.keys(MAKE).sort()).toEqual(golden.lazy.map((c) => c.name).sort());
  });
  for (const c of golden.lazy) {
    it(`${c.name}: class, repr and state dict before and after the first call`, () => {
      const m = MAKE[c.name]!();
      expect(snapshot(m)).toEqual(c.before);
      const lazyClass = m.constructor;
      const out = m(randn(c.input_shape)) as Tensor;
      expect({ ...snapshot(m), output_shape: [...out.shape] }).toEqual(c.after);
      expect(m instanceof REGULAR[c.after.class]!).toBe(true);
      expect(m instanceof lazyClass).toBe(false);
      expect(m.parameters().every((p) => !nn.isLazy(p) && p.requiresGrad)).toBe(true);
      // Later calls are plain calls of the regular layer.
      expect((m(randn(c.input_shape)) as Tensor).shape).toEqual(c.after.output_shape);
    });
    it(`${c.name}: materialising leaks nothing (each placeholder is released as its parameter is made)`, () => {
      // A twin materialised by loading the state dict: its first call makes only the kernels' cached
      // constants and layout conversions, which the lazy layer's first call must match exactly.
      const m = MAKE[c.name]!();
      const twin = MAKE[c.name]!();
      const x = randn(c.input_shape);
      const y = randn(c.input_shape);
      const firstCall = (mod: nn.Module, input: Tensor): number => {
        const before = memory().numTensors;
        scope(() => void mod(input));
        const delta = memory().numTensors - before;
        scope(() => void mod(input));
        expect(memory().numTensors - before).toBe(delta); // later calls are flat
        return delta;
      };
      const lazyDelta = firstCall(m, x);
      const before = memory().numTensors;
      twin.loadStateDict(m.stateDict());
      expect(memory().numTensors).toBe(before); // placeholders released one for one
      expect(lazyDelta).toBe(firstCall(twin, y));
    });
  }

  it('loadStateDict into an uninitialised LazyLinear makes its parameters with the loaded shapes; the class changes at the first call', () => {
    const src = new nn.Linear(7, 10);
    const m = new nn.LazyLinear(10);
    m.loadStateDict(src.stateDict());
    const equal = () => Object.values(m.stateDict()).every((t, i) => JSON.stringify(t.toArray()) === JSON.stringify(Object.values(src.stateDict())[i]!.toArray()));
    expect({ ...snapshot(m), equal: equal() }).toEqual(golden.lazy_load.loaded);
    const out = m(randn([3, 7])) as Tensor;
    expect({ ...snapshot(m), output_shape: [...out.shape], equal: equal() }).toEqual(golden.lazy_load.called);
  });

  it('model.forward(x) materialises too; hooks see the call; an optimizer refuses uninitialised parameters', () => {
    const m = new nn.LazyLinear(3);
    expect(() => new optim.SGD(m.parameters(), { lr: 0.1 })).toThrow(ArgumentError);
    expect(() => new optim.SGD(m.parameters(), { lr: 0.1 })).toThrow(/UninitializedParameter.*dry run/);
    const seen: number[][] = [];
    m.registerForwardPreHook((mod: nn.Linear) => void seen.push([...mod.weight.shape]));
    m(randn([2, 5]));
    expect(seen).toEqual([[0]]); // pre-hooks run before the lazy module infers its parameters
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    expect(opt.paramGroups[0]!.params.map((p) => p.shape)).toEqual([[3, 5], [3]]);
    const f = new nn.LazyConv2d(2, 1);
    expect(f.forward(randn([1, 4, 2, 2])).shape).toEqual([1, 2, 2, 2]);
    expect(f instanceof nn.LazyConv2d).toBe(false);
  });

  it('a wrong input rank or a channel count not divisible by groups is a typed error naming what it received', () => {
    expect(() => new nn.LazyConv2d(4, 3)(randn([5, 5]))).toThrow(/Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got input of size: \[5, 5\]/);
    expect(() => new nn.LazyConv2d(4, 1, { groups: 2 })(randn([1, 3, 2, 2]))).toThrow(/in_channels must be divisible by groups.*3.*2/);
    expect(() => new nn.LazyBatchNorm2d()(randn([2, 3]))).toThrow(/expected 4D input \(got 2D input/);
  });

  it('inside a model: a dry run materialises every lazy layer, in call order', () => {
    class Net extends nn.Module {
      conv = new nn.LazyConv2d(4, 3, { padding: 1 });
      bn = new nn.LazyBatchNorm2d();
      fc = new nn.LazyLinear(2);
      forward(x: Tensor): Tensor {
        return this.fc(this.bn(this.conv(x)).relu().flatten(1));
      }
    }
    const net = new Net();
    expect(net(randn([2, 3, 5, 5])).shape).toEqual([2, 2]);
    expect(Object.entries(net.stateDict()).map(([k, t]) => [k, t.shape])).toEqual([
      ['conv.weight', [4, 3, 3, 3]], ['conv.bias', [4]], ['bn.weight', [4]], ['bn.bias', [4]], ['bn.running_mean', [4]], ['bn.running_var', [4]], ['bn.num_batches_tracked', []],
      ['fc.weight', [2, 100]], ['fc.bias', [2]],
    ]);
    const copy = net.deepCopy();
    expect(copy(randn([1, 3, 5, 5])).shape).toEqual([1, 2]);
  });
});
