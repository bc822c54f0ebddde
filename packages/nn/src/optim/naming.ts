/**
 * State dicts (optimizers and schedulers) use PyTorch's names
 * (`weight_decay`, `exp_avg_sq`, `last_epoch`), so they have PyTorch's
 * structure key for key; in memory, options and state use camelCase.
 */

const SPECIAL_TO_PY: Record<string, string> = { tMax: 'T_max', t0: 'T_0', tMult: 'T_mult' };
const SPECIAL_FROM_PY: Record<string, string> = Object.fromEntries(Object.entries(SPECIAL_TO_PY).map(([k, v]) => [v, k]));

/** `weightDecay` -> `weight_decay`, `_stepCount` -> `_step_count`. */
export function toPyName(key: string): string {
  const special = SPECIAL_TO_PY[key];
  if (special !== undefined) return special;
  const lead = /^_*/.exec(key)![0];
  return lead + key.slice(lead.length).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `weight_decay` -> `weightDecay`; camelCase keys pass through unchanged. */
export function fromPyName(key: string): string {
  const special = SPECIAL_FROM_PY[key];
  if (special !== undefined) return special;
  const lead = /^_*/.exec(key)![0];
  return lead + key.slice(lead.length).replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
