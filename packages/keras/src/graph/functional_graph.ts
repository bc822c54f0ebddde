/**
 * The graph of a functional model (Keras 3's `ops/function.py` +
 * `models/functional.py`): the nodes between some input KerasTensors and
 * some output KerasTensors, ordered by depth, and how to run them on real
 * tensors (or on KerasTensors, when the model is itself called inside
 * another functional model).
 */
import { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import type { Layer, CallOptions } from '../layers/layer.js';
import { InputLayer } from '../layers/core/input_layer.js';
import { KerasTensor, flattenSymbolic } from './keras_tensor.js';
import type { Node } from './node.js';

export class FunctionalGraph {
  readonly inputs: KerasTensor[];
  readonly outputs: KerasTensor[];
  /** Nodes to run, inputs first (decreasing depth, ties in discovery order). */
  readonly nodes: Node[];
  /** Every layer of the graph, each once, in Keras's order (by decreasing depth, then first seen from the outputs). */
  readonly layers: Layer[];
  /** Input names by position (the InputLayers' names), for dict inputs. */
  readonly inputNames: string[];
  /** Each node's depth (0 for the nodes that make the outputs), as Keras's `nodes_by_depth`. */
  readonly nodeDepths: Map<Node, number>;

  constructor(inputs: unknown, outputs: unknown) {
    this.inputs = flattenSymbolic(inputs);
    this.outputs = flattenSymbolic(outputs);
    if (this.inputs.length === 0) throw new KerasValueError(`All \`inputs\` values must be KerasTensors (from keras.Input). Received: inputs=${String(inputs)}`);
    if (this.outputs.length === 0) throw new KerasValueError(`All \`outputs\` values must be KerasTensors. Received: outputs=${String(outputs)}`);
    for (const t of this.inputs) {
      const h = t.kerasHistory;
      if (h === null || !(h.layer instanceof InputLayer)) {
        throw new KerasValueError(`Model inputs must come from \`keras.Input\` (thus holding past layer metadata). They cannot be the output of a previous non-Input layer. Received: inputs=${t}`);
      }
    }
    this.inputNames = this.inputs.map((t) => t.kerasHistory!.layer.name);
    // Keras's map_graph: a depth-first walk from the outputs (stopping at the model's inputs) gives the
    // nodes in decreasing depth and each layer's first-seen index; depths then flow back from the outputs.
    const inputIds = new Set(this.inputs.map((t) => t.id));
    const finished = new Set<Node>();
    const inProgress = new Set<Node>();
    const decreasing: Node[] = [];
    const layerIndex = new Map<Layer, number>();
    const walk = (t: KerasTensor) => {
      const h = t.kerasHistory;
      if (h === null) throw new KerasValueError(`Output tensors of a functional model must be the output of a Keras layer. Received: ${t}`);
      const node = h.node;
      if (finished.has(node)) return;
      if (inProgress.has(node)) throw new KerasValueError(`The graph of layer "${node.layer.name}" has a cycle.`);
      if (!layerIndex.has(node.layer)) layerIndex.set(node.layer, layerIndex.size);
      inProgress.add(node);
      if (!node.isInput && !inputIds.has(t.id)) for (const x of node.inputTensors) walk(x);
      inProgress.delete(node);
      finished.add(node);
      decreasing.push(node);
    };
    for (const t of this.outputs) walk(t);
    const nodeDepth = new Map<Node, number>();
    const layerDepth = new Map<Layer, number>();
    for (const node of [...decreasing].reverse()) {
      const d = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
      layerDepth.set(node.layer, d);
      nodeDepth.set(node, d);
      for (const p of node.parentNodes) nodeDepth.set(p, Math.max(d + 1, nodeDepth.get(p) ?? 0));
    }
    this.nodeDepths = nodeDepth;
    const rank = new Map(decreasing.map((n, i) => [n, i]));
    this.nodes = decreasing.filter((n) => !n.isInput).sort((a, b) => nodeDepth.get(b)! - nodeDepth.get(a)! || rank.get(a)! - rank.get(b)!);
    // Every call must be computable from the model's inputs.
    const known = new Set(inputIds);
    for (const n of this.nodes) {
      for (const t of n.inputTensors) {
        if (!known.has(t.id)) {
          throw new KerasValueError(`Graph disconnected: cannot find parent for KerasTensor ${t} (an input not listed in the model's \`inputs\`), needed by layer "${n.layer.name}". The model's inputs are: ${this.inputNames.join(', ')}.`);
        }
      }
      for (const t of n.outputTensors) known.add(t.id);
    }
    for (const t of this.outputs) if (!known.has(t.id)) throw new KerasValueError(`Graph disconnected: the output ${t} cannot be computed from the model's inputs.`);
    this.layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || layerIndex.get(a)! - layerIndex.get(b)!);
  }

  /** Run the graph: `values` are the inputs in order; returns the outputs in order. */
  run(values: Tensor[], options: CallOptions): Tensor[] {
    const env = new Map<number, Tensor>();
    this.inputs.forEach((t, i) => env.set(t.id, values[i]!));
    for (const node of this.nodes) {
      const args = substitute(node.inputs, env);
      const out = node.layer.apply(args, { ...node.callOptions, training: options.training });
      const outs = out instanceof Tensor ? [out] : (flattenValues(out) as Tensor[]);
      node.outputTensors.forEach((t, i) => env.set(t.id, outs[i]!));
    }
    return this.outputs.map((t) => env.get(t.id)!);
  }

  /** Run the graph on KerasTensors (the model called inside another graph): symbolic outputs. */
  runSymbolic(values: KerasTensor[]): KerasTensor[] {
    const env = new Map<number, KerasTensor>();
    this.inputs.forEach((t, i) => env.set(t.id, values[i]!));
    for (const node of this.nodes) {
      const args = substitute(node.inputs, env);
      const out = node.layer.computeOutputSpec(args, node.callOptions);
      const outs = flattenSymbolic(out);
      node.outputTensors.forEach((t, i) => env.set(t.id, outs[i]!));
    }
    return this.outputs.map((t) => env.get(t.id)!);
  }
}

/** The structure `s` with each KerasTensor replaced by its value in `env`. */
function substitute<V>(s: unknown, env: Map<number, V>): unknown {
  if (s instanceof KerasTensor) return env.get(s.id)!;
  if (Array.isArray(s)) return s.map((x) => substitute(x, env));
  if (s !== null && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, substitute(v, env)]));
  return s;
}

function flattenValues(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(flattenValues);
  if (v !== null && typeof v === 'object' && !(v instanceof Tensor)) return Object.values(v).flatMap(flattenValues);
  return [v];
}
