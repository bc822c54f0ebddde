/**
 * Keras 3's weights file (`model.weights.h5`, saving_lib's `H5IOStore`) in
 * memory, through h5wasm (the HDF5 C library compiled to WebAssembly, on
 * its in-memory file system: nothing touches the disk here).
 *
 * Layout, as Keras writes it: one group per saveable object, by path
 * (`layers/dense`, `optimizer`, the model itself at the root), each with a
 * `vars` group holding its variables as datasets `0`, `1`, ... in order.
 */
import h5wasm from 'h5wasm';
import { SavingError } from './errors.js';

type H5 = typeof h5wasm;
type H5Module = Awaited<H5['ready']>;

let ready: Promise<H5Module> | null = null;
let fileCounter = 0;

/** h5wasm, initialised once, with HDF5 errors thrown (not printed to stderr). */
async function h5(): Promise<H5Module> {
  ready ??= h5wasm.ready.then((m) => {
    m.activate_throwing_error_handler();
    return m;
  });
  return ready;
}

function memName(): string {
  return `/duet-${process.pid}-${++fileCounter}.h5`;
}

/** A variable's value as written: float32 (weights, slots), int64 (Keras's `iterations`), int32. */
export interface H5Value {
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/**
 * An HDF5 file with `groups` (each gets a `vars` child) and their values:
 * `vars.get('layers/dense')` is written as `layers/dense/vars/0`, ... .
 */
export async function writeH5(vars: Map<string, H5Value[]>): Promise<Uint8Array> {
  const m = await h5();
  const name = memName();
  const f = new h5wasm.File(name, 'w');
  try {
    const made = new Set<string>(['']);
    const group = (path: string) => {
      const parts = path.split('/').filter((p) => p !== '');
      let cur = '';
      for (const p of parts) {
        const next = cur === '' ? p : `${cur}/${p}`;
        if (!made.has(next)) {
          (cur === '' ? f : (f.get(cur) as InstanceType<H5['Group']>)).create_group(p);
          made.add(next);
        }
        cur = next;
      }
      return cur;
    };
    for (const [path, values] of vars) {
      const g = group(path === '' ? 'vars' : `${path}/vars`);
      const vg = f.get(g) as InstanceType<H5['Group']>;
      values.forEach((v, i) => {
        const dtype = v.data instanceof Float32Array ? '<f' : v.data instanceof Int32Array ? '<i' : '<q';
        vg.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype });
      });
    }
    f.close();
    const bytes = m.FS.readFile(name);
    return bytes;
  } finally {
    try {
      m.FS.unlink(name);
    } catch {
      // never created
    }
  }
}

/** One stored variable, before its data is read. */
export interface H5Dataset {
  path: string;
  shape: number[];
  /** h5wasm's dtype string: `<f` float32, `<d` float64, `<q` int64, `<i` int32, ... */
  dtype: string;
}

const READABLE = new Set(['<f', '<d', '<q', '<i', '<e']);
const ITEM_BYTES: Record<string, number> = { '<f': 4, '<d': 8, '<q': 8, '<i': 4, '<e': 2 };

/** A weights file opened for reading; `close()` it. */
export class H5Reader {
  private constructor(
    private readonly m: H5Module,
    private readonly name: string,
    private readonly file: InstanceType<H5['File']>,
    private readonly byteLength: number,
    readonly where: string,
  ) {}

  static async open(bytes: Uint8Array, where: string): Promise<H5Reader> {
    const m = await h5();
    const name = memName();
    m.FS.writeFile(name, bytes);
    try {
      const file = new h5wasm.File(name, 'r');
      return new H5Reader(m, name, file, bytes.length, where);
    } catch (e) {
      m.FS.unlink(name);
      throw new SavingError('ERR_KERAS_H5', `${where}: not a readable HDF5 file (${firstLine(e)}).`, { cause: e });
    }
  }

  /** The datasets `vars/0..n-1` of the group at `path` ('' = root), or null if the group is absent. */
  vars(path: string): H5Dataset[] | null {
    const gpath = path === '' ? 'vars' : `${path}/vars`;
    let g: ReturnType<InstanceType<H5['File']>['get']>;
    try {
      g = this.file.get(gpath);
    } catch {
      g = null;
    }
    if (g === null) return null;
    if (!(g instanceof h5wasm.Group)) throw new SavingError('ERR_KERAS_H5', `${this.where}: '${gpath}' is not a group.`);
    const keys = g.keys();
    const out: H5Dataset[] = [];
    for (let i = 0; i < keys.length; i++) {
      const p = `${gpath}/${i}`;
      const d = keys.includes(String(i)) ? this.file.get(p) : null;
      if (!(d instanceof h5wasm.Dataset)) throw new SavingError('ERR_KERAS_H5', `${this.where}: expected datasets '${gpath}/0'..'${keys.length - 1}', '${p}' is missing or not a dataset (found keys ${JSON.stringify(keys)}).`);
      const shape = d.shape ?? [];
      const dtype = String(d.dtype);
      if (!READABLE.has(dtype)) throw new SavingError('ERR_KERAS_H5', `${this.where}: dataset '${p}' has dtype ${JSON.stringify(d.dtype)}; expected float32, float64, float16, int32 or int64.`);
      if (shape.length > 32 || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
        throw new SavingError('ERR_KERAS_H5', `${this.where}: dataset '${p}' has an invalid shape ${JSON.stringify(shape)}.`);
      }
      // Keras writes uncompressed datasets: one cannot hold more bytes than the file.
      const n = shape.reduce((a, b) => a * b, 1);
      if (n * ITEM_BYTES[dtype]! > this.byteLength) {
        throw new SavingError('ERR_KERAS_H5', `${this.where}: dataset '${p}' claims shape ${JSON.stringify(shape)} (${n} values), more than the ${this.byteLength}-byte file can hold.`);
      }
      out.push({ path: p, shape, dtype });
    }
    return out;
  }

  /** The values of `d` as float32 (float16/64 and integers converted). */
  readFloat(d: H5Dataset): Float32Array {
    const v = this.value(d);
    if (v instanceof Float32Array) return v;
    if (v instanceof BigInt64Array) return Float32Array.from(v, (x) => Number(x));
    return Float32Array.from(v as ArrayLike<number>);
  }

  /** A scalar dataset's value as a number (int64 included). */
  readScalar(d: H5Dataset): number {
    const v = this.value(d);
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return v;
    const first = (v as ArrayLike<number | bigint>)[0];
    return typeof first === 'bigint' ? Number(first) : Number(first);
  }

  private value(d: H5Dataset): unknown {
    const ds = this.file.get(d.path) as InstanceType<H5['Dataset']>;
    try {
      return ds.value;
    } catch (e) {
      throw new SavingError('ERR_KERAS_H5', `${this.where}: cannot read dataset '${d.path}' (${firstLine(e)}).`, { cause: e });
    }
  }

  close(): void {
    try {
      this.file.close();
    } finally {
      this.m.FS.unlink(this.name);
    }
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!.slice(0, 200);
}
