/**
 * Post-training int8 weight quantization (per output channel, symmetric),
 * as PyTorch's `torch.ao.quantization.quantize_dynamic(model, {nn.Linear},
 * dtype=torch.qint8)` quantizes weights: for nn `Linear` / `Conv1d` /
 * `Conv2d` weights and Keras `Dense` / `Conv1D` / `Conv2D` kernels. Biases
 * and every other tensor stay float32.
 *
 * The quantized file is safetensors:
 *
 * | tensor | dtype | shape |
 * |---|---|---|
 * | `<key>` of a quantized weight | I8 | the weight's shape |
 * | `<key>.scale` | F32 | [channels] (one per output channel) |
 * | every other tensor (biases, BatchNorm statistics, ...) | F32 | its shape |
 *
 * `__metadata__`: `format` = `duet-int8`, `style` = `nn` or `keras`, and
 * `quantization` = JSON `{ scheme: 'per_channel_symmetric', dtype: 'int8',
 * tensors: { <key>: { axis } } }` (axis: the channel dim, 0 for nn weights
 * `[out, ...]`, the last for Keras kernels `[..., out]`; zero point 0).
 * Keys are the nn state-dict keys (`fc1.weight`) or the Keras weights'
 * paths (`dense/kernel`); `order` = JSON list of the keys in the model's
 * order. Loading dequantizes (`w = q * scale`) into the model's float
 * weights: by key for nn (`loadStateDict`, strict), by position for Keras
 * (as Keras's `load_weights`; a second build of the same architecture has
 * other layer names), with shapes checked.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * import { loadQuantized, saveQuantized } from '@duet/compress';
 * const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
 * const report = saveQuantized(model, '/tmp/model.int8.safetensors');
 * const fresh = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
 * loadQuantized(fresh, '/tmp/model.int8.safetensors');
 * console.log(report.fileBytes, report.quantized);
 * ```
 */
import { Tensor, tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '@duet/keras';
import { QuantizationError } from './errors.js';
import { dequantizePerChannel, quantizePerChannel, type Int8Weight } from './int8.js';
import { readSafetensors, writeSafetensors, type StEntry } from './safetensors.js';

export type QuantizableModel = nn.Module | keras.Layer;
type LayerClass = abstract new (...args: any[]) => nn.Module | keras.Layer;

const NN_TYPES: LayerClass[] = [nn.Linear, nn.Conv1d, nn.Conv2d];
const KERAS_TYPES: LayerClass[] = [keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D];
const SUPPORTED = 'nn.Linear, nn.Conv1d, nn.Conv2d (nn) and keras.layers.Dense, Conv1D, Conv2D (Keras)';

export interface QuantizeOptions {
  /**
   * Layer classes whose weights are quantized (PyTorch's `qconfig_spec`);
   * default every supported class. A class that is not supported raises a
   * QuantizationError.
   */
  types?: LayerClass[];
}

export interface QuantizedState {
  style: 'nn' | 'keras';
  /** Quantized weights by key. */
  int8: Map<string, Int8Weight>;
  /** Everything else, float32, by key. */
  float: Map<string, { shape: number[]; values: Float32Array }>;
  /** Every key in the model's order (state-dict order, or `model.weights` order). */
  order: string[];
}

export interface QuantizationReport {
  /** Keys of the quantized weights. */
  quantized: string[];
  /** Bytes of float32 weights before (all tensors). */
  floatBytes: number;
  /** Bytes of tensor data after (int8 weights + scales + float tensors). */
  quantizedBytes: number;
  /** Size of the written file (saveQuantized). */
  fileBytes: number;
}

function checkTypes(types: LayerClass[] | undefined): LayerClass[] {
  if (types === undefined) return [...NN_TYPES, ...KERAS_TYPES];
  for (const t of types) {
    if (![...NN_TYPES, ...KERAS_TYPES].includes(t)) {
      throw new QuantizationError(`quantizing ${typeof t === 'function' ? t.name : String(t)} is not supported: int8 weight quantization supports ${SUPPORTED}.`);
    }
  }
  return types;
}

/** The model's tensors by key, with the channel axis of those to quantize. */
function collect(model: QuantizableModel, types: LayerClass[]): { style: 'nn' | 'keras'; tensors: [string, Tensor, number | null][] } {
  if (model instanceof nn.Module) {
    const quantize = new Map<Tensor, number>();
    for (const m of model.modules()) {
      if (!types.some((T) => m instanceof T)) continue;
      const w = (m as nn.Module & { weight: Tensor | null }).weight;
      const last = (m as { dataFormat?: string }).dataFormat === 'channelsLast';
      if (w instanceof Tensor) quantize.set(w, last ? w.ndim - 1 : 0);
    }
    return { style: 'nn', tensors: Object.entries(model.stateDict()).map(([k, t]) => [k, t, quantize.get(t) ?? null]) };
  }
  if (model instanceof keras.Layer) {
    const quantize = new Set<Tensor>();
    for (const l of [model, ...model.flattenLayers()]) {
      if (!types.some((T) => l instanceof T) || !l.built) continue;
      const kernel = (l as keras.Layer & { kernel?: Tensor }).kernel;
      if (kernel instanceof Tensor) quantize.add(kernel);
    }
    const seen = new Set<string>();
    return {
      style: 'keras',
      tensors: model.weights.map((w) => {
        if (seen.has(w.path)) throw new QuantizationError(`two weights of the model share the path '${w.path}'; give the layers distinct names.`);
        seen.add(w.path);
        return [w.path, w, quantize.has(w) ? w.ndim - 1 : null];
      }),
    };
  }
  throw new QuantizationError(`expected an nn.Module or a Keras model; received ${typeof model}.`);
}

/** Quantize the model's weights (the model is not changed). */
export function quantizeWeights(model: QuantizableModel, options: QuantizeOptions = {}): QuantizedState {
  const types = checkTypes(options.types);
  const { style, tensors } = collect(model, types);
  const state: QuantizedState = { style, int8: new Map(), float: new Map(), order: tensors.map(([k]) => k) };
  for (const [key, t, axis] of tensors) {
    if (t.dtype !== 'float32') throw new QuantizationError(`'${key}' has dtype ${t.dtype}; the quantized file stores float32 tensors and int8 weights only.`);
    const values = Float32Array.from(t.dataSync());
    if (axis === null) state.float.set(key, { shape: [...t.shape], values });
    else state.int8.set(key, quantizePerChannel(values, t.shape, axis));
  }
  return state;
}

/** Write the quantized file (layout above). */
export function saveQuantized(model: QuantizableModel, path: string, options: QuantizeOptions = {}): QuantizationReport {
  const state = quantizeWeights(model, options);
  const entries: StEntry[] = [];
  const axes: Record<string, { axis: number }> = {};
  let floatBytes = 0;
  for (const [key, w] of state.int8) {
    entries.push({ name: key, dtype: 'I8', shape: w.shape, data: w.values });
    entries.push({ name: `${key}.scale`, dtype: 'F32', shape: [w.scales.length], data: w.scales });
    axes[key] = { axis: w.axis };
    floatBytes += w.values.length * 4;
  }
  for (const [key, t] of state.float) {
    if (state.int8.has(key.replace(/\.scale$/, ''))) throw new QuantizationError(`the model has a tensor '${key}', which the file uses for a scale.`);
    entries.push({ name: key, dtype: 'F32', shape: t.shape, data: t.values });
    floatBytes += t.values.byteLength;
  }
  const metadata = {
    format: 'duet-int8',
    style: state.style,
    quantization: JSON.stringify({ scheme: 'per_channel_symmetric', dtype: 'int8', tensors: axes }),
    order: JSON.stringify(state.order),
  };
  const fileBytes = writeSafetensors(path, entries, metadata);
  const quantizedBytes = entries.reduce((s, e) => s + e.data.byteLength, 0);
  return { quantized: [...state.int8.keys()], floatBytes, quantizedBytes, fileBytes };
}

/** Read a quantized file and dequantize it into `{ key: Float32 tensor }` (yours; dispose when done). */
export function readQuantized(path: string): { style: string; tensors: Map<string, Tensor>; order: string[] } {
  const { entries, metadata } = readSafetensors(path);
  if (metadata.format !== 'duet-int8') throw new QuantizationError(`${path} is not a Duet int8 file: its __metadata__.format is ${JSON.stringify(metadata.format)}, expected "duet-int8".`);
  const spec = JSON.parse(metadata.quantization ?? '{"tensors":{}}') as { tensors: Record<string, { axis: number }> };
  const out = new Map<string, Tensor>();
  for (const [key, e] of entries) {
    if (key.endsWith('.scale') && spec.tensors[key.slice(0, -'.scale'.length)] !== undefined) continue;
    const q = spec.tensors[key];
    if (q !== undefined) {
      const scale = entries.get(`${key}.scale`);
      if (e.dtype !== 'I8' || scale === undefined || scale.dtype !== 'F32') throw new QuantizationError(`${path}: '${key}' should be I8 with an F32 '${key}.scale'.`);
      const values = dequantizePerChannel({ shape: e.shape, axis: q.axis, values: e.data as Int8Array, scales: scale.data as Float32Array });
      out.set(key, tensor(values, { shape: e.shape }));
    } else out.set(key, tensor(Float32Array.from(e.data as Float32Array), { shape: e.shape }));
  }
  return { style: metadata.style ?? '', tensors: out, order: JSON.parse(metadata.order ?? '[]') as string[] };
}

/** Dequantize-on-load: read the file and put its (dequantized) weights into `model`. */
export function loadQuantized(model: QuantizableModel, path: string): void {
  const { style, tensors, order } = readQuantized(path);
  try {
    if (model instanceof nn.Module) {
      if (style !== 'nn') throw new QuantizationError(`${path} holds a ${style} model's weights; it cannot be loaded into an nn.Module.`);
      model.loadStateDict(Object.fromEntries(tensors));
      return;
    }
    if (!(model instanceof keras.Layer)) throw new QuantizationError(`expected an nn.Module or a Keras model; received ${typeof model}.`);
    if (style !== 'keras') throw new QuantizationError(`${path} holds a ${style} model's weights; it cannot be loaded into a Keras model.`);
    // By position, as Keras's load_weights: layer names differ between two builds of one architecture.
    const ws = model.weights;
    if (order.length !== ws.length) throw new QuantizationError(`${path} holds ${order.length} weights; the model has ${ws.length}.`);
    ws.forEach((w, i) => {
      const t = tensors.get(order[i]!);
      if (t === undefined || t.shape.join() !== w.shape.join()) {
        throw new QuantizationError(`${path} does not fit the model: weight ${i} (${w.path}) has shape [${w.shape.join(', ')}], the file's '${order[i]}' has [${t?.shape.join(', ') ?? 'none'}].`);
      }
      w.assign(t);
    });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
