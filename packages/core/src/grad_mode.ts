/**
 * PyTorch's grad-mode context managers in both TypeScript forms:
 * `noGrad(() => ...)` (a callback; returns its value) and
 * `using _ = noGrad();` (TypeScript 5.2+'s explicit resource management:
 * grad mode is restored when the enclosing block ends, like
 * `with torch.no_grad():`). The same for `enableGrad` and `setGradEnabled`.
 */
import { _setGradEnabled, enableGrad as enableGradFn, noGrad as noGradFn } from './autograd.js';

// Node 20.4+ defines Symbol.dispose; older runtimes get the well-known symbol TypeScript's helpers look up.
if (typeof (Symbol as { dispose?: symbol }).dispose !== 'symbol') {
  Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });
}

/** A grad-mode change that lasts until `[Symbol.dispose]()` (the end of a `using` block) restores the previous mode. */
export class GradMode implements Disposable {
  private readonly prev: boolean;
  private restored = false;
  constructor(enabled: boolean) {
    this.prev = _setGradEnabled(enabled);
  }
  /** Restore the mode that was on before (idempotent). */
  [Symbol.dispose](): void {
    if (this.restored) return;
    this.restored = true;
    _setGradEnabled(this.prev);
  }
}

/**
 * Disable graph recording, like `torch.no_grad()`.
 *
 * @example
 * ```ts
 * const y = noGrad(() => w.sub(w.grad!.mul(0.1)));   // callback form
 * {
 *   using _ = noGrad();                              // `with torch.no_grad():`
 *   w.sub_(w.grad!.mul(0.1));
 * }                                                  // grad mode restored here
 * ```
 */
export function noGrad(): GradMode;
export function noGrad<T>(fn: () => T): T;
export function noGrad<T>(fn?: () => T): T | GradMode {
  return fn === undefined ? new GradMode(false) : noGradFn(fn);
}

/** Enable graph recording, even inside `noGrad` (`torch.enable_grad()`): callback or `using` form. */
export function enableGrad(): GradMode;
export function enableGrad<T>(fn: () => T): T;
export function enableGrad<T>(fn?: () => T): T | GradMode {
  return fn === undefined ? new GradMode(true) : enableGradFn(fn);
}

/** `torch.set_grad_enabled(flag)`: sets the mode now; as a `using` value, restores the previous mode at the block's end. */
export function setGradEnabled(flag: boolean): GradMode {
  return new GradMode(flag);
}
