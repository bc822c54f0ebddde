/** `model(x)`: modules are callable (PyTorch's `__call__`), and still objects of their class. */
import { describe, expect, it } from 'vitest';
import { Tensor, randn, tensor } from '@duet/core';
import { nn } from './index.js';
import { Module } from './module.js';

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  fc2 = new nn.Linear(8, 2);
  // Fields named like a function's own properties work; TypeScript sees Function's `name`/`length` on a callable type, hence `override`.
  override name = 'net';
  override length = 3;
  forward(x: Tensor): Tensor {
    return this.fc2(this.fc1(x).relu());
  }
}

describe('callable modules', () => {
  it('model(x) runs forward; instanceof, class fields and methods work as before', () => {
    const net = new Net();
    const x = randn([3, 4]);
    expect(net(x).toArray()).toEqual(net.forward(x).toArray());
    expect(net instanceof Net && net instanceof nn.Module && net instanceof Module).toBe(true);
    expect(net.constructor).toBe(Net);
    expect([net.name, net.length]).toEqual(['net', 3]);
    expect(Object.keys(net.stateDict())).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(net.fc1 instanceof nn.Linear).toBe(true);
    expect(net.train()).toBe(net);
    expect(String(net)).toMatch(/^Net\(\n {2}\(fc1\): Linear\(in_features=4, out_features=8, bias=True\)/);
  });

  it('runs forward hooks, like PyTorch __call__', () => {
    const lin = new nn.Linear(2, 2);
    const seen: number[][] = [];
    const h = lin.registerForwardHook((_m, _in, out) => {
      seen.push((out as Tensor).shape as number[]);
    });
    lin(tensor([[1, 2]]));
    h.remove();
    lin(tensor([[1, 2]]));
    expect(seen).toEqual([[1, 2]]);
  });

  it('containers and built-in layers are callable; Sequential.length is its own', () => {
    const seq = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 1));
    expect(seq.length).toBe(3);
    expect(seq(randn([5, 4])).shape).toEqual([5, 1]);
    const lstm = new nn.LSTM(3, 4, 2);
    const [out, [h]] = lstm(randn([6, 2, 3])) as [Tensor, [Tensor, Tensor]];
    expect([out.shape, h.shape]).toEqual([[6, 2, 4], [2, 2, 4]]);
  });

  it('deepCopy gives an independent callable copy', () => {
    const net = new Net();
    const copy = net.deepCopy();
    expect(typeof copy).toBe('function');
    expect(copy instanceof Net).toBe(true);
    expect(copy.fc1).not.toBe(net.fc1);
    const x = randn([2, 4]);
    expect(copy(x).toArray()).toEqual(net(x).toArray());
  });

  it('a module without forward says so when called', () => {
    class Empty extends nn.Module {}
    expect(() => new Empty()(1)).toThrow(/missing the required "forward" function/);
  });
});
