/** Preprocessing layers. */
export { Rescaling } from './rescaling.js';
