/**
 * @duet/explain: Captum's attribution methods for Duet models of both
 * styles (an nn.Module, a Keras model, or any function from a Tensor to a
 * Tensor), and heatmap overlays as PNG. See docs/explain.md.
 *
 * @example
 * ```ts
 * import { IntegratedGradients, visualizeImageAttr } from '@duet/explain';
 * const ig = new IntegratedGradients(model);
 * const { attributions, delta } = ig.attribute(x, { target: 3, returnConvergenceDelta: true });
 * visualizeImageAttr(attributions.select(0, 0), x.select(0, 0), { method: 'blended_heat_map', outPath: 'ig.png' });
 * ```
 */
export { AttributionError } from './errors.js';
export type { AttributionModel, ForwardFunc, Target } from './model.js';
export type { Baseline } from './baselines.js';
export { Saliency, type SaliencyOptions } from './saliency.js';
export { IntegratedGradients, type IntegratedGradientsOptions, type AttributionWithDelta } from './integrated_gradients.js';
export { approximationParameters, APPROXIMATION_METHODS, type ApproximationMethod, type Approximation } from './approximation.js';
export { NoiseTunnel, NT_TYPES, type NoiseTunnelOptions, type NoiseTunnelType, type Attribution } from './noise_tunnel.js';
export { LayerGradCam, LayerAttribution, type LayerGradCamOptions } from './layer_grad_cam.js';
export { Occlusion, type OcclusionOptions } from './occlusion.js';
export { visualizeImageAttr, normalizeAttr, VISUALIZE_METHODS, VISUALIZE_SIGNS, type VisualizeOptions } from './visualization.js';
