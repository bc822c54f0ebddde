/** Core layers. */
export { Dense, type DenseOptions } from './dense.js';
export { InputLayer, Input, type InputOptions } from './input_layer.js';
export { Lambda, type LambdaOptions } from './lambda.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Masking } from './masking.js';
