/** `keras.constraints`. */
export {
  Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm, maxNorm, nonNeg, unitNorm, minMaxNorm,
  maxNorm as max_norm, nonNeg as non_neg, unitNorm as unit_norm, minMaxNorm as min_max_norm,
  getConstraint as get, serializeConstraint as serialize, type ConstraintIdentifier,
} from './constraint.js';
