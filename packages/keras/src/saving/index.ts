/** `keras.saving`: Keras 3's `.keras` and `.weights.h5` files (see docs/keras-saving.md). */
export { saveModel, loadModel, saveWeights, loadWeights, serializeModel, deserializeModel, KERAS_VERSION, type SaveModelOptions, type LoadModelOptions } from './saving_lib.js';
export { SavingError, UnknownClassError, type SavingErrorCode } from './errors.js';
export { denseToLinear, linearToDense } from './nn_interop.js';
export { convToNn, nnToConv, depthwiseToNn, nnToDepthwise, batchNormToNn, nnToBatchNorm, embeddingToNn, nnToEmbedding, lstmToNn, nnToLstm, gruToNn, nnToGru } from './nn_interop_layers.js';
export { loadTfjsModel, hardSigmoidKeras2 } from './tfjs.js';
