/**
 * Argument checks and window arithmetic shared by the convolution, pooling
 * and image layers, with Keras's messages (`keras/src/utils/argument_validation.py`,
 * `backend/common/backend_utils.py`). Sizes follow TensorFlow's 'valid' /
 * 'same' rules, turned into the explicit paddings core's kernels take.
 */
import { KerasValueError } from '../../errors.js';

export type DataFormat = 'channels_last' | 'channels_first';
export type ConvPadding = 'valid' | 'same';

/** Python's print of a tuple: `(3, 3)`, `(2,)`. */
export function tupleStr(v: readonly number[]): string {
  return `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;
}

function show(v: unknown): string {
  return Array.isArray(v) ? tupleStr(v as number[]) : typeof v === 'string' ? v : JSON.stringify(v);
}

/** An integer or `n` integers as an array of `n` (Keras's `standardize_tuple`). */
export function standardizeTuple(value: unknown, n: number, name: string, allowZero = false): number[] {
  const msg = `The \`${name}\` argument must be a tuple of ${n} integers. Received ${name}=${show(value)}`;
  let out: number[];
  if (typeof value === 'number' && Number.isInteger(value)) out = new Array<number>(n).fill(value);
  else if (Array.isArray(value) && value.length === n) {
    for (const v of value) if (typeof v !== 'number' || !Number.isInteger(v)) throw new KerasValueError(`${msg}including element ${String(v)} of type ${typeof v}`);
    out = [...(value as number[])];
  } else throw new KerasValueError(msg);
  const bad = out.filter((v) => (allowZero ? v < 0 : v <= 0));
  if (bad.length > 0) throw new KerasValueError(`${msg}, including values {${[...new Set(bad)].join(', ')}} that do not satisfy \`value ${allowZero ? '>= 0' : '> 0'}\``);
  return out;
}

/** 'valid' | 'same' (| 'causal' for Conv1D), any case. */
export function standardizePadding(value: unknown, allowCausal = false): ConvPadding | 'causal' {
  const allowed = allowCausal ? ['valid', 'same', 'causal'] : ['valid', 'same'];
  const p = typeof value === 'string' ? value.toLowerCase() : value;
  if (typeof p !== 'string' || !allowed.includes(p)) {
    throw new KerasValueError(`The \`padding\` argument must be one of {${allowed.map((a) => `'${a}'`).join(', ')}}. Received: padding=${String(value)}`);
  }
  return p as ConvPadding | 'causal';
}

/** 'channels_last' (default) | 'channels_first'; camelCase spellings accepted. */
export function standardizeDataFormat(value: unknown): DataFormat {
  if (value === undefined || value === null) return 'channels_last';
  const v = String(value).toLowerCase();
  if (v === 'channels_last' || v === 'channelslast') return 'channels_last';
  if (v === 'channels_first' || v === 'channelsfirst') return 'channels_first';
  throw new KerasValueError(`The \`data_format\` argument must be one of {'channels_first', 'channels_last'}. Received: data_format=${String(value)}`);
}

/** A positive integer option ("Received: filters=-1"). */
export function checkPositiveInt(value: unknown, name: string, what = 'Expected a strictly positive value.'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new KerasValueError(`Invalid value for argument \`${name}\`. ${what} Received ${name}=${String(value)}.`);
  }
  return value;
}

/** Output size of a conv/pool window along one dim: TF's 'valid' and 'same' (+ Keras's 'causal'). */
export function windowOutput(n: number | null, k: number, s: number, d: number, padding: ConvPadding | 'causal'): number | null {
  if (n === null) return null;
  const dk = d * (k - 1) + 1;
  if (padding === 'valid') return Math.floor((n - dk) / s) + 1;
  return Math.floor((n + s - 1) / s);
}

/** [before, after] zeros for one dim: none ('valid'), TF's 'same' (the odd one after), or all before ('causal'). */
export function windowPads(n: number, k: number, s: number, d: number, padding: ConvPadding | 'causal'): [number, number] {
  const dk = d * (k - 1) + 1;
  if (padding === 'valid') return [0, 0];
  if (padding === 'causal') return [dk - 1, 0];
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + dk - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Keras's transposed-conv output size along one dim (`_get_output_shape_given_tf_padding`). */
export function transposeOutput(n: number | null, k: number, s: number, d: number, padding: ConvPadding, outputPadding: number | null): number | null {
  if (n === null) return null;
  const dk = (k - 1) * d + 1;
  if (padding === 'valid') return (n - 1) * s + dk + (outputPadding ?? Math.max(dk, s) - dk);
  return outputPadding === null ? n * s : (n - 1) * s + (dk % 2) + outputPadding;
}
