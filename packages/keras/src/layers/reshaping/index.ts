/** Reshaping layers. */
export { Flatten } from './flatten.js';
export { Reshape } from './reshape.js';
export { Permute } from './permute.js';
export { RepeatVector } from './repeat_vector.js';
