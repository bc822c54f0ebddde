/** `keras.optimizers.schedules`. */
export {
  LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay, type ExponentialDecayConfig, type CosineDecayConfig,
} from './learning_rate_schedule.js';
