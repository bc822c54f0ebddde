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
import { KerasTensor } from '../graph/keras_tensor.js';
import type { Node } from '../graph/node.js';
import type { Layer, LayerConfig } from '../layers/layer.js';
import { deserialize, serialize, type Serialized } from '../registry.js';
import type { Model } from './model.js';

/** `[layerName, nodeIndex, tensorIndex]`: where a KerasTensor came from. */
export type TensorRef = [string, number, number];
type RefStructure = TensorRef | RefStructure[] | { [k: string]: RefStructure } | number | string | boolean | null;

interface LayerEntry extends Serialized {
  name: string;
  inboundNodes: { args: RefStructure; kwargs: Record<string, unknown> }[];
}

const isRef = (v: unknown): v is { kerasHistory: TensorRef } => v !== null && typeof v === 'object' && 'kerasHistory' in v;

/** The config of a functional model. */
export function functionalConfig(model: Model, layers: Layer[], nodes: Node[], inputs: unknown, outputs: unknown): LayerConfig {
  const inGraph = new Set(nodes);
  const nodeIndex = (n: Node) => n.layer.inboundNodes.filter((x) => x.isInput || inGraph.has(x)).indexOf(n);
  const ref = (t: KerasTensor): { kerasHistory: TensorRef } => {
    const h = t.kerasHistory!;
    return { kerasHistory: [h.layer.name, nodeIndex(h.node), h.tensorIndex] };
  };
  const refs = (s: unknown): unknown => {
    if (s instanceof KerasTensor) return ref(s);
    if (Array.isArray(s)) return s.map(refs);
    if (s !== null && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, refs(v)]));
    return s;
  };
  const entries: LayerEntry[] = layers.map((l) => ({
    ...serialize('layer', l),
    name: l.name,
    inboundNodes: l.inboundNodes.filter((n) => !n.isInput && inGraph.has(n)).map((n) => ({ args: refs(n.inputs) as RefStructure, kwargs: { ...n.callOptions } })),
  }));
  return { name: model.name, trainable: model.trainable, layers: entries, inputLayers: refs(inputs), outputLayers: refs(outputs) };
}

/** `{ inputs, outputs }` rebuilt from `functionalConfig`'s output (new layers, the same graph). */
export function functionalFromConfig(config: LayerConfig): { inputs: unknown; outputs: unknown } {
  const entries = config.layers as LayerEntry[];
  if (!Array.isArray(entries)) throw new KerasValueError(`A functional model's config needs \`layers\`. Received keys: ${JSON.stringify(Object.keys(config))}`);
  const byName = new Map<string, Layer>();
  for (const e of entries) byName.set(e.name, deserialize<Layer>('layer', { className: e.className, config: { ...e.config, name: e.name } }));
  /** Outputs of each replayed call: `${layer}:${nodeIndex}` -> its output KerasTensors. */
  const made = new Map<string, KerasTensor[]>();
  for (const e of entries) {
    const l = byName.get(e.name)!;
    if (l.inboundNodes[0]?.isInput) made.set(`${e.name}:0`, l.inboundNodes[0].outputTensors);
  }
  const resolve = (s: unknown): unknown => {
    if (isRef(s)) {
      const [name, node, tensor] = s.kerasHistory;
      const outs = made.get(`${name}:${node}`);
      if (outs === undefined) throw new Pending();
      return outs[tensor];
    }
    if (Array.isArray(s)) return s.map(resolve);
    if (s !== null && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, resolve(v)]));
    return s;
  };
  // Replay the calls; a call whose inputs are not made yet waits for a later pass (shared layers).
  const pending = entries.flatMap((e) => e.inboundNodes.map((n, i) => ({ e, n, i: byName.get(e.name)!.inboundNodes[0]?.isInput ? i + 1 : i })));
  while (pending.length > 0) {
    let progressed = false;
    for (let k = 0; k < pending.length; k++) {
      const { e, n, i } = pending[k]!;
      let args: unknown;
      try {
        args = resolve(n.args);
      } catch (err) {
        if (err instanceof Pending) continue;
        throw err;
      }
      const out = byName.get(e.name)!.apply(args, n.kwargs);
      made.set(`${e.name}:${i}`, Array.isArray(out) ? (out as KerasTensor[]) : [out as KerasTensor]);
      pending.splice(k--, 1);
      progressed = true;
    }
    if (!progressed) throw new KerasValueError(`Cannot rebuild the functional model "${config.name}": some layer calls refer to outputs that no other call makes (${pending.map((p) => p.e.name).join(', ')}).`);
  }
  return { inputs: resolve(config.inputLayers), outputs: resolve(config.outputLayers) };
}

class Pending extends Error {}
