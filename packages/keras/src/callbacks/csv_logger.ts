/**
 * `keras.callbacks.CSVLogger`: one row per epoch (`epoch`, then the logs'
 * keys sorted) in a CSV file, written as Keras writes it (Python's `csv`
 * module: `\n` line ends, values as Python prints them, `NA` for a value
 * missing after an early stop). With `append`, a file that already has
 * rows keeps them and gets no second header (resuming training).
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 5, callbacks: [new keras.callbacks.CSVLogger('training.log')] });
 * ```
 */
import { appendFile, stat, writeFile } from 'node:fs/promises';
import { Callback, type Logs } from './callback.js';

export interface CSVLoggerOptions {
  /** Default ','. */
  separator?: string;
  /** Append to an existing file instead of overwriting it. Default false. */
  append?: boolean;
}

/** A number as Python's `repr(float)` / `str(int)` writes it (`0.1`, `1e-05`, `2.0`, `nan`, `inf`). */
export function pythonNumber(x: number, isInt = false): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (isInt) return String(x);
  const [mant, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/** Python csv's minimal quoting: a field with the separator, a quote or a line break is quoted. */
function field(s: string, sep: string): string {
  return s.includes(sep) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private appendHeader = true;

  constructor(filename: string, options: CSVLoggerOptions = {}) {
    super();
    this.filename = filename;
    this.separator = options.separator ?? ',';
    this.append = options.append ?? false;
  }

  override async onTrainBegin(): Promise<void> {
    this.keys = null;
    this.appendHeader = true;
    if (this.append) {
      const size = await stat(this.filename).then((s) => s.size, () => 0);
      this.appendHeader = size === 0;
    } else {
      await writeFile(this.filename, '');
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.keys === null) this.keys = Object.keys(logs).sort();
    const sep = this.separator;
    let out = '';
    if (this.appendHeader) {
      out += ['epoch', ...this.keys].map((k) => field(k, sep)).join(sep) + '\n';
      this.appendHeader = false;
    }
    const row = [String(epoch), ...this.keys.map((k) => (k in logs ? pythonNumber(logs[k]!) : 'NA'))];
    out += row.map((v) => field(v, sep)).join(sep) + '\n';
    await appendFile(this.filename, out);
  }
}
