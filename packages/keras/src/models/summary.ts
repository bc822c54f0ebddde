/**
 * `model.summary()`: Keras 3's table (as printed to an 80-column console),
 * layer by layer with output shapes and parameter counts, plus "Connected
 * to" for functional models with branches, and the totals.
 */
import type { Layer } from '../layers/layer.js';
import { shapeToString } from '../utils/shape.js';
import type { Model } from './model.js';

export interface SummaryOptions {
  /** Where lines go (default console.log). */
  printFn?: (line: string) => void;
  /** Also list the sublayers of nested models. Not supported yet (ignored). */
  expandNested?: boolean;
}

/** Keras's `readable_memory_size`: `397.54 KB`. */
function readableSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes.toFixed(2)} ${units[i]}`;
}

const fmtInt = (n: number) => n.toLocaleString('en-US');

/** Wrap `text` to `width` at spaces (or hard, for a long word). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const cand = line === '' ? word : `${line} ${word}`;
    if (cand.length <= width) {
      line = cand;
      continue;
    }
    if (line !== '') out.push(line);
    let w = word;
    while (w.length > width) {
      out.push(w.slice(0, width));
      w = w.slice(width);
    }
    line = w;
  }
  out.push(line);
  return out;
}

function table(headers: string[], widths: number[], align: ('l' | 'r')[], rows: string[][]): string[] {
  const bar = (l: string, m: string, r: string, h: string) => l + widths.map((w) => h.repeat(w)).join(m) + r;
  const cells = (vals: string[][], sep: string) => {
    const height = Math.max(...vals.map((v) => v.length));
    const lines: string[] = [];
    for (let k = 0; k < height; k++) {
      const parts = vals.map((v, i) => {
        const s = v[k] ?? '';
        const w = widths[i]! - 2;
        return ` ${align[i] === 'r' ? s.padStart(w) : s.padEnd(w)} `;
      });
      lines.push(sep + parts.join(sep) + sep);
    }
    return lines;
  };
  const out = [bar('┏', '┳', '┓', '━'), ...cells(headers.map((h) => [h]), '┃'), bar('┡', '╇', '┩', '━')];
  rows.forEach((r, i) => {
    out.push(...cells(r.map((c, j) => wrap(c, widths[j]! - 2).flatMap((x) => x.split('\n'))), '│'));
    out.push(i === rows.length - 1 ? bar('└', '┴', '┘', '─') : bar('├', '┼', '┤', '─'));
  });
  if (rows.length === 0) out.push(bar('└', '┴', '┘', '─'));
  return out;
}

function outputShape(model: Model, layer: Layer): string {
  const nodes = layer.inboundNodes.filter((n) => model.isFunctional ? model.layers.includes(n.layer) : true);
  const n = nodes[0];
  if (n === undefined) return '?';
  const shapes = n.outputTensors.map((t) => shapeToString(t.shape));
  return shapes.length === 1 ? shapes[0]! : `[${shapes.join(', ')}]`;
}

/**
 * Keras's rule for the plain table: a Sequential, a subclassed model, or a
 * functional chain (one node per depth, each with one input, no layer
 * called twice). Otherwise the table gets a "Connected to" column.
 */
function sequentialLike(model: Model): boolean {
  const graph = model.functionalGraph;
  if (graph === null || model.constructor.name === 'Sequential') return true;
  const perDepth = new Map<number, number>();
  for (const [node, d] of graph.nodeDepths) {
    perDepth.set(d, (perDepth.get(d) ?? 0) + 1);
    if (node.inputTensors.length > 1) return false;
  }
  if ([...perDepth.values()].some((n) => n > 1)) return false;
  const counted = new Map<Layer, number>();
  for (const node of graph.nodeDepths.keys()) counted.set(node.layer, (counted.get(node.layer) ?? 0) + 1);
  return [...counted.values()].every((n) => n === 1);
}

function connectedTo(layer: Layer): string {
  const n = layer.inboundNodes[0];
  if (n === undefined || n.isInput) return '-';
  return n.inputTensors.map((t) => {
    const h = t.kerasHistory!;
    return `${h.layer.name}[${h.layer.inboundNodes.indexOf(h.node)}][${h.tensorIndex}]`;
  }).join(', ');
}

/** Print the summary of `model`. */
export function printSummary(model: Model, options: SummaryOptions = {}): void {
  const print = options.printFn ?? ((s: string) => console.log(s));
  const layers = model.layers;
  const branched = !sequentialLike(model);
  const rows = layers.map((l) => {
    const name = `${l.name} (${l.constructor.name})`;
    const params = l.built ? fmtInt(l.weights.reduce((a, w) => a + w.numel(), 0)) : '0 (unbuilt)';
    const row = [name, outputShape(model, l), params];
    if (branched) row.push(connectedTo(l));
    return row;
  });
  print(`Model: "${model.name}"`);
  const lines = branched
    ? table(['Layer (type)', 'Output Shape', 'Param #', 'Connected to'], [21, 19, 12, 19], ['l', 'l', 'r', 'l'], rows)
    : table(['Layer (type)', 'Output Shape', 'Param #'], [33, 24, 15], ['l', 'l', 'r'], rows);
  for (const l of lines) print(l);
  const count = (ws: { numel(): number }[]) => ws.reduce((a, w) => a + w.numel(), 0);
  const trainable = count(model.trainableWeights);
  const nonTrainable = count(model.nonTrainableWeights);
  const optimizerParams = model.optimizer?.built ? count(model.optimizer.variables) : 0;
  const total = trainable + nonTrainable + optimizerParams;
  print(` Total params: ${fmtInt(total)} (${readableSize(total * 4)})`);
  print(` Trainable params: ${fmtInt(trainable)} (${readableSize(trainable * 4)})`);
  print(` Non-trainable params: ${fmtInt(nonTrainable)} (${readableSize(nonTrainable * 4)})`);
  if (optimizerParams > 0) print(` Optimizer params: ${fmtInt(optimizerParams)} (${readableSize(optimizerParams * 4)})`);
}
