/**
 * nn.Module's call path against PyTorch (nn_hooks.json, written by
 * gen_nn_hooks.py): the order hooks run in (global and per-module, prepend,
 * withKwargs, alwaysCall, removal, nesting in a Sequential, an error in
 * forward) and how their results replace arguments and outputs. Duet's
 * trailing options object stands for PyTorch's keyword arguments.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '@duet/core';
import { nn } from '@duet/nn';
import { expectNoLeaks } from '../helpers.js';

interface Scenario {
  log: string[];
  output: number[];
}
const golden = JSON.parse(readFileSync(new URL('./nn_hooks.json', import.meta.url), 'utf8')) as { torch_version: string; hooks: Record<string, Scenario> };

/** forward(x, { scale = 1 }) = x * scale + 1; throws 'boom' when x.sum() < -100 (gen_nn_hooks.py's Scale). */
class Scale extends nn.Module {
  forward(x: Tensor, options: { scale?: number } = {}): Tensor {
    if (x.sum().item() < -100) throw new Error('boom');
    return x.mul(options.scale ?? 1).add(1);
  }
}
const X = [1, 2, 3];
const kw = (o: Record<string, unknown>) => Object.keys(o).sort().map((k) => `${k}=${Number(o[k]).toFixed(1)}`).join(',');

const SCENARIOS: Record<string, () => { log: string[]; out: Tensor | null }> = {
  order() {
    const log: string[] = [];
    const m = new Scale();
    const hs = [nn.registerModuleForwardPreHook(() => void log.push('global_pre')), nn.registerModuleForwardHook(() => void log.push('global_post'))];
    m.registerForwardPreHook((_m, args: Tensor[]) => {
      log.push('pre_a');
      return [args[0]!.add(1)];
    });
    m.registerForwardPreHook((_m, args: Tensor[]) => {
      log.push('pre_b');
      return args[0]!.mul(2);
    }, { prepend: true });
    m.registerForwardPreHook((_m, args, kwargs) => {
      log.push(`pre_kw:${kw(kwargs)}`);
      return [args, { ...kwargs, scale: 3 }];
    }, { withKwargs: true });
    m.registerForwardHook((_m, _a, out: Tensor) => {
      log.push('post_d');
      return out.add(10);
    });
    m.registerForwardHook(() => void log.push('post_e'), { prepend: true });
    m.registerForwardHook((_m, _a, kwargs, out: Tensor) => {
      log.push(`post_kw:${kw(kwargs)}`);
      return out.mul(kwargs.scale as number);
    }, { withKwargs: true });
    const out = m(tensor(X), { scale: 2 }) as Tensor;
    for (const h of hs) h.remove();
    return { log, out };
  },
  no_kwargs() {
    const log: string[] = [];
    const m = new Scale();
    m.registerForwardPreHook((_m, args, kwargs) => {
      log.push(`pre_kw:${Object.keys(kwargs).sort().join(',')}`);
      return [args, { scale: 5 }];
    }, { withKwargs: true });
    m.registerForwardHook((_m, _a, kwargs) => void log.push(`post_kw:${kw(kwargs)}`), { withKwargs: true });
    return { log, out: m(tensor(X)) as Tensor };
  },
  remove() {
    const log: string[] = [];
    const m = new Scale();
    const h1 = m.registerForwardPreHook(() => void log.push('pre1'));
    const h2 = m.registerForwardHook(() => void log.push('post1'));
    m.registerForwardHook(() => void log.push('post2'));
    m(tensor(X));
    log.push('|');
    h1.remove();
    h2.remove();
    h2.remove();
    const out = m(tensor(X)) as Tensor;
    log.push('|');
    m.forward(tensor(X));
    return { log, out };
  },
  always_call() {
    const log: string[] = [];
    const m = new Scale();
    const g = nn.registerModuleForwardHook(() => void log.push('global_always'), { alwaysCall: true });
    m.registerForwardHook(() => void log.push('post_plain'));
    m.registerForwardHook((_m, _a, out) => void log.push(`post_always:${out === undefined ? 'none' : 'out'}`), { alwaysCall: true });
    let err: string | null = null;
    try {
      m(tensor([-1000, 0, 0]));
    } catch (e) {
      err = (e as Error).message;
    }
    g.remove();
    log.push(`error:${err}`);
    return { log, out: null };
  },
  sequential() {
    const log: string[] = [];
    const a = new Scale();
    const b = new Scale();
    const seq = new nn.Sequential(a, b);
    seq.registerForwardPreHook(() => void log.push('seq_pre'));
    seq.registerForwardHook(() => void log.push('seq_post'));
    a.registerForwardPreHook(() => void log.push('a_pre'));
    a.registerForwardHook(() => void log.push('a_post'));
    b.registerForwardPreHook((_m, args: Tensor[]) => {
      log.push('b_pre');
      return [args[0]!.mul(0)];
    });
    b.registerForwardHook(() => void log.push('b_post'));
    return { log, out: seq(tensor(X)) as Tensor };
  },
};

describe(`nn.Module hooks against PyTorch ${golden.torch_version}`, () => {
  it('has a Duet scenario for every fixture', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(golden.hooks).sort());
  });
  for (const [name, want] of Object.entries(golden.hooks)) {
    it(name, () => {
      const { log, out } = SCENARIOS[name]!();
      expect(log).toEqual(want.log);
      expect(out === null ? [] : Array.from(out.dataSync())).toEqual(want.output);
    });
    it(`${name}: no native tensor leaks`, () => {
      expectNoLeaks(() => void SCENARIOS[name]!());
    });
  }
});
