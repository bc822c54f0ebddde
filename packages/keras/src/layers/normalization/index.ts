/** Normalization layers (Keras 3's `layers/normalization`). */
export { BatchNormalization, type BatchNormalizationOptions } from './batch_normalization.js';
export { LayerNormalization, type LayerNormalizationOptions } from './layer_normalization.js';
