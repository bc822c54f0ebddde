/**
 * The golden cases of core.json (written by gen_core.py from PyTorch).
 * `runCase` builds a case's inputs, runs its op (core_ops.ts, same name), and
 * backpropagates the stored upstream gradients.
 */
import { readFileSync } from 'node:fs';
import { Tensor, tensor, type DType } from '@duet/core';
import { OPS, type In } from './core_ops.js';

export interface GoldenTensor {
  shape: number[];
  dtype: DType;
  /** Row-major; non-finite floats as the strings 'NaN', 'Infinity', '-Infinity'. */
  values: (number | boolean | string)[];
}
export interface GoldenCase {
  name: string;
  inputs: Record<string, GoldenTensor & { requiresGrad: boolean }>;
  /** The op returns a list (max with dim, split, chunk, ...). */
  multi: boolean;
  outputs: GoldenTensor[];
  /** Per output: the upstream gradient's flat values, or null when the output has no gradient. */
  upstream: (number[] | null)[];
  /** Per input that requires grad: d(sum_i out_i * upstream_i) / d(input); null if unused. */
  grads: Record<string, GoldenTensor | null>;
  atol?: number;
  rtol?: number;
  gradAtol?: number;
  gradRtol?: number;
}
export interface Golden {
  torch: string;
  cases: GoldenCase[];
}

export const golden: Golden = JSON.parse(readFileSync(new URL('./core.json', import.meta.url), 'utf8'));

/** A Duet tensor holding a golden tensor's values. */
export function fromGolden(g: GoldenTensor, requiresGrad = false): Tensor {
  const { shape, dtype, values } = g;
  if (dtype === 'float32') return tensor(Float32Array.from(values, Number), { shape, requiresGrad });
  if (dtype === 'int32') return tensor(Int32Array.from(values, Number), { shape });
  return tensor(values as boolean[], { shape, dtype: 'bool' });
}

export interface CaseRun {
  inputs: Record<string, Tensor>;
  outputs: Tensor[];
}

/**
 * Build the inputs, run the op and (unless `backward: false`) backpropagate:
 * `out.backward(upstream)` for one differentiable output,
 * `sum_i (out_i * upstream_i).sum()` for several. Run it inside `scope()`;
 * the inputs that require grad are the caller's to dispose.
 */
export function runCase(c: GoldenCase, options: { backward?: boolean; ops?: Record<string, (i: In) => Tensor | Tensor[]> } = {}): CaseRun {
  const op = (options.ops ?? OPS)[c.name];
  if (op === undefined) throw new Error(`no Duet op for golden case '${c.name}' in core_ops.ts`);
  const inputs: Record<string, Tensor> = {};
  for (const [k, g] of Object.entries(c.inputs)) inputs[k] = fromGolden(g, g.requiresGrad);
  const named = new Proxy(inputs, {
    get: (o, k: string) => {
      if (!(k in o)) throw new Error(`golden case '${c.name}' has no input '${k}'`);
      return o[k];
    },
  }) as unknown as In;
  const r = op(named);
  const outputs = Array.isArray(r) ? r : [r];
  if (options.backward === false) return { inputs, outputs };
  const terms: [Tensor, Tensor][] = [];
  outputs.forEach((o, i) => {
    const u = c.upstream[i];
    if (u != null) terms.push([o, tensor(Float32Array.from(u), { shape: [...o.shape] })]);
  });
  if (terms.length === 1) terms[0]![0].backward(terms[0]![1]);
  else if (terms.length > 1) terms.map(([o, u]) => o.mul(u).sum()).reduce((p, q) => p.add(q)).backward();
  return { inputs, outputs };
}
