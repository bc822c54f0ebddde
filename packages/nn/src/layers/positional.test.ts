/** PyTorch's positional constructor arguments, beside the options object. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, DeviceError, randn, tensor } from '@duet/core';
import { nn } from '../index.js';

describe('positional constructor arguments in PyTorch order', () => {
  it('Conv1d/Conv2d: stride, padding, ... as in `nn.Conv2d(1, 32, 3, 1)` and `nn.Conv2d(3, 64, 3, 1, 1)`', () => {
    const c = new nn.Conv2d(1, 32, 3, 1);
    expect(c.stride).toEqual([1, 1]);
    const d = new nn.Conv2d(3, 64, 3, 2, 1, { bias: false });
    expect([d.stride, d.padding, d.bias]).toEqual([[2, 2], [1, 1], null]);
    expect(d.forward(randn([1, 3, 8, 8])).shape).toEqual([1, 64, 4, 4]);
    expect(new nn.Conv2d(3, 6, 3, 1, 0, 1, 3).groups).toBe(3);
    expect(new nn.Conv1d(4, 8, 3, 2).stride).toEqual([2]);
    expect(new nn.Conv2d(1, 8, 3, { padding: 1 }).padding).toEqual([1, 1]); // the options form still works
  });
  it("ConvTranspose2d: DCGAN's `nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False)`", () => {
    const c = new nn.ConvTranspose2d(64, 32, 4, 2, 1, { bias: false });
    expect([c.stride, c.padding, c.bias]).toEqual([[2, 2], [1, 1], null]);
    expect(c.forward(randn([1, 64, 4, 4])).shape).toEqual([1, 32, 8, 8]);
    expect(new nn.ConvTranspose2d(8, 4, 3, 2, 1, 1).outputPadding).toEqual([1, 1]);
  });
  it('LSTM/GRU/RNN: numLayers third, as in `nn.LSTM(ninp, nhid, nlayers, dropout=dropout)`', () => {
    const l = new nn.LSTM(5, 6, 2, { dropout: 0.5 });
    expect([l.numLayers, l.dropout]).toEqual([2, 0.5]);
    expect(Object.keys(l.stateDict())).toContain('weight_ih_l1');
    const g = new nn.GRU(5, 6, 3, true, true);
    expect([g.numLayers, g.bias, g.batchFirst]).toEqual([3, true, true]);
    const r = new nn.RNN(5, 6, 2, 'relu');
    expect([r.numLayers, r.nonlinearity]).toEqual([2, 'relu']);
    expect(new nn.LSTM(5, 6, { numLayers: 2, batchFirst: true }).batchFirst).toBe(true);
  });
  it('pools: `nn.MaxPool2d(2, 2)`, `nn.AvgPool2d(3, 2, 1)`', () => {
    expect(new nn.MaxPool2d(2, 2).forward(randn([1, 1, 6, 6])).shape).toEqual([1, 1, 3, 3]);
    expect(new nn.MaxPool2d(3, 1).forward(randn([1, 1, 6, 6])).shape).toEqual([1, 1, 4, 4]);
    expect(new nn.AvgPool2d(3, 2, 1).forward(randn([1, 1, 6, 6])).shape).toEqual([1, 1, 3, 3]);
    expect(new nn.MaxPool1d(2, 1).forward(randn([1, 1, 6])).shape).toEqual([1, 1, 5]);
    expect(new nn.AvgPool1d(2, 2).forward(randn([1, 1, 6])).shape).toEqual([1, 1, 3]);
  });
  it('Linear(in, out, bias), Embedding(num, dim, paddingIdx), Flatten(startDim, endDim), BatchNorm2d(n, eps, momentum)', () => {
    expect(new nn.Linear(4, 2, false).bias).toBeNull();
    const e = new nn.Embedding(10, 3, 0);
    expect(e.paddingIdx).toBe(0);
    expect(e.weight.select(0, 0).abs().sum().item()).toBe(0);
    expect(new nn.Flatten(0).forward(randn([2, 3, 4])).shape).toEqual([24]);
    expect(new nn.Flatten(1, 2).forward(randn([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
    const bn = new nn.BatchNorm2d(8, 1e-3, 0.01);
    expect([bn.eps, bn.momentum]).toEqual([1e-3, 0.01]);
  });
  it("TransformerEncoderLayer(dModel, nhead, dHid, dropout) as in PyTorch's tutorial", () => {
    const layer = new nn.TransformerEncoderLayer(16, 4, 32, 0.0, 'gelu', { batchFirst: true });
    expect(layer.stateDict()['linear1.weight']!.shape).toEqual([32, 16]);
    expect(layer.forward(randn([2, 5, 16])).shape).toEqual([2, 5, 16]);
    expect(new nn.TransformerDecoderLayer(16, 4, 24).stateDict()['linear1.weight']!.shape).toEqual([24, 16]);
  });
  it('typed errors: a value given twice, options not last, too many positionals', () => {
    expect(() => new nn.Conv2d(1, 2, 3, 2, { stride: 1 })).toThrow(/stride given twice: 2 as a positional argument and 1 in the options/);
    expect(() => new nn.MaxPool2d(2, 2, 0, 1, 5 as unknown as { ceilMode: boolean })).toThrow(ArgumentError);
    expect(() => new nn.MaxPool2d(2, 2, 0, 1, 5 as unknown as { ceilMode: boolean })).toThrow(/at most 3 optional positional argument\(s\) \(stride, padding, dilation\)/);
    const call = nn.Linear as unknown as new (...a: unknown[]) => unknown;
    expect(() => new call(2, 3, { bias: false }, true)).toThrow(/options object must come last/);
  });
});

describe('Module.to / cpu / cuda', () => {
  it("accepts 'cpu' and float32 and returns the module; CUDA on the CPU engine is a DeviceError", () => {
    const m = new nn.Linear(2, 2);
    expect(m.to('cpu')).toBe(m);
    expect(m.cpu()).toBe(m);
    expect(m.to({ device: 'cpu', dtype: 'float32' })).toBe(m);
    expect(m.to('float32')).toBe(m);
    expect(() => m.cuda()).toThrow(DeviceError);
    expect(() => m.to('cuda:0')).toThrow(/Linear.to\("cuda:0"\): CUDA is not available/);
    expect(() => m.to('int32')).toThrow(DTypeError);
    expect(() => m.to('tpu' as 'cpu')).toThrow(/expected a device/);
    expect(m.forward(tensor([[1, 2]])).shape).toEqual([1, 2]);
  });
});
