/**
 * `keras.layers.InputLayer` and `keras.Input`: the entry point of a
 * functional graph (and the first entry of a Sequential).
 */
import { KerasValueError } from '../../errors.js';
import { KerasTensor, type SymbolicDType } from '../../graph/keras_tensor.js';
import { Node } from '../../graph/node.js';
import { registerSerializable } from '../../registry.js';
import { standardizeShape, type Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig } from '../layer.js';

export interface InputOptions {
  /** The shape without the batch axis (`[784]`); null for a size that varies. */
  shape?: (number | null)[];
  /** A fixed batch size (default: any). */
  batchSize?: number | null;
  /** The full shape including the batch axis, instead of `shape` + `batchSize`. */
  batchShape?: (number | null)[];
  /** 'float32' (default) or 'int32' (e.g. token ids). */
  dtype?: SymbolicDType;
  name?: string;
}

export class InputLayer extends Layer {
  readonly batchShape: Shape;
  readonly inputDtype: SymbolicDType;

  constructor(options: InputOptions = {}) {
    super({ name: options.name });
    if (options.shape !== undefined && options.batchShape !== undefined) {
      throw new KerasValueError('You cannot pass both `shape` and `batchShape` at the same time.');
    }
    if (options.shape === undefined && options.batchShape === undefined) {
      throw new KerasValueError('You must pass a `shape` argument.');
    }
    this.batchShape = options.batchShape !== undefined
      ? standardizeShape(options.batchShape, 'batchShape')
      : [options.batchSize ?? null, ...standardizeShape(options.shape, 'shape')];
    this.inputDtype = options.dtype ?? 'float32';
    this.built = true;
    this.inboundNodes.push(new Node(this, [], new KerasTensor(this.batchShape, { dtype: this.inputDtype, name: this.name })));
  }

  override getConfig(): LayerConfig {
    return { batchShape: this.batchShape, dtype: this.inputDtype, name: this.name };
  }

  static override fromConfig(config: LayerConfig): InputLayer {
    return new InputLayer({ batchShape: config.batchShape, dtype: config.dtype, name: config.name });
  }
}
registerSerializable('layer', InputLayer);

/**
 * A symbolic input: `const inputs = keras.Input({ shape: [784] })`, then
 * `layer.apply(inputs)` and `new keras.Model({ inputs, outputs })`.
 */
export function Input(options: InputOptions): KerasTensor {
  return new InputLayer(options).output as KerasTensor;
}
