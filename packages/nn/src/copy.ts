/** Deep copies of the values a module holds (`Module.deepCopy`). */
import { Tensor, noGrad } from '@duet/core';
import { Parameter } from './parameter.js';

/** deepCopy's rule per value: modules and tensors are copied (once each), arrays and plain objects walked, the rest shared. */
export function copyValue(v: unknown, memo: Map<object, unknown>, copyModule: (m: object) => unknown): unknown {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v; // modules are callable: functions
  if (memo.has(v)) return memo.get(v);
  let out: unknown;
  const m = copyModule(v);
  if (m !== undefined) return m;
  if (v instanceof Parameter) out = new Parameter(v, v.requiresGrad);
  else if (v instanceof Tensor) out = noGrad(() => v.clone()).keep();
  else if (Array.isArray(v)) {
    const a: unknown[] = [];
    memo.set(v, a);
    for (const x of v) a.push(copyValue(x, memo, copyModule));
    return a;
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    memo.set(v, o);
    for (const [k, x] of Object.entries(v)) o[k] = copyValue(x, memo, copyModule);
    return o;
  } else out = v;
  memo.set(v, out);
  return out;
}
