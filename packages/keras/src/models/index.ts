/** `keras.models`. */
export { Model, type ModelOptions } from './model.js';
export { Sequential, type SequentialOptions } from './sequential.js';
