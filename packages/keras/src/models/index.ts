/** `keras.models`. */
export { Model, type ModelOptions } from './model.js';
export { Sequential, type SequentialOptions } from './sequential.js';
export { loadModel } from '../saving/saving_lib.js';
