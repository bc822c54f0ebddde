/** `keras.layers.LSTM`: long short-term memory, gates i, f, c, o (Keras's order). */
import { cat, functional as CF, ones, zeros, type Tensor } from '@duet/core';
import { getActivation, serializeActivation, sigmoid, tanh, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { Initializer } from '../../initializers/initializer.js';
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { Recurrent, recurrentMatmul, type RecurrentOptions, type SequenceResult, type StepFn } from './recurrent.js';

export interface LSTMOptions extends RecurrentOptions {
  /** Activation of the gates i, f, o. Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier;
  /** Initialise the forget gate's bias to 1 (the rest from `biasInitializer`). Default true. */
  unitForgetBias?: boolean;
}

/** Keras's `unit_forget_bias`: [init(u), ones(u), init(2u)]. */
class UnitForgetBias extends Initializer {
  constructor(private readonly inner: Initializer, private readonly units: number) {
    super();
  }
  call(): Tensor {
    const u = this.units;
    const parts = [this.inner.call([u]), ones([u]), this.inner.call([2 * u])];
    const out = cat(parts, 0);
    parts.forEach((p) => p.dispose());
    return out;
  }
}

/**
 * i = σ(x Wi + h Ui + bi), f = σ(x Wf + h Uf + bf), c' = f c + i tanh(x Wc +
 * h Uc + bc), o = σ(x Wo + h Uo + bo), h' = o tanh(c'), with kernel
 * `[in, 4 units]`, recurrent kernel `[units, 4 units]`, bias `[4 units]`.
 *
 * With the default activations and no mask (and no recurrent dropout in
 * training) the whole sequence is one fused kernel each way, the same as
 * `nn.LSTM` (core's `functional.lstmLayer`: Duet's DuetLSTMSequence where
 * built, else BlockLSTMV2 / BlockLSTMGradV2; Keras's gate order i, f, c, o is
 * PyTorch's and those kernels'). A
 * right-padded or left-padded mask (Embedding(maskZero) on padded batches;
 * Keras's `pad_sequences` pads on the left by default) from zero states runs
 * fused as well (also with `goBackwards`), unless `returnState` (the kernel
 * gives only the last c). Other activations, other masks and recurrent dropout run step by
 * step (same numbers, more kernels).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const lstm = new keras.layers.LSTM(16, { returnState: true });
 * const [out, h, c] = lstm.applyMulti(randn([8, 20, 5])); // [8, 16] x 3
 * ```
 */
export class LSTM extends Recurrent {
  protected readonly gates = 4;
  readonly stateCount = 2;
  readonly recurrentActivation: ActivationFn;
  readonly unitForgetBias: boolean;

  constructor(units: number, options: LSTMOptions = {}) {
    super(units, options);
    this.recurrentActivation = getActivation(options.recurrentActivation === undefined ? 'sigmoid' : options.recurrentActivation);
    this.unitForgetBias = options.unitForgetBias ?? true;
  }

  protected override biasInitializerForBuild(): Initializer {
    return this.unitForgetBias ? new UnitForgetBias(this.biasInitializer, this.units) : this.biasInitializer;
  }

  /** True when a call runs as one fused kernel (default activations, no mask, no recurrent dropout in training; see also `runSequence`). */
  canFuse(mask: Tensor | null, training: boolean): boolean {
    return this.activation === tanh && this.recurrentActivation === sigmoid && mask === null && !(training && this.recurrentDropout > 0);
  }

  /** A right-padded (or, via `call`, left-padded) mask runs fused from zero states without `returnState` (the kernel gives only the last c). */
  protected override fusesRightPadded(states: (Tensor | null)[], training: boolean): boolean {
    return this.canFuse(null, training) && !this.returnState && states.every((s) => s === null);
  }

  protected override runSequence(x: Tensor, states: (Tensor | null)[], mask: Tensor | null, training: boolean, rightLengths?: Tensor | null): SequenceResult {
    // A right-padded mask from zero states (no final c needed) runs fused too: the padding's outputs are discarded.
    const lengths = mask !== null && this.fusesRightPadded(states, training) ? (rightLengths === undefined ? this.rightPaddedLengths(mask) : rightLengths) : null;
    if (!this.canFuse(mask, training) && lengths === null) return super.runSequence(x, states, mask, training);
    // lstmLayer takes PyTorch's layout ([4u, in], [4u, u], two biases); Keras's kernels are their
    // transposes and its one bias pairs with a constant zero bias.
    const r = CF.lstmLayer(x, this.kernel.t(), this.recurrentKernel.t(), this._bias, this._bias === null ? null : this.zeroBias(), { h0: states[0] ?? null, c0: states[1] ?? null });
    if (lengths !== null) return { ...this.fromRightPadded(r.output, mask!, lengths), states: [] };
    const h = r.hN.squeeze(0);
    return { outputs: this.returnSequences ? r.output : null, last: h, states: [h, r.cN.squeeze(0)] };
  }

  private _zeroBias: Tensor | null = null;
  /** A constant [4u] of zeros (the kernel's second bias), made once and kept for the layer's life (`keepCached`: `dispose()` frees it). */
  private zeroBias(): Tensor {
    this._zeroBias ??= this.keepCached(zeros([4 * this.units]));
    return this._zeroBias;
  }

  protected stepFn(recurrentMask: Tensor | null): StepFn {
    const u = this.units;
    // Keras's sigmoid remembers its logits for losses; gates need only the value.
    const ra: ActivationFn = this.recurrentActivation === sigmoid ? (x) => x.sigmoid() : this.recurrentActivation;
    const act = this.activation;
    return (g, [h, c]) => {
      const hu = recurrentMatmul(h ?? null, this.recurrentKernel, recurrentMask);
      const z = hu === null ? g : g.add(hu);
      const i = ra(z.narrow(1, 0, u));
      const f = ra(z.narrow(1, u, u));
      const cc = act(z.narrow(1, 2 * u, u));
      const o = ra(z.narrow(1, 3 * u, u));
      const c2 = c === null || c === undefined ? i.mul(cc) : f.mul(c).add(i.mul(cc));
      const h2 = o.mul(act(c2));
      return [h2, [h2, c2]];
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: serializeActivation(this.recurrentActivation), unitForgetBias: this.unitForgetBias };
  }

  static override fromConfig(config: LayerConfig): LSTM {
    return new LSTM(config.units, config);
  }
}
registerSerializable('layer', LSTM);
