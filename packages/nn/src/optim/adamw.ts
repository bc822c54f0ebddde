/**
 * AdamW: Adam with decoupled weight decay, `torch.optim.AdamW`
 * (Loshchilov & Hutter, 2019, https://arxiv.org/abs/1711.05101).
 */
import { withDefaults, type Params } from './optimizer.js';
import { ADAM_DEFAULTS, Adam, type AdamOptions } from './adam.js';

/**
 * Adam whose weight decay shrinks the weights directly, before the Adam
 * update: `p *= 1 - lr * weightDecay`. Default `weightDecay` 1e-2.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, withDefaults({ ...ADAM_DEFAULTS, weightDecay: 1e-2, decoupledWeightDecay: true }, options));
  }
}
