/** `keras.layers.MultiHeadAttention`: attention over `numHeads` learned projections (Vaswani et al., 2017). */
import { Tensor, arange, linear, where } from '@duet/core';
import { F } from '@duet/nn';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { getKerasMask } from '../masking.js';
import { KerasTensor } from '../../graph/keras_tensor.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';
import { weightConfigs, weightSettings, type WeightOptions, type WeightSettings } from '../weight_settings.js';
import type { Variable } from '../variable.js';

/** The four kernels' initializer defaults to 'glorot_uniform', the biases' to 'zeros'. */
export interface MultiHeadAttentionOptions extends LayerOptions, WeightOptions<'kernel'>, WeightOptions<'bias'> {
  /** Size of each head's value projection. Default `keyDim`. */
  valueDim?: number | null;
  /** Dropout on the attention probabilities, in training. Default 0. */
  dropout?: number;
  /** Biases on the four projections. Default true. */
  useBias?: boolean;
  /** Size of the last axis of the output. Default: the query's last axis. */
  outputShape?: number | [number] | null;
  /** Accepted for compatibility; Duet's randomness follows core's `manualSeed`. */
  seed?: number | null;
}

export interface MultiHeadAttentionCallOptions extends CallOptions {
  /** Bool `[batch, T, S]` (or broadcastable): which keys each query position may attend to. */
  attentionMask?: Tensor | null;
  /** Also return the attention probabilities `[batch, heads, T, S]`: the call returns `[output, scores]`. */
  returnAttentionScores?: boolean;
  /** Each position attends only to itself and earlier ones. */
  useCausalMask?: boolean;
  /** Bool `[batch, S]` for the value (default: the value's Keras mask). */
  valueMask?: Tensor | null;
  /** Bool `[batch, S]` for the key (default: the key's Keras mask, when a distinct key is given). */
  keyMask?: Tensor | null;
}

function positiveInt(name: string, v: unknown, extra = ''): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new KerasValueError(`Received an invalid value for argument \`${name}\`, expected a positive integer${extra}. Received: ${name}=${String(v)}`);
  }
  return v;
}

/**
 * `apply([query, value])` or `apply([query, value, key])` on `[batch, T,
 * dim]` / `[batch, S, dim]` inputs (key defaults to value) -> `[batch, T,
 * outputShape]`. Weights in Keras's layout and order: query, key and value
 * kernels `[dim, numHeads, keyDim|valueDim]` with biases `[numHeads,
 * keyDim|valueDim]`, output kernel `[numHeads, valueDim, outDim]` with bias
 * `[outDim]`. Each projection is one matmul on the kernel viewed as 2-d.
 *
 * Masks, as Keras: the attention mask is the AND of `attentionMask`, the
 * query's Keras mask `[B, T, 1]`, the value's (and a distinct key's) Keras
 * mask `[B, 1, S]` and the causal mask; masked scores become -1e9 before
 * the softmax. The output carries the query's mask. Inputs of rank 3 only
 * (Keras's `attention_axes` for higher ranks is not supported).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const mha = new keras.layers.MultiHeadAttention(2, 16);
 * const [out, scores] = mha.applyMulti([randn([4, 8, 32]), randn([4, 6, 32])], { returnAttentionScores: true });
 * // out [4, 8, 32], scores [4, 2, 8, 6]
 * ```
 */
export class MultiHeadAttention extends Layer {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputShape: number | null;
  /** The settings of the four kernels, and of the four biases. */
  readonly kernelSettings: WeightSettings;
  readonly biasSettings: WeightSettings;
  readonly seed: number | null;
  private _scores = false;
  private _w: Record<'query' | 'key' | 'value' | 'attention_output', { kernel: Variable; bias: Variable | null }> | null = null;

  constructor(numHeads: number, keyDim: number, options: MultiHeadAttentionOptions = {}) {
    super(options);
    this.numHeads = positiveInt('num_heads', numHeads);
    this.keyDim = positiveInt('key_dim', keyDim);
    this.valueDim = options.valueDim === undefined || options.valueDim === null ? this.keyDim : positiveInt('value_dim', options.valueDim, ' or `None`');
    const d = options.dropout ?? 0;
    if (typeof d !== 'number' || !(d >= 0 && d <= 1)) throw new KerasValueError(`Invalid value received for argument \`dropout\`. Expected a float value between 0 and 1. Received: dropout=${String(d)}`);
    this.dropout = d;
    this.useBias = options.useBias ?? true;
    const os = options.outputShape;
    if (os === undefined || os === null) this.outputShape = null;
    else if (typeof os === 'number') this.outputShape = positiveInt('output_shape', os);
    else if (Array.isArray(os) && os.length === 1) this.outputShape = positiveInt('output_shape', os[0]);
    else throw new KerasValueError(`Invalid \`output_shape\`: ${JSON.stringify(os)}. When specified, the \`output_shape\` should be an int or a list of one int (Duet supports a 1-d output per position).`);
    this.kernelSettings = weightSettings(options, 'kernel', 'glorot_uniform');
    this.biasSettings = weightSettings(options, 'bias', 'zeros');
    this.seed = options.seed ?? null;
    this.supportsMasking = true;
  }

  private static shapes(inputShape: Shape | Shape[], name: string): [Shape, Shape, Shape] {
    const list = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    if (list.length < 2 || list.length > 3) {
      throw new KerasValueError(`MultiHeadAttention "${name}" is called on [query, value] or [query, value, key]. Received ${list.length} input(s).`);
    }
    for (const s of list) if (s.length !== 3) throw new KerasValueError(`MultiHeadAttention "${name}" takes inputs of rank 3 [batch, positions, dim]. Received shape ${JSON.stringify(s)}.`);
    const [q, v, k] = list as [Shape, Shape, Shape | undefined];
    if (k !== undefined && k[1] !== null && v[1] !== null && k[1] !== v[1]) {
      throw new KerasValueError(`MultiHeadAttention "${name}": key and value must have the same number of positions. Received key ${JSON.stringify(k)}, value ${JSON.stringify(v)}.`);
    }
    return [q, v, k ?? v];
  }

  override build(inputShape: Shape | Shape[]): void {
    const [q, v, k] = MultiHeadAttention.shapes(inputShape, this.name);
    const h = this.numHeads;
    // Kernel [first, ...shape]: an input's dim for the three input projections, the heads for the output's.
    const proj = (name: string, first: number, shape: number[], biasShape: number[]) => ({
      kernel: this.addWeight({ name: `${name}/kernel`, shape: [first, ...shape], ...this.kernelSettings }),
      bias: this.useBias ? this.addWeight({ name: `${name}/bias`, shape: biasShape, ...this.biasSettings }) : null,
    });
    const dim = (s: Shape) => {
      const d = s[2];
      if (d === null || d === undefined) throw new KerasValueError(`MultiHeadAttention "${this.name}": the last axis of every input must be known. Received ${JSON.stringify(s)}.`);
      return d;
    };
    const outDim = this.outputShape ?? dim(q);
    const query = proj('query', dim(q), [h, this.keyDim], [h, this.keyDim]);
    const key = proj('key', dim(k), [h, this.keyDim], [h, this.keyDim]);
    const value = proj('value', dim(v), [h, this.valueDim], [h, this.valueDim]);
    const out = proj('attention_output', h, [this.valueDim, outDim], [outDim]);
    this._w = { query, key, value, attention_output: out };
  }

  /** x [B, L, D] through a `[D, H, E]` kernel -> [B, H, L, E]. */
  private project(x: Tensor, w: { kernel: Variable; bias: Variable | null }): Tensor {
    const [d, h, e] = w.kernel.shape as [number, number, number];
    const [b, l] = x.shape as [number, number];
    const y = linear(x, w.kernel.reshape([d, h * e]), w.bias?.reshape([h * e]) ?? null, { weightLayout: 'in_out' });
    return y.reshape([b, l, h, e]).transpose(1, 2);
  }

  override call(inputs: Tensor[], options: MultiHeadAttentionCallOptions): Tensor | Tensor[] {
    if (!Array.isArray(inputs) || inputs.length < 2 || inputs.length > 3) {
      throw new KerasValueError(`MultiHeadAttention "${this.name}" is called on [query, value] or [query, value, key].`);
    }
    const w = this._w!;
    const [query, value, keyIn] = inputs as [Tensor, Tensor, Tensor | undefined];
    const key = keyIn ?? value;
    const [b, t] = query.shape as [number, number];
    const s = value.shape[1]!;
    this._scores = options.returnAttentionScores === true;
    const mask = this.attentionMask(query, value, keyIn, t, s, options);
    const q = this.project(query, w.query).mul(1 / Math.sqrt(this.keyDim)); // [B, H, T, K]
    const k = this.project(key, w.key); // [B, H, S, K]
    const v = this.project(value, w.value); // [B, H, S, V]
    let scores = q.matmul(k.transpose(2, 3)); // [B, H, T, S]
    if (mask !== null) scores = where(mask.ndim === 3 ? mask.unsqueeze(1) : mask, scores, -1e9);
    const probs = scores.softmax(-1);
    const dropped = options.training === true && this.dropout > 0 ? F.dropout(probs, this.dropout, true) : probs;
    const ctx = dropped.matmul(v).transpose(1, 2).reshape([b, t, this.numHeads * this.valueDim]);
    const ok = w.attention_output.kernel;
    const out = linear(ctx, ok.reshape([this.numHeads * this.valueDim, ok.shape[2]!]), w.attention_output.bias, { weightLayout: 'in_out' });
    return options.returnAttentionScores === true ? [out, probs] : out;
  }

  /** Keras's `_compute_attention_mask`: the AND of every mask that applies, bool [B, T, S] (or null). */
  private attentionMask(query: Tensor, value: Tensor, key: Tensor | undefined, t: number, s: number, o: MultiHeadAttentionCallOptions): Tensor | null {
    const parts: Tensor[] = [];
    const qm = getKerasMask(query);
    if (qm !== null) parts.push(qm.bool().unsqueeze(2));
    const vm = o.valueMask ?? getKerasMask(value);
    if (vm != null) parts.push(vm.bool().unsqueeze(1));
    const km = o.keyMask ?? (key !== undefined && key !== value ? getKerasMask(key) : null);
    if (km != null) parts.push(km.bool().unsqueeze(1));
    if (o.useCausalMask === true) parts.push(arange(t).unsqueeze(1).ge(arange(s).unsqueeze(0)).unsqueeze(0));
    if (o.attentionMask != null) parts.push(o.attentionMask.bool());
    if (parts.length === 0) return null;
    return parts.reduce((a, m) => a.logicalAnd(m));
  }

  /** The output keeps the query's mask (the scores have none). */
  override computeMask(inputs: unknown, _previousMask: unknown): Tensor | (Tensor | null)[] | null {
    const q = Array.isArray(inputs) && inputs[0] instanceof Tensor ? getKerasMask(inputs[0]) : null;
    return this._scores ? [q, null] : q;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [q] = MultiHeadAttention.shapes(inputShape, this.name);
    return [q[0]!, q[1]!, this.outputShape ?? q[2]!];
  }

  override computeOutputSpec(inputs: unknown, options: CallOptions): unknown {
    const out = super.computeOutputSpec(inputs, options);
    if (options.returnAttentionScores !== true) return out;
    const [q, v] = MultiHeadAttention.shapes((inputs as { shape: Shape }[]).map((x) => [...x.shape]), this.name);
    return [out, new KerasTensor([q[0]!, this.numHeads, q[1]!, v[1]!])];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputShape,
      ...weightConfigs({ kernel: this.kernelSettings, bias: this.biasSettings }),
      seed: this.seed,
    };
  }

  static override fromConfig(config: LayerConfig): MultiHeadAttention {
    return new MultiHeadAttention(config.numHeads, config.keyDim, config);
  }
}
registerSerializable('layer', MultiHeadAttention);
