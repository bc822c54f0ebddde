/**
 * What `model(x)` costs (callable modules, docs/nn.md "Calling a module"):
 * - the call itself: a module whose forward does no work, `m(x)` vs
 *   `m.forward(x)`, and a plain class instance's `p.forward(x)` (what a
 *   non-callable object costs), in ns per call;
 * - in context: the seed MLP's forward (784-128-10, batch 32), `model(x)` vs
 *   `model.forward(x)`, in us per call;
 * - constructing a module vs a plain object.
 * Medians of interleaved rounds.
 *
 *   pnpm exec tsx --conditions=source bench/nn/module_call.ts
 */
import { randn, scope, type Tensor } from '@duet/core';
import { nn } from '@duet/nn';

class Nop extends nn.Module {
  k = 1;
  forward(x: number): number {
    return x + this.k;
  }
}
class Plain {
  k = 1;
  forward(x: number): number {
    return x + this.k;
  }
}
class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function rounds(fns: Record<string, () => number>, rounds: number): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(fns)) times[k]!.push(fn());
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}
const perCall = (n: number, body: (i: number) => number) => () => {
  let s = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) s += body(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (s === -1) console.log(s);
  return ns;
};

const nop = new Nop();
const plain = new Plain();
const N = 2_000_000;
const call = rounds({
  'plain object p.forward(x)': perCall(N, (i) => plain.forward(i)),
  'module m.forward(x)': perCall(N, (i) => nop.forward(i)),
  ...(typeof nop === 'function' ? { 'module m(x)': perCall(N, (i) => nop(i)) } : {}),
}, 15);
console.log('call overhead, ns per call (median of 15 rounds of 2M calls):');
for (const [k, v] of Object.entries(call)) console.log(`  ${k.padEnd(28)} ${v.toFixed(1)}`);

const M = 20_000;
const make = rounds({
  'new Plain()': perCall(M, () => new Plain().k),
  'new Nop() (module)': perCall(M, () => new Nop().k),
}, 9);
console.log('construction, ns each:');
for (const [k, v] of Object.entries(make)) console.log(`  ${k.padEnd(28)} ${v.toFixed(0)}`);

const model = new MLP();
const x = randn([32, 784]).keep();
const K = 300;
const mlp = rounds({
  'model.forward(x)': () => scope(() => perCall(K, () => model.forward(x).numel())() / 1000),
  ...(typeof model === 'function' ? { 'model(x)': () => scope(() => perCall(K, () => (model(x) as Tensor).numel())() / 1000) } : {}),
}, 15);
console.log('seed MLP forward, batch 32, us per call (median of 15 rounds of 300):');
for (const [k, v] of Object.entries(mlp)) console.log(`  ${k.padEnd(28)} ${v.toFixed(1)}`);
