/** `keras.layers.Embedding`: integer ids -> rows of an `[inputDim, outputDim]` table. */
import { functional as CF, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints/constraint.js';
import { RandomUniform } from '../../initializers/random.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers/regularizer.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';
import { setKerasMask } from './keras_mask.js';

export interface EmbeddingOptions extends LayerOptions {
  /** Default 'uniform' (RandomUniform(-0.05, 0.05), Keras's default). */
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier;
  embeddingsConstraint?: ConstraintIdentifier;
  /**
   * Id 0 is padding: the output carries a mask (`ids != 0`) that RNN layers,
   * Bidirectional, TimeDistributed and MultiHeadAttention honour. Then id 0
   * cannot be a word, so `inputDim` should be the vocabulary size + 1.
   */
  maskZero?: boolean;
}

function checkDim(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new KerasValueError(`\`${name}\` must be a positive integer. Received: ${name}=${String(v)} (of type ${typeof v}).`);
  }
  return v;
}

/**
 * Looks up a row per id (ids of any shape; float ids are cast to int32, as
 * Keras does). Runs core's `functional.embedding` (one GatherV2; its
 * gradient is one UnsortedSegmentSum).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { tensor } from '@duet/core';
 * const emb = new keras.layers.Embedding(1000, 64, { maskZero: true });
 * const y = emb.apply(tensor([[4, 25, 0, 0]], { dtype: 'int32' })); // [1, 4, 64]
 * keras.layers.getKerasMask(y)!.toArray(); // [[true, true, false, false]]
 * ```
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly embeddingsConstraint: Constraint | null;
  private _embeddings: Variable | null = null;

  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    super(options);
    this.inputDim = checkDim('input_dim', inputDim);
    this.outputDim = checkDim('output_dim', outputDim);
    this.maskZero = options.maskZero ?? false;
    this.embeddingsInitializer = getInitializer(options.embeddingsInitializer ?? new RandomUniform());
    this.embeddingsRegularizer = getRegularizer(options.embeddingsRegularizer);
    this.embeddingsConstraint = getConstraint(options.embeddingsConstraint);
  }

  override build(_inputShape: Shape): void {
    this._embeddings = this.addWeight({
      name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.embeddingsInitializer,
      regularizer: this.embeddingsRegularizer, constraint: this.embeddingsConstraint,
    });
  }

  /** The `[inputDim, outputDim]` table (after build). */
  get embeddings(): Variable {
    if (this._embeddings === null) throw new KerasValueError(`You must build the layer before accessing \`embeddings\` (layer "${this.name}").`);
    return this._embeddings;
  }

  override call(inputs: Tensor): Tensor {
    const ids = inputs.dtype === 'int32' ? inputs : inputs.int();
    const out = CF.embedding(ids, this.embeddings);
    const mask = this.computeMask(ids);
    if (mask !== null) setKerasMask(out, mask);
    return out;
  }

  /** `ids != 0` with `maskZero`, else null. */
  computeMask(inputs: Tensor): Tensor | null {
    return this.maskZero ? inputs.ne(0) : null;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.outputDim];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: serializeRegularizer(this.embeddingsRegularizer),
      embeddingsConstraint: serializeConstraint(this.embeddingsConstraint),
      maskZero: this.maskZero,
    };
  }

  static override fromConfig(config: LayerConfig): Embedding {
    return new Embedding(config.inputDim, config.outputDim, config);
  }
}
registerSerializable('layer', Embedding);
