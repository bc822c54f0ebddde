/**
 * `Node`: one call of a layer on KerasTensors (Keras's `ops/node.py`). It
 * holds the call's input and output KerasTensors and the call options;
 * functional models run their nodes in order.
 */
import type { Layer } from '../layers/layer.js';
import { flattenSymbolic, type KerasTensor } from './keras_tensor.js';

export class Node {
  readonly inputTensors: KerasTensor[];
  readonly outputTensors: KerasTensor[];

  constructor(
    readonly layer: Layer,
    /** The call's inputs as passed (a KerasTensor, an array or an object of them). */
    readonly inputs: unknown,
    /** The call's outputs as returned. */
    readonly outputs: unknown,
    /** Call options other than `training` (which the model passes at run time). */
    readonly callOptions: Record<string, unknown> = {},
  ) {
    this.inputTensors = flattenSymbolic(inputs);
    this.outputTensors = flattenSymbolic(outputs);
    this.outputTensors.forEach((t, i) => (t.kerasHistory = { layer, node: this, tensorIndex: i }));
  }

  /** Nodes whose outputs feed this one. */
  get parentNodes(): Node[] {
    const out: Node[] = [];
    for (const t of this.inputTensors) if (t.kerasHistory !== null && !out.includes(t.kerasHistory.node)) out.push(t.kerasHistory.node);
    return out;
  }

  /** An input node (made by `keras.Input`): no inputs. */
  get isInput(): boolean {
    return this.inputTensors.length === 0;
  }
}
