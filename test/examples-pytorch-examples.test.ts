/**
 * examples/pytorch-examples: PyTorch's "Learning PyTorch with Examples" and
 * the blitz's neural-network and autograd tutorials, ported line by line, run on fewer
 * iterations (STEPS). Each prints what the Python prints, in the same format;
 * the custom-Function port, whose weights start at fixed values, prints
 * PyTorch's own losses (test/golden/autograd_function.json, from
 * gen_autograd_function.py, which runs the tutorial for 300 steps). The
 * training loops leak nothing: after a few step boundaries, twice the steps
 * leave the same number of native tensors.
 */
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { markStep, memory } from '@duet/core';
import { expectClose, nest } from './helpers.js';

const golden = JSON.parse(readFileSync(new URL('./golden/autograd_function.json', import.meta.url), 'utf8'));

/** Import (run) a port with STEPS=steps; returns the lines it printed and the native tensors it left. */
let runs = 0;
async function run(name: string, steps: number): Promise<{ lines: string[]; tensors: number }> {
  process.env.STEPS = String(steps);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args)); // what console.log prints
  });
  const before = memory().numTensors - memory().numCached;
  try {
    // A new instance of the script each time (the query), on the same @duet/core.
    await import(/* @vite-ignore */ new URL(`../examples/pytorch-examples/${name}.ts?run=${runs++}`, import.meta.url).href);
  } finally {
    spy.mockRestore();
    delete process.env.STEPS;
  }
  // Boundaries release what the run left to automatic management (polynomial_tensor never calls backward()):
  // what remains is held by something nothing can release.
  for (let i = 0; i < 3; i++) markStep();
  return { lines, tensors: memory().numTensors - memory().numCached - before };
}

const NUM = String.raw`-?\d+(?:\.\d+)?(?:e[-+]\d+)?`;
/** The `t loss` lines: t as the tutorial prints them, losses falling. */
function expectLossLines(lines: string[], ts: number[]): number[] {
  expect(lines.map((l) => Number(l.split(' ')[0]))).toEqual(ts);
  const losses = lines.map((l) => {
    expect(l).toMatch(new RegExp(`^\\d+ ${NUM}$`));
    return Number(l.split(' ')[1]);
  });
  for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
  return losses;
}
const result = (terms: string[]) => new RegExp(`^Result: y = ${terms.map((t) => `${NUM}${t}`).join(' \\+ ')}$`);
const CUBIC = result(['', ' x', ' x\\^2', ' x\\^3']);

afterEach(() => vi.restoreAllMocks());

describe('examples/pytorch-examples (Learning PyTorch with Examples)', () => {
  it('polynomial_tensor: tensors only, gradients by hand', async () => {
    const { lines } = await run('polynomial_tensor', 300);
    expectLossLines(lines.slice(0, 3), [99, 199, 299]);
    expect(lines[3]).toMatch(CUBIC);
  }, 60_000);

  it('polynomial_autograd: autograd, updates under noGrad, grad = null', async () => {
    const { lines } = await run('polynomial_autograd', 300);
    expect(lines[0]).toBe('Using cpu device');
    expectLossLines(lines.slice(1, 4), [99, 199, 299]);
    expect(lines[4]).toMatch(CUBIC);
  }, 60_000);

  it(`polynomial_custom_function: prints PyTorch ${golden.torch_version}'s losses and weights`, async () => {
    const g = golden.legendre_training;
    const { lines } = await run('polynomial_custom_function', g.steps);
    const printed = lines.slice(0, -1).map((l) => l.split(' ').map(Number));
    expect(printed.map((p) => p[0])).toEqual(g.printed.map((p: number[]) => p[0]));
    printed.forEach((p, i) => expect(Math.abs(p[1]! - g.printed[i][1]) / g.printed[i][1]).toBeLessThan(1e-5));
    const m = /^Result: y = (\S+) \+ (\S+) \* P3\((\S+) \+ (\S+) x\)$/.exec(lines.at(-1)!);
    expect(m).not.toBeNull();
    m!.slice(1).map(Number).forEach((w, i) => expect(Math.abs(w - g.weights[i])).toBeLessThan(1e-5));
  }, 60_000);

  for (const name of ['polynomial_nn', 'polynomial_optim', 'polynomial_module']) {
    it(`${name}: trains and prints the fitted polynomial`, async () => {
      const { lines } = await run(name, 300);
      expectLossLines(lines.slice(0, 3), [99, 199, 299]);
      expect(lines[3]).toMatch(CUBIC);
    }, 60_000);
  }

  it('dynamic_net: random depth per pass, shared weight e, SGD with momentum', async () => {
    const { lines } = await run('dynamic_net', 4000);
    expectLossLines(lines.slice(0, 2), [1999, 3999]);
    expect(lines[2]).toMatch(result(['', ' x', ' x\\^2', ' x\\^3', ' x\\^4 \\?', ' x\\^5 \\?']));
  }, 120_000);

  it('neural_networks_tutorial: LeNet, its parameters, a backward with a given gradient, MSELoss, SGD', async () => {
    const { lines } = await run('neural_networks_tutorial', 0);
    expect(lines[0]).toBe([
      'Net(',
      '  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))',
      '  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))',
      '  (fc1): Linear(in_features=400, out_features=120, bias=True)',
      '  (fc2): Linear(in_features=120, out_features=84, bias=True)',
      '  (fc3): Linear(in_features=84, out_features=10, bias=True)',
      ')',
    ].join('\n'));
    expect(lines.slice(1, 3)).toEqual(['10', '[ 6, 1, 5, 5 ]']);
    expect(lines[3]).toMatch(/^tensor\(\[\[.*\]\], shape=\[1, 10\], dtype=float32, gradFn=<LinearBackward>\)$/);
    expect(lines[4]).toMatch(/^tensor\(\d+\.\d+, shape=\[\], dtype=float32, gradFn=<\w+>\)$/);
    // loss.gradFn and two steps back along nextFunctions[0][0] (Duet's MSELoss is a mean of squared differences: PyTorch's is one node)
    expect(lines.slice(5, 8)).toEqual(['<MeanBackward>', '<PowBackward>', '<SubBackward>']);
    expect(lines.slice(8, 10)).toEqual(['conv1.bias.grad before backward', 'null']);
    expect(lines[10]).toBe('conv1.bias.grad after backward');
    expect(lines[11]).toMatch(/^tensor\(\[.*\], shape=\[6\], dtype=float32\)$/);
  }, 60_000);

  it(`autograd_tutorial: prints PyTorch ${golden.torch_version}'s values and grad_fn names`, async () => {
    const g = golden.autograd_tutorial;
    const { lines } = await run('autograd_tutorial', 0);
    /** The values of a printed tensor, `tensor([...], shape=[...], ...)`. */
    const values = (line: string) => JSON.parse(line.slice('tensor('.length, line.indexOf(', shape=')));
    const gradFn = (line: string) => /<(\w+)>/.exec(line)![1]; // in a tensor's print, or a gradFn's own
    expect(lines[0]).toBe('tensor([[1,1],[1,1]], shape=[2, 2], dtype=float32, requiresGrad=true)');
    expectClose(values(lines[1]!), nest(g.y.values, g.y.shape) as number[][]);
    const [zLine, outLine] = lines[3]!.split(') tensor(');
    expectClose(values(`${zLine})`), nest(g.z.values, g.z.shape) as number[][]);
    expect(values(`tensor(${outLine}`)).toBeCloseTo(g.out, 5);
    // PyTorch's node names end in a version number (AddBackward0); Duet's do not.
    expect([gradFn(lines[1]!), gradFn(lines[2]!), gradFn(zLine!), gradFn(outLine!)]).toEqual([g.grad_fns[0], g.grad_fns[0], g.grad_fns[1], g.grad_fns[2]].map((n: string) => n.replace(/\d+$/, '')));
    expect(lines.slice(4, 7)).toEqual(['false', 'true', '<SumBackward>']);
    expectClose(values(lines[7]!), nest(g.x_grad.values, g.x_grad.shape) as number[][]);
    // y = x * 2^k with |y| >= 1000, and backward(gradients) gives x.grad = gradients * 2^k.
    const y = values(lines[8]!) as number[];
    const grad = values(lines[9]!) as number[];
    const k = Math.round(Math.log2(grad[1]!));
    expect(Math.hypot(...y)).toBeGreaterThanOrEqual(1000);
    expectClose(grad, [0.1, 1.0, 0.0001].map((v) => Math.fround(Math.fround(v) * 2 ** k)));
    expect(lines.slice(10)).toEqual(['true', 'true', 'false']);
  }, 60_000);

  it('the training loops keep native memory flat (twice the steps, the same tensors left)', async () => {
    for (const name of ['polynomial_tensor', 'polynomial_autograd', 'polynomial_custom_function', 'polynomial_nn', 'polynomial_optim', 'polynomial_module']) {
      const short = await run(name, 150);
      const long = await run(name, 300);
      expect(Math.abs(long.tensors - short.tensors), name).toBeLessThanOrEqual(2);
    }
  }, 120_000);
});
