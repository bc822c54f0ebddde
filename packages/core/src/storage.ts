/**
 * A tensor's value: the native handle in its physical layout, the other
 * layout's copy once converted, the resource variable behind a parameter, and
 * the JavaScript copy of a spilled value. The Tensor (tensor.ts) holds one
 * Storage plus its graph node and its owner; ownership decisions (when to
 * spill or free) are memory.ts's, layout decisions ../layout.ts's. This file
 * only keeps the handles consistent. See docs/design/core-layers.md.
 */
import { tf, toNCHW, toNHWC, readVariable, assignVariable, type TfTensor } from './kernels/index.js';

/** A tensor's values in JavaScript memory. */
export type HostArray = Float32Array | Int32Array | Uint8Array;

export class Storage {
  /** The native value in the physical layout (see `nhwc`); null once released or spilled. */
  tf: TfTensor | null;
  /** true: `tf` holds the NHWC permutation of a 4-d tensor's logical NCHW value (docs/design/layout.md). */
  nhwc: boolean;
  /** The value converted to the other layout once and cached (logical for NHWC storage, NHWC for logical); owned like `tf`. */
  alt: TfTensor | null = null;
  /** A TF resource variable holding the (logical) value (parameters, optimizer slots); see ops/variables.ts. */
  res: TfTensor | null = null;
  /** `tf` must be re-read from `res` before use. */
  stale = false;
  /**
   * The stored value in JavaScript memory: the values a tensor was made from,
   * or a copy taken when it was spilled. With `tf` null the value is spilled:
   * the next use uploads it again.
   */
  host: HostArray | null = null;
  /** Bumped by every in-place change of the values (PyTorch's `_version`). */
  version = 0;
  /**
   * A value not computed yet: a row of another tensor taken while a
   * DataLoader fetched samples (ops/shape.ts `select`), made on first use;
   * `tf` is null until then. It holds no native memory.
   */
  lazy: (() => TfTensor) | null = null;

  constructor(value: TfTensor | null, nhwc: boolean) {
    this.tf = value;
    this.nhwc = nhwc;
  }

  /** The logical value of the stored value `v`: `v` itself, or (NHWC storage) its NCHW form, converted once and cached. */
  logicalOf(v: TfTensor): TfTensor {
    return this.nhwc ? (this.alt ??= tf().keep(toNCHW(v))) : v;
  }

  /** The NHWC value of the stored 4-d value `v`: `v` itself if stored NHWC, else converted once and cached. */
  nhwcOf(v: TfTensor): TfTensor {
    return this.nhwc ? v : (this.alt ??= tf().keep(toNHWC(v)));
  }

  /** Re-read the value of a variable-backed storage after an in-place kernel updated the variable. */
  refresh(dtype: string): void {
    this.stale = false;
    // keep(): the first read may happen inside an op's tf.tidy (conv, pools), which must not dispose the cached value.
    this.tf = tf().keep(readVariable(this.res!, dtype));
  }

  /** Upload a spilled value again (lazily: tfjs-node copies it on the first kernel that reads it); null if there is none. */
  unspill(logicalShape: readonly number[], dtype: string): TfTensor | null {
    const h = this.host;
    if (h === null) return null;
    const s = logicalShape;
    // keep(): a use inside tf.tidy (autograd's rules) must not dispose it.
    const v = tf().keep(tf().tensor(h, this.nhwc ? [s[0]!, s[2]!, s[3]!, s[1]!] : (s as number[]), dtype as 'float32'));
    this.tf = v;
    return v;
  }

  /** Move the value to JavaScript memory and release the native one; false if there was nothing to spill (or a variable backs it). */
  spill(): boolean {
    const v = this.tf;
    if (v === null || this.res !== null) return false;
    this.host ??= v.dataSync() as HostArray;
    this.alt?.dispose();
    this.alt = null;
    v.dispose();
    this.tf = null;
    return true;
  }

  /** Drop the cached value of a variable-backed storage (before a kernel updates the variable in place, so TF need not copy). */
  dropCache(): void {
    this.version++; // a kernel is about to update the variable in place
    if (this.res === null || this.stale) return;
    this.replace(null);
    this.stale = true;
  }

  /** Store the logical value `v` (an in-place op's result), writing it through to the variable if there is one. */
  assign(v: TfTensor): void {
    if (this.res !== null) assignVariable(this.res, v);
    this.replace(v);
  }

  /** Detach the logical value `v` (as returned by `logicalOf`) so that freeing this storage does not dispose it. */
  release(v: TfTensor): void {
    if (v === this.tf) this.tf = null;
    else this.alt = null;
  }

  /** Store `v` (logical, or null), disposing the stored value and its cached conversion. */
  replace(v: TfTensor | null): void {
    for (const old of [this.tf, this.alt]) if (old !== null && old !== v) old.dispose();
    this.host = null;
    this.version++;
    this.tf = v;
    this.alt = null;
    this.nhwc = false;
  }

  /** Release every native handle and the JavaScript copy; false if it was already released. */
  free(): boolean {
    if (this.lazy !== null) {
      this.lazy = null;
      return true;
    }
    if (this.res !== null) {
      this.res.dispose();
      this.res = null;
      this.stale = false;
    }
    this.alt?.dispose();
    this.alt = null;
    if (this.tf === null) {
      if (this.host === null) return false;
      this.host = null;
    } else {
      this.tf.dispose();
      this.tf = null;
      this.host = null;
    }
    return true;
  }

  /** Nothing left: no native value, no variable to re-read, no JavaScript copy. */
  get isEmpty(): boolean {
    return this.tf === null && !this.stale && this.host === null && this.lazy === null;
  }
}
