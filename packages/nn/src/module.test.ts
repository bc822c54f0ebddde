import { describe, expect, it } from 'vitest';
import { ArgumentError, Tensor, ones, randn, tensor, zeros, memory, scope } from '@duet/core';
import { nn } from './index.js';

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

class WithBuffers extends nn.Module {
  conv = new nn.Linear(3, 4);
  bn = new nn.Sequential(new nn.Linear(4, 4), new nn.ReLU());
  scale: nn.Parameter;
  constructor() {
    super();
    this.scale = new nn.Parameter(ones([4]));
    this.registerBuffer('steps', zeros([1]));
    this.registerBuffer('cache', zeros([2]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x)).mul(this.scale);
  }
}

describe('nn.Module discovery', () => {
  it('finds fields and constructor assignments in definition order', () => {
    const m = new WithBuffers();
    expect(m.namedParameters().map(([k]) => k)).toEqual(['scale', 'conv.weight', 'conv.bias', 'bn.0.weight', 'bn.0.bias']);
    expect(m.namedChildren().map(([k]) => k)).toEqual(['conv', 'bn']);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', 'conv', 'bn', 'bn.0', 'bn.1']);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(['steps', 'cache']);
    expect(m.modules()).toHaveLength(5);
    expect(m.children()[0]).toBe(m.conv);
    expect(m.parameters()[0]).toBe(m.scale);
  });

  it('builds PyTorch state-dict keys and shapes; non-persistent buffers are left out', () => {
    const sd = new MyModel().stateDict();
    expect(Object.keys(sd)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(sd['fc1.weight']!.shape).toEqual([128, 784]);
    expect(Object.keys(new WithBuffers().stateDict())).toEqual(['scale', 'steps', 'conv.weight', 'conv.bias', 'bn.0.weight', 'bn.0.bias']);
  });

  it('counts parameters once even when shared', () => {
    const m = new MyModel();
    expect(m.numParameters()).toBe(784 * 128 + 128 + 128 * 10 + 10);
    const shared = new nn.Linear(2, 2);
    const s = new nn.Sequential(shared, shared);
    expect(s.parameters()).toHaveLength(2);
    expect(Object.keys(s.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });

  it('registerParameter / addModule / getters by dotted path', () => {
    const m = new nn.Module();
    m.registerParameter('w', new nn.Parameter(ones([2])));
    m.addModule('sub', new nn.Linear(2, 3));
    expect(m.getParameter('w').shape).toEqual([2]);
    expect(m.getParameter('sub.weight').shape).toEqual([3, 2]);
    expect(m.getSubmodule('sub')).toBeInstanceOf(nn.Linear);
    expect(() => m.getBuffer('nope')).toThrow(/no buffer `nope`/);
    expect(() => m.registerBuffer('a.b', zeros([1]))).toThrow(/without "."/);
  });
});

describe('nn.Module.loadStateDict', () => {
  it('copies in place, keeping identity', () => {
    const a = new MyModel();
    const b = new MyModel();
    const w = b.fc1.weight;
    b.loadStateDict(a.stateDict());
    expect(b.fc1.weight).toBe(w);
    expect(b.fc1.weight.toArray()).toEqual(a.fc1.weight.toArray());
    expect(a.fc1.weight.isDisposed).toBe(false);
  });

  it('reports missing, unexpected and mis-shaped keys as PyTorch does', () => {
    const m = new MyModel();
    const sd: Record<string, Tensor> = { ...m.stateDict() };
    delete sd['fc1.weight'];
    sd['extra'] = zeros([1]);
    sd['fc2.bias'] = zeros([11]);
    expect(() => m.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for MyModel:\n' +
        '\tMissing key(s) in state_dict: "fc1.weight". \n' +
        '\tUnexpected key(s) in state_dict: "extra". \n' +
        '\tsize mismatch for fc2.bias: copying a param with shape [11] from checkpoint, the shape in current model is [10].',
    );
    delete sd['fc2.bias'];
    const r = m.loadStateDict(sd, { strict: false });
    expect(r).toEqual({ missingKeys: ['fc1.weight', 'fc2.bias'], unexpectedKeys: ['extra'] });
  });

  it('says a state dict object was expected when given null or another value', () => {
    const m = new nn.Linear(2, 1);
    for (const [bad, received] of [[null, 'null'], [undefined, 'undefined'], [[m.weight], 'an array'], [zeros([1]), 'a Tensor'], ['w.pt', 'a string']] as const) {
      let err: unknown;
      try {
        m.loadStateDict(bad as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArgumentError);
      expect((err as ArgumentError).code).toBe('ERR_ARGUMENT');
      expect((err as Error).message).toContain(`loadStateDict(): expected a state dict object (name -> Tensor, as stateDict() or load() return), received ${received}`);
    }
  });

  it('accepts a Map of tensors, as save() does', () => {
    const a = new nn.Linear(2, 1);
    const b = new nn.Linear(2, 1);
    b.loadStateDict(new Map(Object.entries(a.stateDict())));
    expect(b.weight.toArray()).toEqual(a.weight.toArray());
  });

  it('accepts int32 values for int buffers', () => {
    const bn = new nn.BatchNorm1d(3);
    const sd = { ...bn.stateDict(), num_batches_tracked: tensor(7, { dtype: 'int32' }) };
    bn.loadStateDict(sd);
    expect(bn.numBatchesTracked!.item()).toBe(7);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
  });
});

describe('nn.Module modes, grads, apply', () => {
  it('propagates train/eval to every descendant', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Dropout(0.5)));
    expect(m.eval()).toBe(m);
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });

  it('apply visits children first, then the module', () => {
    const m = new MyModel();
    const seen: string[] = [];
    m.apply((x) => seen.push(x.constructor.name));
    expect(seen).toEqual(['Linear', 'Linear', 'MyModel']);
  });

  it('zeroGrad sets grads to null (or zeros) and requiresGrad_ freezes', () => {
    const m = new MyModel();
    m.forward(randn([2, 784])).sum().backward();
    expect(m.fc1.weight.grad).not.toBeNull();
    m.zeroGrad({ setToNone: false });
    expect(m.fc1.bias!.grad!.toArray().every((v: number) => v === 0)).toBe(true);
    m.zeroGrad();
    expect(m.fc1.weight.grad).toBeNull();
    m.requiresGrad_(false);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(m.numParameters({ onlyTrainable: true })).toBe(0);
  });
});

describe('nn.Module hooks', () => {
  it('model(x) runs pre and post hooks around forward, model.forward(x) runs none, and remove() unregisters', () => {
    const m = new MyModel();
    const calls: string[] = [];
    const h1 = m.registerForwardPreHook((_mod, args) => {
      calls.push('pre');
      return [args[0].mul(0)];
    });
    const h2 = m.registerForwardHook((_mod, _args, out) => {
      calls.push('post');
      return out.add(1);
    });
    const x = randn([1, 784]);
    const y = m(x);
    expect(calls).toEqual(['pre', 'post']);
    m.forward(x); // forward alone runs no hook, as in PyTorch
    expect(calls).toEqual(['pre', 'post']);
    h1.remove();
    h2.remove();
    const expected = m.forward(zeros([1, 784])).add(1).toArray()[0] as number[];
    (y.toArray()[0] as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(calls).toHaveLength(2);
  });
});

describe('nn.Module call path', () => {
  it('a withKwargs pre-hook returning something else than [args, kwargs] is an ERR_ARGUMENT naming what it got', () => {
    const m = new nn.Linear(2, 2);
    m.registerForwardPreHook(() => [1, 2, 3] as never, { withKwargs: true });
    expect(() => m(randn([1, 2]))).toThrow(/must return undefined or a tuple of \(newArgs, newKwargs\).*an array of length 3/);
  });

  it('deepCopy keeps the hooks; the copy runs them on its own calls, forward stays hook-free', () => {
    const m = new nn.Linear(2, 2);
    const seen: unknown[] = [];
    m.registerForwardHook((mod) => void seen.push(mod));
    const c = m.deepCopy();
    c(randn([1, 2]));
    c.forward(randn([1, 2]));
    expect(seen).toEqual([c]);
    expect(Object.prototype.hasOwnProperty.call(c, 'forward')).toBe(true);
  });

  it('model.call(x) and model(x) are the same path', () => {
    const m = new nn.Linear(3, 1);
    const log: string[] = [];
    m.registerForwardPreHook(() => void log.push('pre'));
    const x = randn([2, 3]);
    expect(m.call(x).toArray()).toEqual(m(x).toArray());
    expect(log).toEqual(['pre', 'pre']);
  });
});

describe('nn.Module toString', () => {
  it('prints like PyTorch', () => {
    expect(new MyModel().toString()).toBe(
      'MyModel(\n  (fc1): Linear(in_features=784, out_features=128, bias=True)\n  (fc2): Linear(in_features=128, out_features=10, bias=True)\n)',
    );
    const s = new nn.Sequential(new nn.Linear(2, 3, { bias: false }), new nn.Sequential(new nn.ReLU(), new nn.Dropout(0.1)));
    expect(s.toString()).toBe(
      'Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=False)\n  (1): Sequential(\n    (0): ReLU()\n    (1): Dropout(p=0.1, inplace=False)\n  )\n)',
    );
  });
});

describe('nn.Module memory', () => {
  it('keeps parameters and buffers across step boundaries', () => {
    const m = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4));
    for (let i = 0; i < 4; i++) m.forward(randn([8, 4])).sum().backward();
    expect(m.parameters().every((p) => !p.isDisposed)).toBe(true);
    expect(m.buffers().every((b) => !b.isDisposed)).toBe(true);
  });

  it('deepCopy gives independent parameters with the same values', () => {
    const a = new MyModel();
    const b = a.deepCopy();
    expect(b).toBeInstanceOf(MyModel);
    expect(b.fc1.weight).not.toBe(a.fc1.weight);
    expect(b.fc1.weight.toArray()).toEqual(a.fc1.weight.toArray());
    expect(Object.keys(b.stateDict())).toEqual(Object.keys(a.stateDict()));
    const run = () => scope(() => void b.forward(randn([1, 784])).sum().backward());
    run();
    const n = memory().numTensors;
    run();
    expect(memory().numTensors).toBe(n);
    expect(a.fc1.weight.grad).toBeNull();
  });
});
