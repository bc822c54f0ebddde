/** `keras.datasets`. */
export * as mnist from './mnist.js';
