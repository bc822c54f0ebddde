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
  /** Every layer of the graph, input layers first, each once. */
  readonly layers: Layer[];
  /** Input names by position (the InputLayers' names), for dict inputs. */
  readonly inputNames: string[];

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
    // Depth-first from the outputs: node depth = longest path to an output.
    const depth = new Map<Node, number>();
    const order = new Map<Node, number>();
    const available = new Set(this.inputs.map((t) => t.id));
    const visit = (node: Node, d: number, path: Set<Node>) => {
      if (path.has(node)) throw new KerasValueError(`The graph of layer "${node.layer.name}" has a cycle.`);
      if ((depth.get(node) ?? -1) >= d && order.has(node)) return;
      depth.set(node, Math.max(d, depth.get(node) ?? 0));
      path.add(node);
      for (const t of node.inputTensors) {
        if (available.has(t.id)) continue;
        const h = t.kerasHistory;
        if (h === null || h.node.isInput) {
          throw new KerasValueError(`Graph disconnected: cannot find parent for KerasTensor ${t} (an input not listed in the model's \`inputs\`), needed by layer "${node.layer.name}".`);
        }
        visit(h.node, d + 1, path);
      }
      path.delete(node);
      if (!order.has(node)) order.set(node, order.size);
    };
    for (const t of this.outputs) {
      const h = t.kerasHistory;
      if (h === null) throw new KerasValueError(`Output tensors of a functional model must be the output of a Keras layer. Received: ${t}`);
      if (!available.has(t.id)) visit(h.node, 0, new Set());
    }
    this.nodes = [...depth.keys()].sort((a, b) => depth.get(b)! - depth.get(a)! || order.get(a)! - order.get(b)!);
    const layers: Layer[] = this.inputs.map((t) => t.kerasHistory!.layer);
    for (const n of this.nodes) if (!layers.includes(n.layer)) layers.push(n.layer);
    this.layers = layers;
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
