/**
 * The order in which Keras 3 lists a functional model's layers
 * (`Functional.layers`, from `ops/function.py`'s `map_graph`). It decides
 * the layers' order in `config.json` and, through the numbering of repeated
 * class names, which h5 group (`dense`, `dense_1`, ...) holds which
 * layer's weights, so Duet must follow it to read and write Keras's files:
 *
 * - a depth-first walk from each output (in order) back through each node's
 *   inputs numbers the layers in the order first reached;
 * - a node's depth is 0 at the outputs and one more than the deepest node it
 *   feeds; a layer takes the largest depth of its nodes;
 * - layers are listed deepest first, ties by that first-reached number;
 *   inputs that feed no output come last at depth 0.
 */
import type { KerasTensor } from '../graph/keras_tensor.js';
import type { Node } from '../graph/node.js';
import type { Layer } from '../layers/layer.js';
import type { Model } from '../models/model.js';

export function kerasLayerOrder(model: Model): Layer[] {
  const inputs = new Set<KerasTensor>(model.inputs);
  const finished = new Set<Node>();
  const postOrder: Node[] = [];
  const firstSeen = new Map<Layer, number>();
  const visit = (t: KerasTensor) => {
    const h = t.kerasHistory;
    if (h === null) return;
    const node = h.node;
    if (finished.has(node)) return;
    if (!firstSeen.has(h.layer)) firstSeen.set(h.layer, firstSeen.size);
    if (!node.isInput && !inputs.has(t)) for (const x of node.inputTensors) visit(x);
    finished.add(node);
    postOrder.push(node);
  };
  for (const o of model.outputs) visit(o);

  const nodeDepth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...postOrder].reverse()) {
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    nodeDepth.set(node, depth);
    layerDepth.set(node.layer, depth);
    for (const p of node.parentNodes) nodeDepth.set(p, Math.max(depth + 1, nodeDepth.get(p) ?? 0));
  }
  for (const t of model.inputs) {
    const l = t.kerasHistory?.layer;
    if (l !== undefined && !layerDepth.has(l)) {
      layerDepth.set(l, 0);
      firstSeen.set(l, -1);
    }
  }
  return [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
}
