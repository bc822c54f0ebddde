/**
 * `nn.TransformerEncoderLayer`, `nn.TransformerEncoder`,
 * `nn.TransformerDecoderLayer`, `nn.TransformerDecoder`: PyTorch's
 * submodule names (`self_attn`, `linear1`, `norm1`, ...), post-norm by
 * default, pre-norm with `normFirst`.
 */
import { ArgumentError, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { positional, type PositionalArgs } from './positional.js';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './normalization.js';
import { Linear } from './linear.js';
import { ModuleList } from './container.js';

export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  /** 'relu' (default), 'gelu', a function, or a module (registered as `activation`). */
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward) instead of post-norm. */
  normFirst?: boolean;
  bias?: boolean;
}

/** PyTorch's positional order after nhead: `TransformerEncoderLayer(d_model, nhead, d_hid, dropout)` as in its tutorials. */
type TransformerLayerArgs = PositionalArgs<[dimFeedforward: number, dropout: number, activation: Activation], TransformerLayerOptions>;
const LAYER_NAMES = ['dimFeedforward', 'dropout', 'activation'];

/** The parts shared by encoder and decoder layers, registered in PyTorch's order by the subclasses. */
abstract class TransformerLayerBase extends Module {
  readonly normFirst: boolean;
  /** The activation when it is not a module (a module is registered as `activation`). */
  private readonly actFn: ((x: Tensor) => Tensor) | null;
  protected readonly o: Required<Omit<TransformerLayerOptions, 'activation'>>;

  constructor(readonly dModel: number, readonly nhead: number, options: TransformerLayerOptions) {
    super();
    this.o = {
      dimFeedforward: options.dimFeedforward ?? 2048, dropout: options.dropout ?? 0.1, layerNormEps: options.layerNormEps ?? 1e-5,
      batchFirst: options.batchFirst ?? false, normFirst: options.normFirst ?? false, bias: options.bias ?? true,
    };
    Object.defineProperty(this, 'o', { enumerable: false });
    this.normFirst = this.o.normFirst;
    const a = options.activation ?? 'relu';
    if (a instanceof Module) this.actFn = null;
    else if (a === 'relu') this.actFn = (x) => x.relu();
    else if (a === 'gelu') this.actFn = (x) => x.gelu();
    else if (typeof a === 'function') this.actFn = a;
    else throw new ArgumentError(`activation should be relu/gelu, not ${String(a)}`);
  }

  protected act(x: Tensor): Tensor {
    return this.actFn !== null ? this.actFn(x) : this._get<Module>('activation').call(x);
  }

  protected attention(name: string): MultiheadAttention {
    return this.addModule(name, new MultiheadAttention(this.dModel, this.nhead, { dropout: this.o.dropout, bias: this.o.bias, batchFirst: this.o.batchFirst }));
  }
  protected feedForwardParts(): void {
    this.addModule('linear1', new Linear(this.dModel, this.o.dimFeedforward, { bias: this.o.bias }));
    this.addModule('dropout', new Dropout(this.o.dropout));
    this.addModule('linear2', new Linear(this.o.dimFeedforward, this.dModel, { bias: this.o.bias }));
  }
  protected norms(n: number): void {
    for (let i = 1; i <= n; i++) this.addModule(`norm${i}`, new LayerNorm(this.dModel, { eps: this.o.layerNormEps, bias: this.o.bias }));
  }
  protected dropouts(n: number, activation: Activation | undefined): void {
    for (let i = 1; i <= n; i++) this.addModule(`dropout${i}`, new Dropout(this.o.dropout));
    if (activation instanceof Module) this.addModule('activation', activation);
  }
  protected sub<M extends Module>(name: string): M {
    return this._get<M>(name);
  }

  /** linear2(dropout(act(linear1(x)))), then the last dropout. */
  protected ffBlock(x: Tensor, lastDropout: string): Tensor {
    const h = this.sub<Dropout>('dropout').call(this.act(this.sub<Linear>('linear1').call(x)));
    return this.sub<Dropout>(lastDropout).call(this.sub<Linear>('linear2').call(h));
  }
  protected attnBlock(attn: string, drop: string, q: Tensor, kv: Tensor, mask: Tensor | null | undefined, kpm: Tensor | null | undefined, isCausal: boolean | undefined): Tensor {
    const [out] = this.sub<MultiheadAttention>(attn).call(q, kv, kv, { attnMask: mask ?? null, keyPaddingMask: kpm ?? null, needWeights: false, isCausal: isCausal ?? false });
    return this.sub<Dropout>(drop).call(out);
  }
  protected norm(i: number, x: Tensor): Tensor {
    return this.sub<LayerNorm>(`norm${i}`).call(x);
  }
}

export interface EncoderForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/**
 * Self-attention and a feed-forward network, each with a residual connection
 * and LayerNorm.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const layer = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * layer.forward(randn([2, 10, 16])).shape; // [2, 10, 16]
 * ```
 */
export class TransformerEncoderLayer extends TransformerLayerBase {
  /** `(dModel, nhead, options)` or PyTorch's `(dModel, nhead, dimFeedforward, dropout, activation, options?)`. */
  constructor(dModel: number, nhead: number, ...args: TransformerLayerArgs) {
    const options = positional<TransformerLayerOptions>('TransformerEncoderLayer', LAYER_NAMES, args);
    super(dModel, nhead, options);
    this.attention('self_attn');
    this.feedForwardParts();
    this.norms(2);
    this.dropouts(2, options.activation);
  }
  get selfAttn(): MultiheadAttention {
    return this.sub('self_attn');
  }
  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const sa = (x: Tensor) => this.attnBlock('self_attn', 'dropout1', x, x, options.srcMask, options.srcKeyPaddingMask, options.isCausal);
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm(1, x)));
      return x.add(this.ffBlock(this.norm(2, x), 'dropout2'));
    }
    x = this.norm(1, x.add(sa(x)));
    return this.norm(2, x.add(this.ffBlock(x, 'dropout2')));
  }
}

export interface DecoderForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/**
 * Self-attention, attention over the encoder's output (`memory`), and a
 * feed-forward network, each with a residual connection and LayerNorm.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const layer = new nn.TransformerDecoderLayer(16, 4, { dimFeedforward: 32 });
 * layer.forward(randn([7, 2, 16]), randn([10, 2, 16]), { tgtIsCausal: true }).shape; // [7, 2, 16]
 * ```
 */
export class TransformerDecoderLayer extends TransformerLayerBase {
  /** `(dModel, nhead, options)` or PyTorch's `(dModel, nhead, dimFeedforward, dropout, activation, options?)`. */
  constructor(dModel: number, nhead: number, ...args: TransformerLayerArgs) {
    const options = positional<TransformerLayerOptions>('TransformerDecoderLayer', LAYER_NAMES, args);
    super(dModel, nhead, options);
    this.attention('self_attn');
    this.attention('multihead_attn');
    this.feedForwardParts();
    this.norms(3);
    this.dropouts(3, options.activation);
  }
  get selfAttn(): MultiheadAttention {
    return this.sub('self_attn');
  }
  get multiheadAttn(): MultiheadAttention {
    return this.sub('multihead_attn');
  }
  forward(tgt: Tensor, memory: Tensor, o: DecoderForwardOptions = {}): Tensor {
    const sa = (x: Tensor) => this.attnBlock('self_attn', 'dropout1', x, x, o.tgtMask, o.tgtKeyPaddingMask, o.tgtIsCausal);
    const mha = (x: Tensor) => this.attnBlock('multihead_attn', 'dropout2', x, memory, o.memoryMask, o.memoryKeyPaddingMask, o.memoryIsCausal);
    let x = tgt;
    if (this.normFirst) {
      x = x.add(sa(this.norm(1, x)));
      x = x.add(mha(this.norm(2, x)));
      return x.add(this.ffBlock(this.norm(3, x), 'dropout3'));
    }
    x = this.norm(1, x.add(sa(x)));
    x = this.norm(2, x.add(mha(x)));
    return this.norm(3, x.add(this.ffBlock(x, 'dropout3')));
  }
}

/** `numLayers` copies of `layer` (deep copies: same initial weights, like PyTorch) and an optional final norm. */
function stackOf(owner: Module, layer: Module, numLayers: number, norm: Module | null | undefined): void {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new ArgumentError(`num_layers must be a positive integer, received ${numLayers}.`);
  owner.addModule('layers', new ModuleList(Array.from({ length: numLayers }, () => layer.deepCopy())));
  owner.addModule('norm', norm ?? null);
}

/**
 * A stack of `numLayers` encoder layers.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32 }), 2);
 * enc.forward(randn([10, 2, 16])).shape; // [10, 2, 16]
 * ```
 */
export class TransformerEncoder extends Module {
  constructor(encoderLayer: TransformerEncoderLayer, readonly numLayers: number, options: { norm?: Module | null; enableNestedTensor?: boolean; maskCheck?: boolean } = {}) {
    super();
    stackOf(this, encoderLayer, numLayers, options.norm);
  }
  get layers(): ModuleList {
    return this._get('layers');
  }
  forward(src: Tensor, options: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    let x = src;
    for (const l of this.layers) x = (l as TransformerEncoderLayer).call(x, { srcMask: options.mask, srcKeyPaddingMask: options.srcKeyPaddingMask, isCausal: options.isCausal });
    const norm = this._get<Module | null>('norm');
    return norm === null ? x : norm.call(x);
  }
}

/**
 * A stack of `numLayers` decoder layers.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const dec = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }), 2);
 * dec.forward(randn([7, 2, 16]), randn([10, 2, 16])).shape; // [7, 2, 16]
 * ```
 */
export class TransformerDecoder extends Module {
  constructor(decoderLayer: TransformerDecoderLayer, readonly numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    stackOf(this, decoderLayer, numLayers, options.norm);
  }
  get layers(): ModuleList {
    return this._get('layers');
  }
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const l of this.layers) x = (l as TransformerDecoderLayer).call(x, memory, options);
    const norm = this._get<Module | null>('norm');
    return norm === null ? x : norm.call(x);
  }
}
