/** Activation layers. */
export { Activation } from './activation.js';
