/** `keras.utils`. */
import { resetUniqueNames } from './naming.js';
export { Progbar } from './progbar.js';

/** Reset Keras's global state: the automatic layer names start again at `dense`, `dense_1`, ... */
export function clearSession(): void {
  resetUniqueNames();
}
