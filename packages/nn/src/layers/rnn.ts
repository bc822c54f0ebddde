/**
 * `nn.RNN`, `nn.LSTM`, `nn.GRU`: PyTorch's equations, gate order, weight
 * names (`weight_ih_l0`, `bias_hh_l1_reverse`), defaults and init.
 * LSTM and GRU: each layer and direction is one fused kernel over the whole
 * sequence each way (core's `functional.lstmLayer` / `gruLayer`: Duet's own
 * DuetLSTMSequence / DuetGRUSequence kernels where they are built, else
 * TensorFlow's BlockLSTMV2 with its backward, and for the GRU one autograd op
 * on plain kernels with a hand-written backward; TF's GRUBlockCell computes
 * another GRU variant). RNN: likewise one autograd op per layer and direction (core's
 * `functional.rnnLayer`): the input projection of every step in one matmul,
 * then 3 kernels per step each way.
 */
import { ArgumentError, ShapeError, cat, functional as CF, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { ownParameter, type Parameter } from '../parameter.js';
import * as init from '../init.js';
import { pyBool, pyFloat } from './repr.js';
import { positional, type PositionalArgs } from './positional.js';

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are [N, L, features] instead of [L, N, features]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of each layer but the last, in training. */
  dropout?: number;
  bidirectional?: boolean;
}

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
/** LSTM's and GRU's positional order after hidden_size. */
type RNNArgs = PositionalArgs<[numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean], RNNOptions>;
const RNN_NAMES = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'];

/** Shared implementation of RNN, LSTM and GRU (PyTorch's `RNNBase`). */
export abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Parameter names per layer and direction: [wIh, wHh, bIh?, bHh?]. */
  private readonly names: string[][] = [];

  constructor(protected readonly mode: Mode, readonly inputSize: number, readonly hiddenSize: number, options: RNNOptions) {
    super();
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new ArgumentError(`hidden_size must be a positive integer, received ${hiddenSize}.`);
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0) throw new ArgumentError(`num_layers must be a positive integer, received ${this.numLayers}.`);
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ArgumentError(`dropout should be a number in range [0, 1] representing the probability of an element being zeroed, received ${this.dropout}.`);
    const gate = (mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1) * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const inSize = l === 0 ? inputSize : hiddenSize * dirs;
        const names = [`weight_ih${sfx}`, `weight_hh${sfx}`];
        this.registerParameter(names[0]!, ownParameter(zeros([gate, inSize])));
        this.registerParameter(names[1]!, ownParameter(zeros([gate, hiddenSize])));
        if (this.bias) {
          names.push(`bias_ih${sfx}`, `bias_hh${sfx}`);
          this.registerParameter(names[2]!, ownParameter(zeros([gate])));
          this.registerParameter(names[3]!, ownParameter(zeros([gate])));
        }
        this.names.push(names);
      }
    }
    this.resetParameters();
  }

  /** Every weight and bias from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)). */
  resetParameters(): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters({ recurse: false })) init.uniform_(p, -k, k);
  }

  /** The parameters of each layer and direction, PyTorch's `all_weights`. */
  get allWeights(): Parameter[][] {
    return this.names.map((ns) => ns.map((n) => this._get<Parameter>(n)));
  }

  /** No-op, for code written for cuDNN. */
  flattenParameters(): void {}

  /** Run the layers over [L, N, F] ([N, L, F] with batchFirst, or unbatched [L, F]); states [layers * dirs, N, H]. */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const unbatched = input.ndim === 2;
    if (input.ndim !== 2 && input.ndim !== 3) throw new ShapeError(`${this.constructor.name}: Expected input to be 2D or 3D, got ${input.ndim}D instead (shape [${input.shape.join(', ')}]).`);
    const x = unbatched ? input.unsqueeze(1) : this.batchFirst ? input.transpose(0, 1) : input;
    const [len, n, feat] = x.shape as [number, number, number];
    if (feat !== this.inputSize) throw new ShapeError(`${this.constructor.name}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${feat}`);
    const dirs = this.bidirectional ? 2 : 1;
    const stateShape = [this.numLayers * dirs, n, this.hiddenSize];
    const states = [h0, c0].map((s, i) => {
      if (s === null) return null;
      const sb = unbatched ? s.unsqueeze(1) : s;
      if (sb.ndim !== 3 || sb.shape.some((d, j) => d !== stateShape[j])) {
        throw new ShapeError(`Expected hidden${this.mode === 'LSTM' ? `[${i}]` : ''} size (${stateShape.join(', ')}), got [${(unbatched ? s.shape : sb.shape).join(', ')}]`);
      }
      return sb;
    });
    // Each layer and direction is one op over the whole sequence, [L, N, F] in, [L, N, H] out.
    let layerIn = x;
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const idx = l * dirs + d;
        const [wIh, wHh, bIh, bHh] = this.names[idx]!.map((nm) => this._get<Parameter>(nm));
        const h0 = states[0]?.select(0, idx) ?? null;
        if (this.mode === 'LSTM') {
          const r = CF.lstmLayer(layerIn, wIh!, wHh!, bIh ?? null, bHh ?? null, { h0, c0: states[1]?.select(0, idx) ?? null, reverse: d === 1 });
          outs.push(r.output);
          hN.push(r.hN);
          cN.push(r.cN);
          continue;
        }
        const o =
          this.mode === 'GRU'
            ? CF.gruLayer(layerIn, wIh!, wHh!, bIh ?? null, bHh ?? null, { h0, reverse: d === 1 })
            : CF.rnnLayer(layerIn, wIh!, wHh!, bIh ?? null, bHh ?? null, { h0, reverse: d === 1, nonlinearity: this.mode === 'RNN_TANH' ? 'tanh' : 'relu' });
        outs.push(o);
        hN.push(o.narrow(0, d === 1 ? 0 : len - 1, 1)); // the reverse direction ends at step 0
      }
      layerIn = dirs === 1 ? outs[0]! : cat(outs, 2);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) layerIn = CF.dropout(layerIn, this.dropout, true);
    }
    let out = layerIn;
    out = unbatched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;
    const stack = (ts: Tensor[]) => {
      const s = ts.length === 1 ? ts[0]! : cat(ts, 0); // [layers * dirs, N, H]
      return unbatched ? s.squeeze(1) : s;
    };
    return [out, stack(hN), this.mode === 'LSTM' ? stack(cN) : null];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(false)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(true)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(true)}`;
    return s;
  }
}

/**
 * Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
 * `forward` returns `[output, hN]`.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const rnn = new nn.RNN(10, 20, { numLayers: 2 });
 * const [out, hN] = rnn.forward(randn([5, 3, 10])); // [5, 3, 20], [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';
  /** `(inputSize, hiddenSize, options)`, or PyTorch's positional order: `(inputSize, hiddenSize, numLayers, nonlinearity, bias, batchFirst, dropout, bidirectional, options?)`. */
  constructor(inputSize: number, hiddenSize: number, ...args: PositionalArgs<[numLayers: number, nonlinearity: 'tanh' | 'relu', bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean], RNNOptions & { nonlinearity?: 'tanh' | 'relu' }>) {
    const options = positional<RNNOptions & { nonlinearity?: 'tanh' | 'relu' }>('RNN', ['numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional'], args);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new ArgumentError(`Unknown nonlinearity '${nl}'. Select from 'tanh' or 'relu'.`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [out, h] = this.run(input, hx, null);
    return [out, h];
  }
}

/**
 * Long short-term memory, gates i, f, g, o. `forward` returns `[output, [hN, cN]]`.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const lstm = new nn.LSTM(5, 6, { numLayers: 2, batchFirst: true });
 * const [out, [hN, cN]] = lstm.forward(randn([3, 7, 5])); // [3, 7, 6], [2, 3, 6], [2, 3, 6]
 * ```
 */
export class LSTM extends RNNBase {
  /** `(inputSize, hiddenSize, options)`, or PyTorch's positional order: `(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, options?)`. */
  constructor(inputSize: number, hiddenSize: number, ...args: RNNArgs) {
    super('LSTM', inputSize, hiddenSize, positional<RNNOptions>('LSTM', RNN_NAMES, args));
  }
  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const [out, h, c] = this.run(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [out, [h, c!]];
  }
}

/**
 * Gated recurrent unit, gates r, z, n. `forward` returns `[output, hN]`.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const gru = new nn.GRU(10, 20, { bidirectional: true });
 * const [out, hN] = gru.forward(randn([5, 3, 10])); // [5, 3, 40], [2, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  /** `(inputSize, hiddenSize, options)`, or PyTorch's positional order: `(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, options?)`. */
  constructor(inputSize: number, hiddenSize: number, ...args: RNNArgs) {
    super('GRU', inputSize, hiddenSize, positional<RNNOptions>('GRU', RNN_NAMES, args));
  }
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [out, h] = this.run(input, hx, null);
    return [out, h];
  }
}
