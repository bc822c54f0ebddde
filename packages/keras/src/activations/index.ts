/** `keras.activations`. */
export {
  linear, relu, relu6, sigmoid, softmax, logSoftmax, tanh, elu, selu, softplus, softsign, silu, swish, gelu, exponential,
  leakyRelu, hardSigmoid, hardSilu, mish, getActivation as get, serializeActivation as serialize, type ActivationFn, type ActivationIdentifier,
} from './activations.js';
