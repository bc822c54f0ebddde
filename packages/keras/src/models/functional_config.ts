/**
 * The config of a functional model (Keras 3's `Functional.get_config` /
 * `functional_from_config`): its layers, each with its config and the calls
 * that feed it (`inboundNodes`: the call's arguments with each KerasTensor
 * written as `[layerName, nodeIndex, tensorIndex]`), and where the model's
 * inputs and outputs come from. `fromConfig` rebuilds the layers (through the
 * registry) and replays the calls in order. camelCase keys; `.keras` files
 * map them to Keras's snake_case.
 */
import { KerasValueError } from '../errors.js';
import { graphHistory, isKerasTensor, mapLeaves, replayCalls, type TensorRef } from '../graph/graph_config.js';
import type { KerasTensor } from '../graph/keras_tensor.js';
import type { Node } from '../graph/node.js';
import type { Layer, LayerConfig } from '../layers/layer.js';
import { deserialize, serialize, type Serialized } from '../registry.js';
import type { Model } from './model.js';

export type { TensorRef };
type RefStructure = TensorRef | RefStructure[] | { [k: string]: RefStructure } | number | string | boolean | null;

interface LayerEntry extends Serialized {
  name: string;
  inboundNodes: { args: RefStructure; kwargs: Record<string, unknown> }[];
}

/** Duet's spelling of a tensor: `{ kerasHistory: [layerName, nodeIndex, tensorIndex] }`. */
const isRef = (v: unknown): v is { kerasHistory: TensorRef } => v !== null && typeof v === 'object' && 'kerasHistory' in v;

/** The config of a functional model. */
export function functionalConfig(model: Model, layers: Layer[], nodes: Node[], inputs: unknown, outputs: unknown): LayerConfig {
  const g = graphHistory(new Set(nodes));
  const refs = (s: unknown) => mapLeaves(s, isKerasTensor, (t) => ({ kerasHistory: g.history(t) }));
  const entries: LayerEntry[] = layers.map((l) => ({
    ...serialize('layer', l),
    name: l.name,
    inboundNodes: g.calls(l).map((n) => ({ args: refs(n.inputs) as RefStructure, kwargs: { ...n.callOptions } })),
  }));
  return { name: model.name, trainable: model.trainable, layers: entries, inputLayers: refs(inputs), outputLayers: refs(outputs) };
}

/** `{ inputs, outputs }` rebuilt from `functionalConfig`'s output (new layers, the same graph). */
export function functionalFromConfig(config: LayerConfig): { inputs: unknown; outputs: unknown } {
  const entries = config.layers as LayerEntry[];
  if (!Array.isArray(entries)) throw new KerasValueError(`A functional model's config needs \`layers\`. Received keys: ${JSON.stringify(Object.keys(config))}`);
  const saved = entries.map((e) => ({ layer: deserialize<Layer>('layer', { className: e.className, config: { ...e.config, name: e.name } }), calls: e.inboundNodes }));
  const { tensor, stuck } = replayCalls(saved, (layer, n, tensor) => layer.apply(mapLeaves(n.args, isRef, (r) => tensor(r.kerasHistory)), n.kwargs));
  if (stuck !== undefined) throw new KerasValueError(`Cannot rebuild the functional model "${config.name}": the calls of layer "${stuck.name}" refer to outputs that no other call makes.`);
  const resolve = (s: unknown) =>
    mapLeaves(s, isRef, (r): KerasTensor => {
      const t = tensor(r.kerasHistory);
      if (t === undefined) throw new KerasValueError(`Cannot rebuild the functional model "${config.name}": no layer call makes ${JSON.stringify(r.kerasHistory)}.`);
      return t;
    });
  return { inputs: resolve(config.inputLayers), outputs: resolve(config.outputLayers) };
}
