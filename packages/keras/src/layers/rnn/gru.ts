/** `keras.layers.GRU`: gated recurrent unit, gates z, r, h (Keras's order). */
import { type Tensor } from '@duet/core';
import { getActivation, serializeActivation, sigmoid, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { Recurrent, recurrentMatmul, type RecurrentOptions, type StepFn } from './recurrent.js';

export interface GRUOptions extends RecurrentOptions {
  /** Activation of the gates z, r. Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier;
  /**
   * Apply the reset gate after the recurrent matmul (Keras 3's default and
   * cuDNN's: two biases, bias `[2, 3 units]`, row 0 for the input, row 1
   * for the recurrent projection); false: before it, one bias `[3 units]`.
   */
  resetAfter?: boolean;
}

/**
 * z = σ(x Wz + bz + h Uz + b'z), r = σ(x Wr + br + h Ur + b'r),
 * hh = tanh(x Wh + bh + r (h Uh + b'h)) (resetAfter; else tanh(x Wh + bh +
 * (r h) Uh)), h' = z h + (1 - z) hh.
 *
 * With `resetAfter` this is PyTorch's GRU formula (its n gate holds b_hn
 * inside the reset product too) with the gates in the order z, r, h instead
 * of r, z, n and the kernels transposed. The input projection of all steps
 * is one matmul; each step is one recurrent matmul and the gate arithmetic.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const gru = new keras.layers.GRU(4, { returnSequences: true });
 * gru.apply(randn([32, 10, 8])).shape; // [32, 10, 4]
 * ```
 */
export class GRU extends Recurrent {
  protected readonly gates = 3;
  readonly stateCount = 1;
  readonly recurrentActivation: ActivationFn;
  readonly resetAfter: boolean;

  constructor(units: number, options: GRUOptions = {}) {
    super(units, options);
    this.recurrentActivation = getActivation(options.recurrentActivation === undefined ? 'sigmoid' : options.recurrentActivation);
    if (options.resetAfter !== undefined && typeof options.resetAfter !== 'boolean') {
      throw new KerasValueError(`Expected \`reset_after\` to be a boolean. Received: reset_after=${String(options.resetAfter)}`);
    }
    this.resetAfter = options.resetAfter ?? true;
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  protected override inputBias(): Tensor | null {
    const b = this._bias;
    return b === null || !this.resetAfter ? b : b.select(0, 0);
  }

  protected stepFn(recurrentMask: Tensor | null): StepFn {
    const u = this.units;
    // Keras's sigmoid remembers its logits for losses; gates need only the value.
    const ra: ActivationFn = this.recurrentActivation === sigmoid ? (x) => x.sigmoid() : this.recurrentActivation;
    const act = this.activation;
    const rk = this.recurrentKernel;
    const rb = this.resetAfter && this._bias !== null ? this._bias.select(0, 1) : null;
    // resetAfter=false multiplies r h by the h-columns alone: split the recurrent kernel once.
    const rkZR = this.resetAfter ? rk : rk.narrow(1, 0, 2 * u);
    const rkH = this.resetAfter ? null : rk.narrow(1, 2 * u, u);
    return (g, [hPrev]) => {
      const h = hPrev ?? null;
      let gh = recurrentMatmul(h, rkZR, recurrentMask); // [N, 3u] (resetAfter) or [N, 2u]
      if (rb !== null) gh = gh === null ? rb : gh.add(rb);
      const zr = ra(gh === null ? g.narrow(1, 0, 2 * u) : g.narrow(1, 0, 2 * u).add(gh.ndim === 1 ? gh.narrow(0, 0, 2 * u) : gh.narrow(1, 0, 2 * u)));
      const z = zr.narrow(1, 0, u);
      const r = zr.narrow(1, u, u);
      const xh = g.narrow(1, 2 * u, u);
      let inner: Tensor | null;
      if (this.resetAfter) inner = gh === null ? null : r.mul(gh.ndim === 1 ? gh.narrow(0, 2 * u, u) : gh.narrow(1, 2 * u, u));
      else inner = recurrentMatmul(h === null ? null : r.mul(h), rkH!, recurrentMask);
      const hh = act(inner === null ? xh : xh.add(inner));
      // z h + (1 - z) hh = hh + z (h - hh); with h = 0: hh - z hh.
      const out = h === null ? hh.sub(z.mul(hh)) : hh.add(z.mul(h.sub(hh)));
      return [out, [out]];
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: serializeActivation(this.recurrentActivation), resetAfter: this.resetAfter };
  }

  static override fromConfig(config: LayerConfig): GRU {
    return new GRU(config.units, config);
  }
}
registerSerializable('layer', GRU);
