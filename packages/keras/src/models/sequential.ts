/**
 * `keras.Sequential`: a stack of single-input, single-output layers. Once
 * the input shape is known (a `keras.Input` as first entry, a first layer's
 * `inputShape`, or the first call / `fit`) it becomes a functional graph, as
 * in Keras 3, so `summary()` shows output shapes and `model.inputs` exist.
 */
import { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { KerasTensor } from '../graph/keras_tensor.js';
import { InputLayer } from '../layers/core/input_layer.js';
import { Layer, type CallOptions, type LayerConfig } from '../layers/layer.js';
import { deserialize, registerSerializable, serialize, type Serialized } from '../registry.js';
import { uniqueName } from '../utils/naming.js';
import type { Shape } from '../utils/shape.js';
import { Model } from './model.js';

export interface SequentialOptions {
  name?: string;
  trainable?: boolean;
}

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * const model = new keras.Sequential([
 *   keras.Input({ shape: [784] }),
 *   new keras.layers.Dense(128, { activation: 'relu' }),
 *   new keras.layers.Dense(10, { activation: 'softmax' }),
 * ]);
 * model.countParams(); // 101770
 * ```
 */
export class Sequential extends Model {
  private _layers: Layer[] = [];

  constructor(layers: (Layer | KerasTensor)[] = [], options: SequentialOptions = {}) {
    super({ name: options.name ?? uniqueName('sequential'), trainable: options.trainable });
    if (!Array.isArray(layers)) throw new KerasValueError(`Sequential expects an array of layers. Received: ${String(layers)}`);
    for (const l of layers) this.add(l, { rebuild: false });
    this._maybeRebuild();
  }

  /** Append a layer (or a `keras.Input` as first entry). */
  add(layer: Layer | KerasTensor, options: { rebuild?: boolean } = {}): void {
    let l: Layer | KerasTensor = layer;
    if (l instanceof KerasTensor) {
      const h = l.kerasHistory;
      if (h === null || !(h.layer instanceof InputLayer)) throw new KerasValueError(`Only a KerasTensor from keras.Input can be added to a Sequential model. Received: ${l}`);
      l = h.layer;
    }
    if (!(l instanceof Layer)) {
      throw new KerasValueError(`Only instances of \`keras.Layer\` can be added to a Sequential model. Received: ${String(layer)} (of type ${typeof layer})`);
    }
    if (l instanceof InputLayer && this._layers.length > 0) {
      throw new KerasValueError(`Sequential model '${this.name}' has already been configured to use an input. You cannot add an InputLayer now.`);
    }
    if (this._layers.some((x) => x.name === l.name)) {
      throw new KerasValueError(`All layers added to a Sequential model should have unique names. Name '${l.name}' is already the name of a layer in this model. Update the \`name\` argument to pass a unique name.`);
    }
    this._layers.push(l);
    if (options.rebuild ?? true) this._maybeRebuild();
  }

  /** Remove the last layer and return it. */
  pop(): Layer {
    const n = this.layers.length;
    if (n === 0) throw new KerasValueError('There are no layers in the model.');
    const l = this._layers.pop()!;
    this.graph = null;
    this.built = false;
    this._maybeRebuild();
    return l;
  }

  /** The layers, without the InputLayer (as Keras's `Sequential.layers`). */
  override get layers(): Layer[] {
    return this._layers.filter((l) => !(l instanceof InputLayer));
  }

  protected override _sublayers(): Layer[] {
    return [...this._layers];
  }

  /** The input shape known before any call (InputLayer or first layer's `inputShape`). */
  private _knownInputShape(): Shape | null {
    const first = this._layers[0];
    if (first instanceof InputLayer) return first.batchShape;
    return first?.batchInputShape ?? null;
  }

  private _maybeRebuild(): void {
    const shape = this._knownInputShape();
    if (shape !== null && this.layers.length > 0) this._buildGraph(shape);
  }

  /** Become a functional graph over inputs of `inputShape` (batch axis included). */
  private _buildGraph(inputShape: Shape): void {
    const first = this._layers[0];
    const inputLayer = first instanceof InputLayer ? first : new InputLayer({ batchShape: inputShape });
    let x = inputLayer.output as KerasTensor;
    const inputs = x;
    for (const l of this.layers) {
      const out = l.apply(x);
      if (!(out instanceof KerasTensor)) {
        throw new KerasValueError(`All layers in a Sequential model should have a single output tensor. For multi-output layers, use the functional API. Layer "${l.name}" returned several outputs.`);
      }
      x = out;
    }
    if (!(first instanceof InputLayer)) this._layers.unshift(inputLayer);
    this._setGraph(inputs, x);
  }

  override maybeBuild(inputShape: Shape | Shape[]): void {
    if (this.built) return;
    if (Array.isArray(inputShape[0])) throw new KerasValueError(`Sequential models take a single input. Received input shapes: ${JSON.stringify(inputShape)}`);
    if (this.layers.length === 0) throw new KerasValueError(`Sequential model ${this.name} cannot be built because it has no layers. Call \`model.add(layer)\`.`);
    this._buildGraph([null, ...(inputShape as Shape).slice(1)]);
  }

  override call(inputs: unknown, options: CallOptions): unknown {
    let x = inputs;
    for (const l of this.layers) x = l.apply(x as Tensor, { training: options.training });
    return x;
  }

  override getConfig(): LayerConfig {
    return { name: this.name, trainable: this.trainable, layers: this._layers.map((l) => serialize('layer', l)) };
  }

  static override fromConfig(config: LayerConfig): Sequential {
    const layers = ((config.layers ?? []) as Serialized[]).map((s) => deserialize<Layer>('layer', s));
    return new Sequential(layers, { name: config.name, trainable: config.trainable });
  }
}
registerSerializable('layer', Sequential);
