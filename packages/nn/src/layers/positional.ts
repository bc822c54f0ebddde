/**
 * PyTorch's optional positional arguments, then Duet's options object:
 * `new nn.Conv2d(1, 32, 3, 1)` (stride), `new nn.ConvTranspose2d(64, 32, 4, 2, 1, { bias: false })`,
 * `new nn.LSTM(ninp, nhid, nlayers, { dropout: 0.5 })`, `new nn.MaxPool2d(2, 2)`.
 * A layer lists the names of its positional parameters in PyTorch's order;
 * any prefix of them may be given positionally, the rest in the options
 * object (last). The same name in both places is an error.
 */
import { ArgumentError } from '@duet/core';

/** `[options?]`, `[a, options?]`, `[a, b, options?]`, ...: every prefix of `P` followed by the options. */
export type PositionalArgs<P extends readonly unknown[], O> = P extends readonly [...infer Init, unknown] ? PositionalArgs<Init, O> | [...P, O?] : [O?];

/** A plain object (`{ ... }`): a module or an array passed positionally is a value, not the options. */
function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Merge positional arguments (named by `names`, in order) into the options
 * object. `where` names the layer in errors.
 */
export function positional<O extends object>(where: string, names: readonly string[], args: readonly unknown[]): O {
  const last = args.length > 0 && isOptions(args[args.length - 1]) ? (args[args.length - 1] as Record<string, unknown>) : undefined;
  const pos = last === undefined ? args : args.slice(0, -1);
  const early = pos.findIndex(isOptions);
  if (early >= 0) throw new ArgumentError(`${where}: the options object must come last; received an object as positional argument ${names[early] ?? early + 1}.`);
  if (pos.length > names.length) {
    throw new ArgumentError(`${where}: expected at most ${names.length} optional positional argument(s) (${names.join(', ')}) and an options object, received ${pos.length} positional: ${JSON.stringify(pos)}.`);
  }
  const out: Record<string, unknown> = { ...last };
  pos.forEach((v, i) => {
    const name = names[i]!;
    if (last !== undefined && last[name] !== undefined) throw new ArgumentError(`${where}: ${name} given twice: ${JSON.stringify(v)} as a positional argument and ${JSON.stringify(last[name])} in the options.`);
    if (v !== undefined) out[name] = v;
  });
  return out as O;
}
