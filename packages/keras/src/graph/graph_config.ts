/**
 * What the two configs of a functional graph share: Duet's own
 * (`Model.getConfig`, models/functional_config.ts, camelCase) and Keras 3's
 * `config.json` (saving/model_json.ts; tfjs model.json files are rewritten
 * into it). Both list each layer with the calls that feed it, and name every
 * tensor by where it came from, `[layerName, nodeIndex, tensorIndex]`; they
 * differ only in spelling, which each format keeps to itself.
 *
 * Writing: `graphHistory` numbers the calls as Keras does (a layer's calls
 * in this graph, in the order they were made; an Input's own node is 0).
 * Reading: `replayCalls` is Keras's `functional_from_config` loop.
 */
import { KerasTensor } from './keras_tensor.js';
import type { Node } from './node.js';
import type { Layer } from '../layers/layer.js';

/** `[layerName, nodeIndex, tensorIndex]`: where a KerasTensor came from. */
export type TensorRef = [string, number, number];

/** `s` with each value `isLeaf` picks replaced by `f` of it (arrays and plain objects walked). */
export function mapLeaves<T>(s: unknown, isLeaf: (v: unknown) => v is T, f: (v: T) => unknown): unknown {
  if (isLeaf(s)) return f(s);
  if (Array.isArray(s)) return s.map((v) => mapLeaves(v, isLeaf, f));
  if (s !== null && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, mapLeaves(v, isLeaf, f)]));
  return s;
}

export const isKerasTensor = (v: unknown): v is KerasTensor => v instanceof KerasTensor;

/**
 * The calls of the graph made of `nodes` (input nodes may be left out), as
 * both configs number them: `calls(layer)` are the layer's calls in the
 * graph in order, and `history(t)` is where `t` came from.
 */
export function graphHistory(nodes: ReadonlySet<Node>): { calls(layer: Layer): Node[]; history(t: KerasTensor): TensorRef } {
  const inGraph = (n: Node) => n.isInput || nodes.has(n);
  return {
    calls: (layer) => layer.inboundNodes.filter((n) => !n.isInput && nodes.has(n)),
    history: (t) => {
      const h = t.kerasHistory!;
      return [h.layer.name, h.layer.inboundNodes.filter(inGraph).indexOf(h.node), h.tensorIndex];
    },
  };
}

/** One layer of a config being read, with its saved calls (in the format's spelling). */
export interface SavedLayer<C> {
  layer: Layer;
  calls: C[];
}

/** Thrown by `tensor` in `replayCalls`'s `call` for a tensor no call has made yet. */
class Pending extends Error {}

/**
 * Replay the saved calls (Keras's `functional_from_config`): each layer's
 * calls in order, as far as their inputs exist, over and over until nothing
 * moves (a layer shared at several depths waits for a later layer's output).
 * `call` applies one saved call, reading its input tensors with `tensor`.
 * Returns the tensor made for each `[layer, node, tensor]` (Inputs' outputs
 * are node 0), and the first layer with calls left (the config refers to
 * tensors nothing makes), if any.
 */
export function replayCalls<C>(
  layers: readonly SavedLayer<C>[],
  call: (layer: Layer, saved: C, tensor: (ref: TensorRef) => KerasTensor) => unknown,
): { tensor(ref: TensorRef): KerasTensor | undefined; stuck: Layer | undefined } {
  const made = new Map<string, KerasTensor>();
  const key = ([layer, node, index]: TensorRef) => `${layer}\u0000${node}\u0000${index}`;
  for (const { layer } of layers) {
    const first = layer.inboundNodes[0];
    if (first?.isInput) first.outputTensors.forEach((t, i) => made.set(key([layer.name, 0, i]), t));
  }
  const tensor = (ref: TensorRef) => {
    const t = made.get(key(ref));
    if (t === undefined) throw new Pending();
    return t;
  };
  // An Input's own node is its node 0, so its calls (none) would count from 1.
  const todo = layers.map(({ layer, calls }) => ({ layer, calls, first: layer.inboundNodes[0]?.isInput ? 1 : 0, done: 0 }));
  for (let progress = true; progress;) {
    progress = false;
    for (const s of todo) {
      while (s.done < s.calls.length) {
        let out: unknown;
        try {
          out = call(s.layer, s.calls[s.done]!, tensor);
        } catch (e) {
          if (e instanceof Pending) break;
          throw e;
        }
        (Array.isArray(out) ? out : [out]).forEach((t, j) => made.set(key([s.layer.name, s.first + s.done, j]), t as KerasTensor));
        s.done++;
        progress = true;
      }
    }
  }
  return { tensor: (ref) => made.get(key(ref)), stuck: todo.find((s) => s.done < s.calls.length)?.layer };
}
