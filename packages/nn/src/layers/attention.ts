/** `nn.MultiheadAttention`: PyTorch's parameter names, init, masks and return values. */
import { ArgumentError, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { ownParameter, type Parameter } from '../parameter.js';
import { multiHeadAttentionForward } from '../functional/attention.js';
import * as init from '../init.js';
import { Linear } from './linear.js';

/** PyTorch's name for the output projection of MultiheadAttention (a plain Linear). */
export class NonDynamicallyQuantizableLinear extends Linear {}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights, in training. Default 0. */
  dropout?: number;
  bias?: boolean;
  /** Size of the keys (default embedDim). */
  kdim?: number;
  /** Size of the values (default embedDim). */
  vdim?: number;
  /** Inputs and output are [N, L, E] instead of [L, N, E]. */
  batchFirst?: boolean;
  /** Not supported (throws when true). */
  addBiasKv?: boolean;
  /** Not supported (throws when true). */
  addZeroAttn?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): true (or -inf) for keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: true (or -inf) where attention is not allowed; float masks are added. */
  attnMask?: Tensor | null;
  /** Average the weights over heads (default true): [N, L, S]; else [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /** Causal mask (built when `attnMask` is not given). */
  isCausal?: boolean;
}

/**
 * Multi-head attention (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762).
 * `forward(query, key, value, options)` returns `[output, weights | null]`.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
 * const x = randn([4, 5, 8]);
 * const [out, weights] = mha.forward(x, x, x); // [4, 5, 8], [4, 5, 5]
 * ```
 */
export class MultiheadAttention extends Module {
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  private readonly sameEmbedDim: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    if (!(embedDim > 0) || !(numHeads > 0)) throw new ArgumentError(`embed_dim and num_heads must be greater than 0, got embed_dim=${embedDim} and num_heads=${numHeads} instead`);
    if (options.addBiasKv || options.addZeroAttn) throw new ArgumentError('MultiheadAttention: addBiasKv and addZeroAttn are not supported.');
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.sameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.headDim = embedDim / numHeads;
    if (!Number.isInteger(this.headDim)) throw new ArgumentError('embed_dim must be divisible by num_heads');
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    if (this.sameEmbedDim) {
      this.registerParameter('in_proj_weight', ownParameter(zeros([3 * embedDim, embedDim])));
    } else {
      this.registerParameter('q_proj_weight', ownParameter(zeros([embedDim, embedDim])));
      this.registerParameter('k_proj_weight', ownParameter(zeros([embedDim, this.kdim])));
      this.registerParameter('v_proj_weight', ownParameter(zeros([embedDim, this.vdim])));
    }
    this.registerParameter('in_proj_bias', bias ? ownParameter(zeros([3 * embedDim])) : null);
    this.addModule('out_proj', new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias }));
    this.resetParameters();
  }

  get inProjWeight(): Parameter | null {
    return this._get('in_proj_weight');
  }
  get inProjBias(): Parameter | null {
    return this._get('in_proj_bias');
  }
  get outProj(): NonDynamicallyQuantizableLinear {
    return this._get('out_proj');
  }

  /** Xavier-uniform projections, zero biases (the output projection's weight keeps Linear's init). */
  resetParameters(): void {
    if (this.sameEmbedDim) init.xavierUniform_(this.inProjWeight!);
    else for (const n of ['q_proj_weight', 'k_proj_weight', 'v_proj_weight']) init.xavierUniform_(this._get<Parameter>(n));
    if (this.inProjBias !== null) {
      init.zeros_(this.inProjBias);
      init.zeros_(this.outProj.bias!);
    }
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    return multiHeadAttentionForward(query, key, value, {
      numHeads: this.numHeads,
      inProjWeight: this.inProjWeight,
      inProjBias: this.inProjBias,
      qProjWeight: this._get<Parameter | null>('q_proj_weight'),
      kProjWeight: this._get<Parameter | null>('k_proj_weight'),
      vProjWeight: this._get<Parameter | null>('v_proj_weight'),
      outProjWeight: this.outProj.weight,
      outProjBias: this.outProj.bias,
      batchFirst: this.batchFirst,
      dropoutP: this.dropout,
      training: this.training,
      keyPaddingMask: options.keyPaddingMask ?? null,
      attnMask: options.attnMask ?? null,
      isCausal: options.isCausal ?? false,
      needWeights: options.needWeights ?? true,
      averageAttnWeights: options.averageAttnWeights ?? true,
    });
  }
}
