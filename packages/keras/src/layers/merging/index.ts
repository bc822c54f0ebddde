/** Merging layers. */
export { Merge } from './base_merge.js';
export { Add, Subtract, Multiply, Average, Maximum, Minimum } from './elementwise.js';
export { Concatenate } from './concatenate.js';
export { Dot } from './dot.js';
export { concatenate, add, subtract, multiply, average, maximum, minimum, dot } from './functional.js';
