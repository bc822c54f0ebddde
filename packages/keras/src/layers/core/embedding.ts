/** `keras.layers.Embedding`: integer indices -> rows of an `[inputDim, outputDim]` table (nn's `F.embedding`). */
import type { Tensor } from '@duet/core';
import { F } from '@duet/nn';
import { KerasValueError } from '../../errors.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints/constraint.js';
import type { KerasTensor, SymbolicDType } from '../../graph/keras_tensor.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers/regularizer.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';

export interface EmbeddingOptions extends LayerOptions {
  /** Default 'uniform' (U(-0.05, 0.05), Keras's). */
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier;
  embeddingsConstraint?: ConstraintIdentifier;
  /** Treat index 0 as padding: the output carries a mask (ids != 0) for the layers after it. Default false. */
  maskZero?: boolean;
}

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { tensor } from '@duet/core';
 * const emb = new keras.layers.Embedding(1000, 16);
 * emb.apply(tensor([[1, 2, 3]], { dtype: 'int32' })).shape; // [1, 3, 16]
 * ```
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly embeddingsConstraint: Constraint | null;
  readonly maskZero: boolean;
  embeddings: Variable | null = null;

  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    super(options);
    for (const [name, v] of [['input_dim', inputDim], ['output_dim', outputDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new KerasValueError(`Received an invalid value for argument \`${name}\`. Expected a positive integer. Received: ${name}=${String(v)}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.embeddingsInitializer = getInitializer(options.embeddingsInitializer ?? 'uniform');
    this.embeddingsRegularizer = getRegularizer(options.embeddingsRegularizer);
    this.embeddingsConstraint = getConstraint(options.embeddingsConstraint);
    this.maskZero = options.maskZero ?? false;
    this.supportsMasking = this.maskZero;
  }

  /** With `maskZero`: the ids that are not 0. */
  override computeMask(inputs: unknown): Tensor | null {
    return this.maskZero ? (inputs as Tensor).ne(0) : null;
  }

  override build(): void {
    this.embeddings = this.addWeight({
      name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.embeddingsInitializer,
      regularizer: this.embeddingsRegularizer, constraint: this.embeddingsConstraint,
    });
  }

  override call(inputs: Tensor): Tensor {
    return F.embedding(inputs.dtype === 'int32' ? inputs : inputs.int(), this.embeddings!);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.outputDim];
  }
  protected override outputDtype(_inputs: KerasTensor[]): SymbolicDType {
    return 'float32';
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
