/**
 * The call context (Keras's `CallContext`): the `training` flag of the
 * outermost `apply()`, inherited by every layer called inside it, so a
 * Dropout inside a subclassed model's `call` follows `fit`'s training mode
 * without the flag being passed by hand.
 */
export interface CallContext {
  training: boolean;
}

const stack: CallContext[] = [];

/** The innermost active context, or null outside any layer call. */
export function currentContext(): CallContext | null {
  return stack[stack.length - 1] ?? null;
}

/** Run `fn` with `training` set (explicit value, else the enclosing call's, else false). */
export function withCallContext<T>(training: boolean | undefined, fn: (ctx: CallContext) => T): T {
  const ctx: CallContext = { training: training ?? currentContext()?.training ?? false };
  stack.push(ctx);
  try {
    return fn(ctx);
  } finally {
    stack.pop();
  }
}
