/**
 * The Tensor: its value (storage.ts), PyTorch's autograd fields
 * (`requiresGrad`, `grad`, the graph node) and Duet's ownership fields
 * (memory.ts). Methods follow PyTorch's names in camelCase and delegate to `ops/`.
 */
import { tf, nodeBackend, binaryKernel, type TfTensor } from './kernels/index.js';
import { ArgumentError, AutogradError, DTypeError, TensorReleasedError } from './errors.js';
import { adopt, release, releaseGrad, resetGrad, currentStep, inLibraryCall, noteSpill, Managed, USER, AUTO, SCOPE, GRAD } from './memory.js';
import { Storage, type HostArray } from './storage.js';
import { backward as runBackward, GradFn, type BackwardOptions, type Node } from './autograd.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape.js';
import * as I from './ops/index_ops.js';
import * as L from './ops/linalg.js';
import * as P from './ops/pointwise.js';
import * as C from './ops/convert.js';
import type { DType, DTypeLike } from './dtypes.js';
import type { DeviceLike } from './device.js';
import type { TensorData } from './creation.js';

export type { DType } from './dtypes.js';
export type Scalar = number | boolean;
export type TensorLike = Tensor | number | boolean;
export interface DimOptions {
  keepdim?: boolean;
}
/** Largest tensor whose JavaScript copy is kept from its creation (a data batch), so that moving it out of native memory costs no copy. */
const HOST_COPY_BYTES = 64 * 2 ** 20;

/**
 * A Tensor is its value (a Storage: the native handle, its layout, the
 * variable behind it), its autograd graph node and its owner (memory.ts's
 * Managed fields). Methods follow PyTorch's names and delegate to `ops/`.
 */
export class Tensor extends Managed {
  /** @internal the value: native handle, layout, variable backing, spilled copy (storage.ts). */
  readonly _s: Storage;
  /** @internal graph node (grad_fn); null for leaves. */
  _node: Node | null = null;
  /** @internal why the tensor was released. */
  _releasedBecause: string | undefined;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad = false;
  private _grad: Tensor | null = null;

  /**
   * @internal Use `tensor()`, the creation functions or ops to make tensors.
   * `nhwc`: `value` is [N, H, W, C], the physical form of a logical [N, C, H, W] tensor.
   */
  constructor(value: TfTensor | LazyValue, nhwc = false) {
    super();
    const lazy = 'make' in value ? value : null;
    this._s = new Storage(lazy === null ? (value as TfTensor) : null, nhwc);
    if (lazy !== null) this._s.lazy = lazy.make;
    const s = value.shape;
    this.shape = nhwc ? [s[0]!, s[3]!, s[1]!, s[2]!] : s;
    this.dtype = value.dtype as DType;
    adopt(this);
    if (lazy === null && this._owner === AUTO && !this._internal) this._s.host = pendingUpload(value as TfTensor, this._bytes());
  }

  // The storage's fields under the names the rest of Duet (and its tests) use.
  /** @internal the native value in the physical layout; null once released or spilled. */
  get _tf(): TfTensor | null { return this._s.tf; }
  /** @internal true: stored as the NHWC permutation of the logical NCHW value (docs/design/layout.md). */
  get _nhwc(): boolean { return this._s.nhwc; }
  /** @internal the resource variable backing a parameter or optimizer slot (ops/variables.ts). */
  get _res(): TfTensor | null { return this._s.res; }
  set _res(r: TfTensor | null) { this._s.res = r; }
  /** @internal the JavaScript copy of the values (storage.ts). */
  get _host(): HostArray | null { return this._s.host; }
  set _host(h: HostArray | null) { this._s.host = h; }
  /** Bumped by every in-place change of the values (PyTorch's `_version`): lets a copy of the values tell that it is stale. */
  get _version(): number { return this._s.version; }

  /** @internal The logical native value (what every op reads); an NHWC tensor converts once and caches it. Throws if released. */
  _v(): TfTensor {
    return this._s.logicalOf(this._stored());
  }

  /** @internal The NHWC value of a 4-d tensor, for layout-aware ops: as stored, or converted once and cached. */
  _nhwcValue(): TfTensor {
    return this._s.nhwcOf(this._stored());
  }

  /** @internal The native value as stored (`_v()` if not `_nhwc`); throws a clear error if it was released. */
  _stored(): TfTensor {
    const s = this._s;
    if (s.stale) s.refresh(this.dtype);
    const v = s.tf ?? (s.lazy !== null ? this._materialize() : this._unspill());
    this._lastUsed = currentStep();
    return v;
  }

  /** The value of a lazy row (storage.ts `lazy`), made now; from here on it is an ordinary tensor. */
  private _materialize(): TfTensor {
    const s = this._s;
    // keep(): a first use inside tf.tidy (autograd's rules) must not dispose it.
    const v = tf().keep(s.lazy!());
    s.tf = v;
    s.lazy = null;
    if (this._owner === AUTO) release(this);
    return v;
  }

  /** @internal bytes of the stored value. */
  _bytes(): number {
    return this.numel() * (this.dtype === 'bool' ? 1 : 4);
  }

  /** @internal move the value to JavaScript memory and release the native one; the next use uploads it again. */
  _spill(): void {
    if (this._s.spill()) noteSpill();
  }

  /** The value of a spilled tensor, uploaded again. */
  private _unspill(): TfTensor {
    const v = this._s.unspill(this.shape, this.dtype);
    if (v === null) throw this._releasedError();
    if (this._owner === AUTO) release(this);
    return v;
  }

  /** @internal release this tensor's autograd graph (its node's saved tensors); a later backward() through it explains `reason`. */
  _dropGraph(reason: string): void {
    const node = this._node;
    if (node === null || node.backward === null) return;
    for (const t of node.saved ?? []) t.dispose();
    node.saved = undefined;
    node.backward = null;
    node.inputs = [];
    node.releasedBecause = reason;
  }

  /** @internal drop the cached value of a variable-backed tensor (before a kernel updates the variable in place, so TF need not copy). */
  _dropCache(): void {
    this._s.dropCache();
  }

  /** @internal replace the value with a logical one (in-place ops), keeping identity, grad and ownership. */
  _setValue(v: TfTensor): void {
    this._stored();
    this._s.assign(v);
  }

  /** @internal hand the logical value over (to an in-place op's target); this tensor is released. */
  _moveValue(reason: string): TfTensor {
    const v = this._v();
    this._s.release(v);
    this._free(reason);
    this._releasedBecause = reason;
    return v;
  }

  /** @internal */
  _free(reason: string): void {
    if (!this._s.free()) return;
    this._releasedBecause = reason;
    // Its gradient goes with it, unless user code read it (releaseGrad).
    const g = this._grad;
    if (g !== null) {
      this._grad = null;
      if (g._owner === GRAD) releaseGrad(g);
    }
    // Each node belongs to exactly one output: its internal saved tensors go with it.
    if (this._node !== null) {
      for (const t of this._node.saved ?? []) t.dispose();
      this._node.saved = undefined;
      this._node.backward = null;
      this._node = null;
    }
  }

  private _releasedError(): TensorReleasedError {
    return new TensorReleasedError(`This tensor (shape [${this.shape.join(', ')}], ${this.dtype}) can no longer be used: ${this._releasedBecause ?? 'it was released'}.`);
  }

  get ndim(): number {
    return this.shape.length;
  }
  /**
   * PyTorch's `x.size()`: the shape (a copy), or with `dim` (negative counts
   * from the end) the size of that one dim. The element count is `numel()`.
   */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    const n = this.shape.length;
    if (!Number.isInteger(dim) || dim < -n || dim >= n) {
      const range = n === 0 ? 'none (a 0-d tensor has no dims)' : `an integer in [${-n}, ${n - 1}]`;
      throw new ArgumentError(`size(dim): dim out of range for a tensor with ndim ${n} (shape [${this.shape.join(', ')}]): expected ${range}, received ${dim}.`);
    }
    return this.shape[dim < 0 ? dim + n : dim]!;
  }
  /** The number of elements (`torch.numel`). */
  numel(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  /** The number of dims (PyTorch's `x.dim()`; same as `ndim`). */
  dim(): number {
    return this.shape.length;
  }
  /** A leaf is a tensor not produced by a recorded op (user-created, or `requiresGrad: false`). */
  get isLeaf(): boolean {
    return this._node === null;
  }
  /** True once the native memory was released. */
  get isDisposed(): boolean {
    return this._s.isEmpty;
  }
  /**
   * The node that produced this tensor (PyTorch's `grad_fn`): `gradFn.name()`
   * (`'MulBackward'`; it also prints as that), `gradFn.nextFunctions`. Null for leaves.
   */
  get gradFn(): GradFn | null {
    return this._gradFnNode();
  }
  /** @internal */
  _gradFnNode(): GradFn | null {
    const n = this._node;
    return n === null ? null : (n.fn ??= new GradFn(n.name, n));
  }

  get grad(): Tensor | null {
    const g = this._grad;
    if (g !== null && !inLibraryCall()) g._internal = false; // user code holds it now: never freed as internal
    return g;
  }
  set grad(g: Tensor | null) {
    if (g === this._grad) return;
    if (this._grad !== null && this._grad._owner === GRAD) resetGrad(this._grad);
    if (g !== null) {
      if (!sameShape(g.shape, this.shape)) {
        throw new AutogradError(`assigned grad has shape [${g.shape.join(', ')}], expected [${this.shape.join(', ')}] (the tensor's shape).`);
      }
      g._owner = GRAD;
    }
    this._grad = g;
  }

  /** @internal add a native gradient into `.grad` (in place, like PyTorch). Takes ownership of `g`. */
  _accumulateGrad(g: TfTensor): void {
    if (this._grad === null || this._grad._tf === null) {
      const t = new Tensor(g);
      t._owner = GRAD;
      t._internal = true; // made by backward(); user code that reads .grad makes it its own
      t._host = null;
      this._grad = t;
      return;
    }
    this._grad._setValue(binaryKernel('AddV2', this._grad._v(), g));
    g.dispose();
  }

  /** Mark this tensor as yours: it is never released automatically. Returns `this`. */
  keep(): this {
    this._stored();
    this._owner = USER;
    this._host = null; // never spilled: no JavaScript copy needed
    return this;
  }

  /** Release the native memory now. Further use raises a clear error. */
  dispose(): void {
    this._free('dispose() was called on it');
  }

  // ---------------------------------------------------------------- reading
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) {
      throw new DTypeError(`item(): only a tensor with one element can be converted to a number; received shape [${this.shape.join(', ')}].`);
    }
    const v = this._v().dataSync()[0] as number;
    return this.dtype === 'bool' ? (v ? 1 : 0) : v;
  }
  /** Nested arrays (a number for a 0-d tensor). */
  toArray(): any {
    const v = this._v().arraySync();
    if (this.dtype === 'bool') return mapNested(v, (x) => Boolean(x));
    return v;
  }
  /** Values as a flat typed array (copy), synchronously. */
  dataSync(): Float32Array | Int32Array | Uint8Array {
    return this._v().dataSync() as Float32Array | Int32Array | Uint8Array;
  }
  /** Values as a flat typed array (copy). */
  async data(): Promise<Float32Array | Int32Array | Uint8Array> {
    return (await this._v().data()) as Float32Array | Int32Array | Uint8Array;
  }
  override toString(): string {
    if (this.isDisposed) return `tensor(<released>, shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
    const body = this.numel() <= 1000 ? JSON.stringify(this.toArray()) : `<${this.numel()} values>`;
    const extra = this._node !== null ? `, gradFn=<${this._node.name}>` : this.requiresGrad ? ', requiresGrad=true' : '';
    return `tensor(${body}, shape=[${this.shape.join(', ')}], dtype=${this.dtype}${extra})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // --------------------------------------------------------------- autograd
  backward(gradient?: Tensor, options?: BackwardOptions): void {
    runBackward(this, gradient, options);
  }
  /** A new tensor sharing the values (and their layout), cut from the graph. */
  detach(): Tensor {
    return new Tensor(tf().clone(this._stored()), this._nhwc);
  }
  /** Set `requiresGrad` in place (leaves only). A leaf that requires grad is yours to keep. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new AutogradError('requiresGrad_(): you can only change requiresGrad of leaf tensors; use .detach() first.');
    if (flag && this.dtype !== 'float32') {
      throw new DTypeError(`requiresGrad_(): only floating point tensors can require gradients; received dtype ${this.dtype}.`);
    }
    this.requiresGrad = flag;
    // A leaf is yours (a parameter), except inside scope(): the scope releases it (and its .grad) unless returned.
    if (flag && this._owner !== SCOPE) this.keep();
    return this;
  }

  // -------------------------------------------------------------- elementwise
  add(o: TensorLike, options?: { alpha?: number }): Tensor { return E.add(this, o, options?.alpha); }
  sub(o: TensorLike, options?: { alpha?: number }): Tensor { return E.sub(this, o, options?.alpha); }
  mul(o: TensorLike): Tensor { return E.mul(this, o); }
  div(o: TensorLike): Tensor { return E.div(this, o); }
  pow(o: TensorLike): Tensor { return E.pow(this, o); }
  maximum(o: TensorLike): Tensor { return E.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return E.minimum(this, o); }
  neg(): Tensor { return E.neg(this); }
  abs(): Tensor { return E.abs(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  log1p(): Tensor { return E.log1p(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  rsqrt(): Tensor { return E.rsqrt(this); }
  square(): Tensor { return E.square(this); }
  reciprocal(): Tensor { return E.reciprocal(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  sign(): Tensor { return E.sign(this); }
  floor(): Tensor { return E.floor(this); }
  ceil(): Tensor { return E.ceil(this); }
  round(): Tensor { return E.round(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min ?? undefined, max ?? undefined); }
  relu(): Tensor { return E.relu(this); }
  leakyRelu(negativeSlope = 0.01): Tensor { return E.leakyRelu(this, negativeSlope); }
  elu(alpha = 1): Tensor { return E.elu(this, alpha); }
  gelu(options?: { approximate?: 'none' | 'tanh' }): Tensor { return E.gelu(this, options?.approximate ?? 'none'); }
  silu(): Tensor { return E.silu(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  tanh(): Tensor { return E.tanh(this); }
  softplus(options?: { beta?: number; threshold?: number }): Tensor { return E.softplus(this, options?.beta ?? 1, options?.threshold ?? 20); }
  softmax(dim: number): Tensor { return E.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return E.logSoftmax(this, dim); }
  eq(o: TensorLike): Tensor { return E.compare(this, o, 'equal'); }
  ne(o: TensorLike): Tensor { return E.compare(this, o, 'notEqual'); }
  lt(o: TensorLike): Tensor { return E.compare(this, o, 'less'); }
  le(o: TensorLike): Tensor { return E.compare(this, o, 'lessEqual'); }
  gt(o: TensorLike): Tensor { return E.compare(this, o, 'greater'); }
  ge(o: TensorLike): Tensor { return E.compare(this, o, 'greaterEqual'); }
  logicalNot(): Tensor { return E.logicalNot(this); }
  logicalAnd(o: Tensor): Tensor { return E.logical(this, o, 'logicalAnd'); }
  logicalOr(o: Tensor): Tensor { return E.logical(this, o, 'logicalOr'); }
  where(condition: Tensor, other: TensorLike): Tensor { return E.where(condition, this, other); }
  maskedFill(mask: Tensor, value: number): Tensor { return E.maskedFill(this, mask, value); }
  /**
   * PyTorch's `to`: a dtype (`'int64'`/`'long'` give int32 after a range check), a device (checked against the
   * running engine: `'cpu'`, `'cuda'`, `'cuda:0'`, `'gpu'`), both, another tensor's dtype, or `{ dtype, device }`.
   * Returns `this` when nothing changes.
   */
  to(target: DTypeLike | DeviceLike | Tensor | { dtype?: DTypeLike; device?: DeviceLike }, dtype?: DTypeLike): Tensor { return C.to(this, target, dtype); }
  /** int64 in PyTorch; int32 here, after checking that every value fits (docs/core.md, "dtypes"). */
  long(): Tensor { return C.castChecked(this, 'int64', 'long()'); }
  /** Accepted for PyTorch code: values are copied to the host whenever they are read. Returns `this`. */
  cpu(): Tensor { return C.to(this, 'cpu'); }
  /** Checks that the running engine is the GPU engine (else a `DeviceError`); returns `this`. */
  cuda(): Tensor { return C.to(this, 'cuda'); }
  /** `this + value * t1 * t2` (`torch.addcmul`). */
  addcmul(t1: Tensor, t2: TensorLike, options?: { value?: number }): Tensor { return P.addcmul(this, t1, t2, options?.value); }
  /** `this + value * t1 / t2` (`torch.addcdiv`). */
  addcdiv(t1: Tensor, t2: TensorLike, options?: { value?: number }): Tensor { return P.addcdiv(this, t1, t2, options?.value); }
  /** `this + weight * (end - this)` (`torch.lerp`). */
  lerp(end: Tensor, weight: number | Tensor): Tensor { return P.lerp(this, end, weight); }
  float(): Tensor { return E.cast(this, 'float32'); }
  int(): Tensor { return E.cast(this, 'int32'); }
  bool(): Tensor { return E.cast(this, 'bool'); }
  clone(): Tensor { return E.clone(this); }

  // --------------------------------------------------------------- in place
  /** In-place ops (trailing underscore, like PyTorch). Not recorded by autograd: use under noGrad() or on tensors that do not require grad. */
  add_(o: TensorLike, options?: { alpha?: number }): this { return E.inPlace(this, (t) => E.add(t, o, options?.alpha)); }
  sub_(o: TensorLike, options?: { alpha?: number }): this { return E.inPlace(this, (t) => E.sub(t, o, options?.alpha)); }
  mul_(o: TensorLike): this { return E.inPlace(this, (t) => E.mul(t, o)); }
  div_(o: TensorLike): this { return E.inPlace(this, (t) => E.div(t, o)); }
  clamp_(min?: number | null, max?: number | null): this { return E.inPlace(this, (t) => t.clamp(min, max)); }
  copy_(src: Tensor): this {
    return E.inPlace(this, () => {
      const r = S.expand(src.to(this.dtype), this.shape as number[]);
      return r === src ? new Tensor(tf().clone(src._v())) : r; // never move src's own value (clone shares data, no kernel)
    });
  }
  zero_(): this { return E.inPlace(this, (t) => E.fillLike(t, 0)); }
  fill_(value: number): this { return E.inPlace(this, (t) => E.fillLike(t, value)); }
  pow_(o: TensorLike): this { return E.inPlace(this, (t) => E.pow(t, o)); }
  addcmul_(t1: Tensor, t2: TensorLike, options?: { value?: number }): this { return E.inPlace(this, (t) => P.addcmul(t, t1, t2, options?.value)); }
  addcdiv_(t1: Tensor, t2: TensorLike, options?: { value?: number }): this { return E.inPlace(this, (t) => P.addcdiv(t, t1, t2, options?.value)); }
  lerp_(end: Tensor, weight: number | Tensor): this { return E.inPlace(this, (t) => P.lerp(t, end, weight)); }
  maximum_(o: TensorLike): this { return E.inPlace(this, (t) => E.maximum(t, o)); }
  minimum_(o: TensorLike): this { return E.inPlace(this, (t) => E.minimum(t, o)); }
  maskedFill_(mask: Tensor, value: number): this { return E.inPlace(this, (t) => E.maskedFill(t, mask, value)); }
  neg_(): this { return E.inPlace(this, E.neg); }
  abs_(): this { return E.inPlace(this, E.abs); }
  exp_(): this { return E.inPlace(this, E.exp); }
  log_(): this { return E.inPlace(this, E.log); }
  log1p_(): this { return E.inPlace(this, E.log1p); }
  sqrt_(): this { return E.inPlace(this, E.sqrt); }
  rsqrt_(): this { return E.inPlace(this, E.rsqrt); }
  square_(): this { return E.inPlace(this, E.square); }
  reciprocal_(): this { return E.inPlace(this, E.reciprocal); }
  sin_(): this { return E.inPlace(this, E.sin); }
  cos_(): this { return E.inPlace(this, E.cos); }
  sign_(): this { return E.inPlace(this, E.sign); }
  floor_(): this { return E.inPlace(this, E.floor); }
  ceil_(): this { return E.inPlace(this, E.ceil); }
  round_(): this { return E.inPlace(this, E.round); }
  relu_(): this { return E.inPlace(this, E.relu); }
  sigmoid_(): this { return E.inPlace(this, E.sigmoid); }
  tanh_(): this { return E.inPlace(this, E.tanh); }

  // ------------------------------------------- new tensors of this dtype
  /** Zeros of `shape` with this tensor's dtype (`x.new_zeros`); `dtype` overrides it. */
  newZeros(shape: number[], options?: C.NewOptions): Tensor { return C.newFull(this, shape, 0, options); }
  /** Ones of `shape` with this tensor's dtype (`x.new_ones`). */
  newOnes(shape: number[], options?: C.NewOptions): Tensor { return C.newFull(this, shape, 1, options); }
  /** `value` everywhere, with this tensor's dtype (`x.new_full`). */
  newFull(shape: number[], value: number | boolean, options?: C.NewOptions): Tensor { return C.newFull(this, shape, value, options); }
  /** Uninitialised in PyTorch (`x.new_empty`); zeros here. */
  newEmpty(shape: number[], options?: C.NewOptions): Tensor { return C.newFull(this, shape, 0, options); }
  /** A tensor from data with this tensor's dtype (`x.new_tensor`). */
  newTensor(data: TensorData, options?: C.NewOptions & { shape?: number[] }): Tensor { return C.newTensor(this, data, options); }

  // -------------------------------------------------------------- reductions
  sum(dim?: number | number[] | null, options?: DimOptions): Tensor { return R.sum(this, dim, options?.keepdim); }
  mean(dim?: number | number[] | null, options?: DimOptions): Tensor { return R.mean(this, dim, options?.keepdim); }
  prod(dim?: number | null, options?: DimOptions): Tensor { return R.prod(this, dim, options?.keepdim); }
  /** With `dim`: `[values, indices]` like PyTorch; without: the maximum. */
  max(): Tensor;
  max(dim: number, options?: DimOptions): [Tensor, Tensor];
  max(dim?: number, options?: DimOptions): Tensor | [Tensor, Tensor] { return dim === undefined ? R.amax(this, null, false) : R.maxWithIndices(this, dim, options?.keepdim, 'max'); }
  min(): Tensor;
  min(dim: number, options?: DimOptions): [Tensor, Tensor];
  min(dim?: number, options?: DimOptions): Tensor | [Tensor, Tensor] { return dim === undefined ? R.amin(this, null, false) : R.maxWithIndices(this, dim, options?.keepdim, 'min'); }
  amax(dim?: number | number[] | null, options?: DimOptions): Tensor { return R.amax(this, dim, options?.keepdim); }
  amin(dim?: number | number[] | null, options?: DimOptions): Tensor { return R.amin(this, dim, options?.keepdim); }
  argmax(dim?: number, options?: DimOptions): Tensor { return R.argExt(this, dim, options?.keepdim, 'argMax'); }
  argmin(dim?: number, options?: DimOptions): Tensor { return R.argExt(this, dim, options?.keepdim, 'argMin'); }
  var(dim?: number | number[] | null, options?: DimOptions & { correction?: number; unbiased?: boolean }): Tensor { return R.variance(this, dim, options); }
  std(dim?: number | number[] | null, options?: DimOptions & { correction?: number; unbiased?: boolean }): Tensor { return R.variance(this, dim, options).sqrt(); }
  logsumexp(dim: number | number[], options?: DimOptions): Tensor { return R.logsumexp(this, dim, options?.keepdim); }
  all(dim?: number, options?: DimOptions): Tensor { return R.logicalReduce(this, dim, options?.keepdim, 'all'); }
  any(dim?: number, options?: DimOptions): Tensor { return R.logicalReduce(this, dim, options?.keepdim, 'any'); }
  norm(p: number = 2, dim?: number | number[] | null, options?: DimOptions): Tensor { return R.norm(this, p, dim, options?.keepdim); }

  // ------------------------------------------------------------ linear algebra
  matmul(o: Tensor): Tensor { return L.matmul(this, o); }
  mm(o: Tensor): Tensor { return L.matmul(this, o); }
  /** Transpose of a ≤2-d tensor. */
  t(): Tensor { return this.ndim < 2 ? this : S.transpose(this, 0, 1); }
  get T(): Tensor { return S.permute(this, [...Array(this.ndim).keys()].reverse()); }

  // ------------------------------------------------------------------ shape
  /** `x.reshape([2, -1])`, or PyTorch's spread form `x.reshape(2, -1)`. */
  reshape(shape: number[]): Tensor;
  reshape(...shape: number[]): Tensor;
  reshape(...shape: number[] | [number[]]): Tensor { return S.reshape(this, shapeArg(shape)); }
  /** `x.view([-1, 400])`, or PyTorch's spread form `x.view(-1, 400)`. */
  view(shape: number[]): Tensor;
  view(...shape: number[]): Tensor;
  view(...shape: number[] | [number[]]): Tensor { return S.reshape(this, shapeArg(shape)); }
  viewAs(other: Tensor): Tensor { return S.reshape(this, other.shape as number[]); }
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  unflatten(dim: number, sizes: number[]): Tensor { return S.unflatten(this, dim, sizes); }
  transpose(dim0: number, dim1: number): Tensor { return S.transpose(this, dim0, dim1); }
  permute(dims: number[]): Tensor { return S.permute(this, dims); }
  squeeze(dim?: number): Tensor { return S.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  expand(shape: number[]): Tensor { return S.expand(this, shape); }
  expandAs(other: Tensor): Tensor { return S.expand(this, other.shape as number[]); }
  repeat(reps: number[]): Tensor { return S.repeat(this, reps); }
  split(splitSizeOrSections: number | number[], dim = 0): Tensor[] { return S.split(this, splitSizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }
  narrow(dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); }
  /** Python's `x[..., start:end:step, ...]` along `dim` (negative indices allowed; step > 0). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor { return S.slice(this, dim, start ?? undefined, end ?? undefined, step); }
  /** Python's `x[..., index, ...]` along `dim`: removes that dim. */
  select(dim: number, index: number): Tensor { return S.select(this, dim, index); }
  flip(dims: number[]): Tensor { return S.flip(this, dims); }
  contiguous(): Tensor { return this; }
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }
  oneHot(numClasses = -1): Tensor { return I.oneHot(this, numClasses); }
}

/** A shape given as one array or spread out (`view([2, 3])` / `view(2, 3)`). */
function shapeArg(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? args[0] : (args as number[]);
}
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
function mapNested(v: unknown, f: (x: unknown) => unknown): unknown {
  return Array.isArray(v) ? v.map((x) => mapNested(x, f)) : f(v);
}

/** The JavaScript array a fresh tensor was made from, if tfjs-node still holds it (it uploads on first use); small enough to keep. */
function pendingUpload(v: TfTensor, bytes: number): HostArray | null {
  if (bytes > HOST_COPY_BYTES) return null;
  const map = (nodeBackend() as unknown as { tensorMap: { get(id: object): { values?: unknown } | undefined } }).tensorMap;
  const values = map.get(v.dataId as object)?.values;
  return ArrayBuffer.isView(values) ? (values as HostArray) : null;
}

/** @internal A value made on first use (ops/shape.ts `select` under `lazyRows`): its shape, dtype and how to make it. */
export interface LazyValue {
  shape: number[];
  dtype: string;
  make: () => TfTensor;
}

/** @internal wrap a fresh native tensor. */
export function wrap(v: TfTensor): Tensor {
  return new Tensor(v);
}
