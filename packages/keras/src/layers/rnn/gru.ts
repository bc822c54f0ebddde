/** `keras.layers.GRU`: gated recurrent unit, gates z, r, h (Keras's order). */
import { cat, functional as CF, type Tensor } from '@duet/core';
import { getActivation, serializeActivation, sigmoid, tanh, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { Recurrent, recurrentMatmul, type RecurrentOptions, type SequenceResult, type StepFn } from './recurrent.js';

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
 * of r, z, n and the kernels transposed. So with `resetAfter`, the default
 * activations, no mask (and no recurrent dropout in training) the whole
 * sequence (also with a right- or left-padded mask from a zero state) is one autograd op, the same as `nn.GRU` (core's
 * `functional.gruLayer`: one DuetGRUSequence kernel each way where Duet's kernels are built, else 15 kernels per step forward, 7 backward), after the gate
 * columns are reordered (a few kernels per call). Otherwise (`resetAfter:
 * false`, other activations, masks) it runs step by step on autograd ops:
 * same numbers, more kernels.
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

  /** True when a call runs as core's fused `gruLayer`. */
  canFuse(mask: Tensor | null, training: boolean): boolean {
    return this.resetAfter && this.activation === tanh && this.recurrentActivation === sigmoid && mask === null && !(training && this.recurrentDropout > 0);
  }

  /** A right-padded (or, via `call`, left-padded) mask runs fused from a zero state. */
  protected override fusesRightPadded(states: (Tensor | null)[], training: boolean): boolean {
    return this.canFuse(null, training) && states.every((s) => s === null);
  }

  protected override runSequence(x: Tensor, states: (Tensor | null)[], mask: Tensor | null, training: boolean, rightLengths?: Tensor | null): SequenceResult {
    // A right-padded mask from a zero state runs fused too: the padding's outputs are discarded.
    const lengths = mask !== null && this.fusesRightPadded(states, training) ? (rightLengths === undefined ? this.rightPaddedLengths(mask) : rightLengths) : null;
    if (!this.canFuse(mask, training) && lengths === null) return super.runSequence(x, states, mask, training);
    // gruLayer takes PyTorch's layout: gates r, z, n in rows of [3u, in] / [3u, u]; Keras's are z, r, h in columns.
    const u = this.units;
    const rzn = (w: Tensor, axis: number) => cat([w.narrow(axis, u, u), w.narrow(axis, 0, u), w.narrow(axis, 2 * u, u)], axis);
    const b = this._bias === null ? null : rzn(this._bias, 1);
    const out = CF.gruLayer(x, rzn(this.kernel, 1).t(), rzn(this.recurrentKernel, 1).t(), b?.select(0, 0) ?? null, b?.select(0, 1) ?? null, { h0: states[0] ?? null });
    if (lengths !== null) {
      const r = this.fromRightPadded(out, mask!, lengths);
      return { ...r, states: [r.last] };
    }
    const last = out.select(0, out.shape[0]! - 1);
    return { outputs: this.returnSequences ? out : null, last, states: [last] };
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
