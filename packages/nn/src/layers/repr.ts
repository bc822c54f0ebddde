/** Python spellings for module prints (`True`, `1e-05`, `(3, 3)`), so `toString()` reads like PyTorch's. */

export const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** A float as Python's repr prints it: `1.0`, `0.1`, `1e-05`. */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  if (v !== 0 && Math.abs(v) < 1e-4) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v);
}

/** A Python tuple: `(3, 3)`, `(10,)`. */
export const pyTuple = (xs: readonly (number | string)[]): string => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`);

/** A number or a tuple of numbers as PyTorch prints a conv/pool argument. */
export const pyIntOrTuple = (v: number | readonly number[]): string => (typeof v === 'number' ? String(v) : pyTuple(v));
