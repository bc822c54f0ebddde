/** `keras.layers.SimpleRNN`: h_t = activation(x_t kernel + bias + h_{t-1} recurrent_kernel). */
import { type Tensor } from '@duet/core';
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { Recurrent, recurrentMatmul, type RecurrentOptions, type StepFn } from './recurrent.js';

export type SimpleRNNOptions = RecurrentOptions;

/**
 * Fully-connected RNN whose output is fed back as the next step's state.
 * The input projection of all steps is one matmul; each step is one
 * matmul, one add and the activation.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const rnn = new keras.layers.SimpleRNN(4, { returnSequences: true, returnState: true });
 * const [seq, h] = rnn.applyMulti(randn([32, 10, 8])); // [32, 10, 4], [32, 4]
 * ```
 */
export class SimpleRNN extends Recurrent {
  protected readonly gates = 1;
  readonly stateCount = 1;

  constructor(units: number, options: SimpleRNNOptions = {}) {
    super(units, options);
  }

  protected stepFn(recurrentMask: Tensor | null): StepFn {
    const u = this.recurrentKernel;
    return (g, [h]) => {
      const hu = recurrentMatmul(h ?? null, u, recurrentMask);
      const out = this.activation(hu === null ? g : g.add(hu));
      return [out, [out]];
    };
  }

  static override fromConfig(config: LayerConfig): SimpleRNN {
    return new SimpleRNN(config.units, config);
  }
}
registerSerializable('layer', SimpleRNN);
