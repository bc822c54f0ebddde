/**
 * CSVDataset: numeric tables streamed line by line (any file size), with a
 * `toTensors()` shortcut for files that fit in memory. Every bad row is an
 * error naming the file, the line and the column.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Tensor, tensor } from '@duet/core';
import { IterableDataset } from '../dataset.js';
import { DataOptionError, DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { HostTensor } from '../host.js';
import { applyTransform, type TransformLike } from '../transforms/transform.js';
import { getWorkerInfo, type WorkerSpec } from '../worker_spec.js';

export interface CSVOptions {
  /** Feature columns, by header name or 0-based index. Default: every column but the target. */
  columns?: (string | number)[];
  /** The label column, by header name or index. Without it, items are the features alone. */
  target?: string | number;
  /** Whether the first line holds column names (default true). */
  header?: boolean;
  /** Field separator (default ','). */
  delimiter?: string;
  /** dtype of the features (default 'float32'). */
  dtype?: 'float32' | 'int32';
  /** dtype of the target (default 'int32' with `classes`, else 'float32'). */
  targetDtype?: 'float32' | 'int32';
  /** Names of the classes in the target column: a name becomes its index. */
  classes?: string[];
  /** Applied to the features (a HostTensor `[F]`). */
  transform?: TransformLike;
  /** Applied to the target (a HostTensor `[]`). */
  targetTransform?: TransformLike;
}

/** Split one CSV line; quotes ("a, b", "say ""hi""") are honoured. */
export function splitCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      out.push(field);
      field = '';
      i += delimiter.length - 1;
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** Lines of a file, read synchronously in 64 KiB chunks, with 1-based numbers. */
function* linesSync(path: string): Generator<[string, number]> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const decoder = new TextDecoder();
    let rest = '';
    let lineNo = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      rest += decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      const parts = rest.split('\n');
      rest = n > 0 ? parts.pop()! : '';
      for (const p of parts) yield [p.endsWith('\r') ? p.slice(0, -1) : p, ++lineNo];
      if (n === 0) break;
    }
  } finally {
    closeSync(fd);
  }
}

async function* linesAsync(path: string): AsyncGenerator<[string, number]> {
  let lineNo = 0;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) yield [line, ++lineNo];
}

/**
 * A CSV file of numbers as a stream of `[features, target]` (HostTensor `[F]`
 * and `[]`; the DataLoader batches them to `[B, F]` and `[B]`), or of
 * features alone without a `target`. In DataLoader workers each worker reads
 * every n-th row.
 *
 * @example
 * ```ts
 * const ds = new datasets.CSVDataset('iris.csv', { target: 'species', classes: ['setosa', 'versicolor', 'virginica'] });
 * for await (const [x, y] of new DataLoader(ds, { batchSize: 16 })) { ... }
 * const [x, y] = ds.toTensors(); // whole file, for small files
 * ```
 */
export class CSVDataset extends IterableDataset<any> {
  readonly path: string;
  private readonly o: CSVOptions;
  private readonly delimiter: string;

  constructor(path: string, options: CSVOptions = {}) {
    super();
    if (typeof path !== 'string') throw new DataOptionError('path', `CSVDataset: expected a file path; received ${typeof path}.`);
    if (!existsSync(path)) throw new DatasetNotFoundError(path, `CSVDataset: the file ${path} does not exist.`);
    this.path = path;
    this.o = options;
    this.delimiter = options.delimiter ?? ',';
    if (this.delimiter.length === 0) throw new DataOptionError('delimiter', 'CSVDataset: delimiter must not be empty.');
    for (const k of ['dtype', 'targetDtype'] as const) {
      const v = options[k];
      if (v !== undefined && v !== 'float32' && v !== 'int32') throw new DataOptionError(k, `CSVDataset: ${k} must be 'float32' or 'int32'; received ${JSON.stringify(v)}.`);
    }
  }

  /** Resolve column names or indices against the header (or the first row's width). */
  private layout(first: string[], lineNo: number): { features: number[]; target: number | undefined; names: string[] } {
    const header = this.o.header ?? true;
    const names = header ? first.map((s) => s.trim()) : first.map((_, i) => String(i));
    const resolve = (c: string | number, what: string): number => {
      const i = typeof c === 'number' ? c : header ? names.indexOf(c) : -1;
      if (!Number.isInteger(i) || i < 0 || i >= names.length) {
        const known = header ? `the header has ${names.map((n) => `'${n}'`).join(', ')}` : `there is no header (use indices 0..${names.length - 1})`;
        throw new DatasetFormatError(this.path, `${this.path}:${lineNo}: no column ${JSON.stringify(c)} for ${what}; ${known}.`, { line: lineNo });
      }
      return i;
    };
    const target = this.o.target === undefined ? undefined : resolve(this.o.target, 'target');
    const features = this.o.columns ? this.o.columns.map((c) => resolve(c, 'columns')) : names.map((_, i) => i).filter((i) => i !== target);
    return { features, target, names };
  }

  /** Parse one row to [features, target]; throws naming file, line and column. */
  private parse(fields: string[], lineNo: number, l: ReturnType<CSVDataset['layout']>): [Float32Array | Int32Array, number | undefined] {
    if (fields.length !== l.names.length) {
      throw new DatasetFormatError(this.path, `${this.path}:${lineNo}: expected ${l.names.length} fields (as in the ${this.o.header === false ? 'first row' : 'header'}), found ${fields.length}.`, { line: lineNo });
    }
    const num = (i: number): number => {
      const s = fields[i]!.trim();
      const v = s === '' ? NaN : Number(s);
      if (Number.isNaN(v)) throw new DatasetFormatError(this.path, `${this.path}:${lineNo}: column '${l.names[i]}' (${i}): ${JSON.stringify(fields[i])} is not a number.`, { line: lineNo });
      return v;
    };
    const x = this.o.dtype === 'int32' ? new Int32Array(l.features.length) : new Float32Array(l.features.length);
    l.features.forEach((c, k) => (x[k] = num(c)));
    if (l.target === undefined) return [x, undefined];
    const classes = this.o.classes;
    if (classes) {
      const name = fields[l.target]!.trim();
      const k = classes.indexOf(name);
      if (k < 0) throw new DatasetFormatError(this.path, `${this.path}:${lineNo}: target ${JSON.stringify(name)} is not one of the classes ${JSON.stringify(classes)}.`, { line: lineNo });
      return [x, k];
    }
    return [x, num(l.target)];
  }

  private item(x: Float32Array | Int32Array, y: number | undefined): any {
    const features = applyTransform(this.o.transform, new HostTensor(x, [x.length]));
    if (y === undefined) return features;
    const int = (this.o.targetDtype ?? (this.o.classes ? 'int32' : 'float32')) === 'int32';
    return [features, applyTransform(this.o.targetTransform, new HostTensor(int ? Int32Array.of(y) : Float32Array.of(y), []))];
  }

  /** A row parser for one pass; `share` keeps every n-th data row (DataLoader workers). Returns null for skipped lines. */
  private parser(share: { id: number; numWorkers: number } | null): (line: string, lineNo: number) => [Float32Array | Int32Array, number | undefined] | null {
    let l: ReturnType<CSVDataset['layout']> | undefined;
    let row = 0;
    return (line, lineNo) => {
      if (line.trim() === '') return null;
      const fields = splitCsvLine(line, this.delimiter);
      if (l === undefined) {
        l = this.layout(fields, lineNo);
        if (this.o.header ?? true) return null;
      }
      return share === null || row++ % share.numWorkers === share.id ? this.parse(fields, lineNo, l) : null;
    };
  }

  *[Symbol.iterator](): Iterator<any> {
    const parse = this.parser(getWorkerInfo());
    for (const [line, lineNo] of linesSync(this.path)) {
      const r = parse(line, lineNo);
      if (r !== null) yield this.item(r[0], r[1]);
    }
  }

  override async *[Symbol.asyncIterator](): AsyncIterator<any> {
    const parse = this.parser(getWorkerInfo());
    for await (const [line, lineNo] of linesAsync(this.path)) {
      const r = parse(line, lineNo);
      if (r !== null) yield this.item(r[0], r[1]);
    }
  }

  /**
   * The whole file as Tensors you own: `[features [N, F]]`, or
   * `[features, target [N]]` with a target. Transforms are not applied.
   */
  toTensors(): Tensor[] {
    const xs: (Float32Array | Int32Array)[] = [];
    const ys: number[] = [];
    const parse = this.parser(null);
    for (const [line, lineNo] of linesSync(this.path)) {
      const r = parse(line, lineNo);
      if (r === null) continue;
      xs.push(r[0]);
      if (r[1] !== undefined) ys.push(r[1]);
    }
    const f = xs[0]?.length ?? 0;
    const flat = this.o.dtype === 'int32' ? new Int32Array(xs.length * f) : new Float32Array(xs.length * f);
    xs.forEach((x, i) => flat.set(x, i * f));
    const out = [tensor(flat, { shape: [xs.length, f] }).keep()];
    if (this.o.target !== undefined) {
      const int = (this.o.targetDtype ?? (this.o.classes ? 'int32' : 'float32')) === 'int32';
      out.push(tensor(int ? Int32Array.from(ys) : Float32Array.from(ys), { shape: [ys.length] }).keep());
    }
    return out;
  }

  override toWorkerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: 'CSVDataset', args: [this.path, this.o] };
  }
}
