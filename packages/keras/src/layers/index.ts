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
// Convolution, pooling, normalization and image layers (docs/keras-layers.md).
export * from './convolutional/index.js';
export * from './pooling/index.js';
export * from './normalization/index.js';
export { ZeroPadding2D, type ZeroPadding2DOptions } from './reshaping/zero_padding2d.js';
export { UpSampling2D, type UpSampling2DOptions } from './reshaping/up_sampling2d.js';
export { Normalization, type NormalizationOptions } from './preprocessing/normalization.js';
export { TextVectorization, type TextVectorizationOptions, type TextStandardize, type TextSplit, type TextOutputMode, type TextBatch } from './preprocessing/text_vectorization.js';
export { type AugmentationOptions, type ResamplingOptions } from './preprocessing/base_image_augmentation.js';
export { RandomFlip, type FlipMode } from './preprocessing/random_flip.js';
export { RandomRotation } from './preprocessing/random_rotation.js';
export { RandomZoom, type RandomZoomOptions } from './preprocessing/random_zoom.js';
export { RandomTranslation } from './preprocessing/random_translation.js';
export * from './rnn/index.js';
export * from './attention/index.js';
