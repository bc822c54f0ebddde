/**
 * `keras.layers`: one file per layer, grouped in folders as in Keras 3's
 * `keras/src/layers/` (core, activations, regularization, reshaping,
 * merging, preprocessing; convolutional, pooling, normalization, rnn,
 * attention come next). Each group's index lists its layers.
 */
export { Layer, type LayerOptions, type CallOptions, type AddWeightOptions, type LayerConfig, type WeightValue } from './layer.js';
export { InputSpec, type InputSpecOptions } from './input_spec.js';
export { Variable } from './variable.js';
export * from './core/index.js';
export * from './activations/index.js';
export * from './regularization/index.js';
export * from './reshaping/index.js';
export * from './merging/index.js';
export * from './preprocessing/index.js';
export { getKerasMask, setKerasMask } from './masking.js';
export * from './rnn/index.js';
export * from './attention/index.js';
