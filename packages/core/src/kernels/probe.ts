/**
 * A kernel path used only where this engine runs it right (a patched
 * binding, oneDNN's kernels): `probe` runs the path once per process on a
 * tiny input whose answer is known, inside tf.tidy (a throw counts as
 * false); `use(false)` turns the path off for comparisons and tests.
 */
import { tf } from '../engine.js';

export interface ProbedPath {
  /** Whether the probe passed (run on the first call). */
  supported(): boolean;
  /** Set whether the path is wanted (when given); whether it is used now. */
  use(enabled?: boolean): boolean;
}

export function probedPath(probe: () => boolean): ProbedPath {
  let ok: boolean | undefined;
  let wanted = true;
  const supported = (): boolean => {
    if (ok === undefined) {
      try {
        ok = tf().tidy(probe);
      } catch {
        ok = false;
      }
    }
    return ok;
  };
  return {
    supported,
    use(enabled?: boolean): boolean {
      if (enabled !== undefined) wanted = enabled;
      return wanted && supported();
    },
  };
}
