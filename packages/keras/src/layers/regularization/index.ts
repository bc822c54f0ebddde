/** Regularization layers. */
export { Dropout, type DropoutOptions } from './dropout.js';
