/** Activation layers. */
export { Activation } from './activation.js';
export { ReLU, type ReLUOptions } from './relu.js';
export { Softmax } from './softmax.js';
export { LeakyReLU } from './leaky_relu.js';
export { ELU } from './elu.js';
export { PReLU, type PReLUOptions } from './prelu.js';
