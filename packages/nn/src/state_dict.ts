/** Loading a state dict into a module's tensors with PyTorch's checks and error text. */
import { ArgumentError, DuetError, Tensor, noGrad } from '@duet/core';

/** Result of a non-strict `loadStateDict`. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Thrown by `loadStateDict` with PyTorch's message (missing, unexpected and mis-shaped keys). */
export class StateDictError extends DuetError {
  constructor(message: string) {
    super('ERR_STATE_DICT', message);
  }
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v} (${JSON.stringify(v)})`;
}

/**
 * Check `stateDict` against the module's `own` entries, then copy every
 * value in place (nothing is copied when a check fails).
 */
export function loadInto(className: string, own: [string, Tensor][], stateDict: Record<string, Tensor> | Map<string, Tensor>, strict: boolean): LoadStateDictResult {
  if (stateDict instanceof Map) stateDict = Object.fromEntries(stateDict) as Record<string, Tensor>;
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict) || stateDict instanceof Tensor) {
    throw new ArgumentError(
      `loadStateDict(): expected a state dict object (name -> Tensor, as stateDict() or load() return), received ${describe(stateDict)}.`,
    );
  }
  const ownKeys = new Set(own.map(([k]) => k));
  const missingKeys: string[] = [];
  const mismatch: string[] = [];
  for (const [k, t] of own) {
    const src = stateDict[k];
    if (src === undefined) missingKeys.push(k);
    else if (!(src instanceof Tensor)) mismatch.push(`While copying the parameter named "${k}", expected a Tensor from checkpoint, received ${typeof src}.`);
    else if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
      mismatch.push(`size mismatch for ${k}: copying a param with shape ${shapeStr(src.shape)} from checkpoint, the shape in current model is ${shapeStr(t.shape)}.`);
    }
  }
  const unexpectedKeys = Object.keys(stateDict).filter((k) => !ownKeys.has(k));
  const errors: string[] = [];
  if (strict && missingKeys.length > 0) errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
  if (strict && unexpectedKeys.length > 0) errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
  errors.push(...mismatch);
  if (errors.length > 0) throw new StateDictError(`Error(s) in loading state_dict for ${className}:\n\t${errors.join('\n\t')}`);
  noGrad(() => {
    for (const [k, t] of own) {
      const src = stateDict[k];
      if (src === undefined || src === t) continue;
      t.copy_(src); // copies; `src` stays usable
    }
  });
  return { missingKeys, unexpectedKeys };
}
