/** Pooling layers (Keras 3's `layers/pooling`). */
export { type PoolingOptions } from './base_pooling.js';
export { MaxPooling1D } from './max_pooling1d.js';
export { MaxPooling2D } from './max_pooling2d.js';
export { AveragePooling1D } from './average_pooling1d.js';
export { AveragePooling2D } from './average_pooling2d.js';
export { type GlobalPoolingOptions } from './base_global_pooling.js';
export { GlobalAveragePooling1D } from './global_average_pooling1d.js';
export { GlobalAveragePooling2D } from './global_average_pooling2d.js';
export { GlobalMaxPooling1D } from './global_max_pooling1d.js';
export { GlobalMaxPooling2D } from './global_max_pooling2d.js';
