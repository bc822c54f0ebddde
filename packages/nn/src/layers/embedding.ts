/** `nn.Embedding`: a lookup table of `numEmbeddings` vectors of size `embeddingDim`. */
import { ArgumentError, functional as CF, noGrad, tensor, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { positional, type PositionalArgs } from './positional.js';
import { Parameter, ownParameter } from '../parameter.js';
import * as init from '../init.js';

export interface EmbeddingOptions {
  /** This row gets no gradient and starts at zero (negative counts from the end). */
  paddingIdx?: number | null;
  /** Initial weights [numEmbeddings, embeddingDim] instead of N(0, 1) (like `Embedding.from_pretrained`). */
  weight?: Tensor;
}

/**
 * Rows of `weight` [numEmbeddings, embeddingDim] picked by int32 indices;
 * initialised from N(0, 1), the `paddingIdx` row zero.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const emb = new nn.Embedding(10, 3, { paddingIdx: 0 });
 * emb.forward(tensor([[1, 2], [0, 9]], { dtype: 'int32' })).shape; // [2, 2, 3]
 * ```
 */
export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;
  /** `(num, dim, options)` or PyTorch's `(num, dim, paddingIdx, options?)`. */
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, ...args: PositionalArgs<[paddingIdx: number | null], EmbeddingOptions>) {
    super();
    const options = positional<EmbeddingOptions>('Embedding', ['paddingIdx'], args);
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) throw new ArgumentError(`Padding_idx must be within num_embeddings, received ${pad} for ${numEmbeddings} embeddings.`);
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    if (options.weight !== undefined) {
      if (options.weight.ndim !== 2 || options.weight.shape[0] !== numEmbeddings || options.weight.shape[1] !== embeddingDim) {
        throw new ArgumentError(`Embedding: shape of weight does not match num_embeddings and embedding_dim: expected [${numEmbeddings}, ${embeddingDim}], received [${options.weight.shape.join(', ')}].`);
      }
      this.weight = new Parameter(options.weight);
    } else {
      this.weight = ownParameter(zeros([numEmbeddings, embeddingDim]));
      this.resetParameters();
    }
  }
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx === null) return;
    const keep = new Float32Array(this.numEmbeddings).fill(1);
    keep[this.paddingIdx] = 0;
    const mask = tensor(keep, { shape: [this.numEmbeddings, 1] });
    noGrad(() => this.weight.mul_(mask));
    mask.dispose();
  }
  forward(input: Tensor): Tensor {
    return CF.embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
