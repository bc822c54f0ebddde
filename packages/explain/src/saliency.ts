/**
 * Saliency (Simonyan et al. 2013, https://arxiv.org/abs/1312.6034): the
 * gradient of the target output with respect to the input, by default its
 * absolute value (Captum's `Saliency.attribute(inputs, target, abs=True)`).
 *
 * @example
 * ```ts
 * import { Saliency } from '@duet/explain';
 * const attr = new Saliency(model).attribute(x, { target: 3 }); // shape of x
 * ```
 */
import { scope, type Tensor } from '@duet/core';
import { inputGradients } from './gradients.js';
import { checkInputs, resolveModel, targetIndices, withFrozen, type AttributionModel, type ResolvedModel, type Target } from './model.js';

export interface SaliencyOptions {
  /** Class index (one for all examples, or one per example). */
  target?: Target;
  /** Absolute value of the gradient (default true, as Captum). */
  abs?: boolean;
}

export class Saliency {
  protected readonly model: ResolvedModel;
  constructor(model: AttributionModel) {
    this.model = resolveModel(model, 'Saliency');
  }

  attribute(inputs: Tensor, options: SaliencyOptions = {}): Tensor {
    const x = checkInputs(inputs, 'Saliency.attribute');
    const n = x.shape[0]!;
    return scope(() =>
      withFrozen(this.model, () => {
        const { grads } = inputGradients(this.model.forward, x, (s) => targetIndices(options.target, s, n, 'Saliency.attribute'));
        return options.abs === false ? grads : grads.abs();
      }),
    );
  }
}
