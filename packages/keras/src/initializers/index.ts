/** `keras.initializers`. */
export { Initializer, computeFans, getInitializer as get, serializeInitializer as serialize, type InitializerIdentifier } from './initializer.js';
export { Zeros, Ones, Constant, Identity } from './constant.js';
export {
  RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal,
  type VarianceScalingConfig, type FanMode, type Distribution,
} from './random.js';
