/**
 * Keras's naming: automatic layer names (`dense`, `dense_1`, ...) and the
 * snake_case <-> camelCase mapping between Python's identifiers and Duet's.
 */

const uids = new Map<string, number>();

/** `prefix` the first time, then `prefix_1`, `prefix_2`, ... (Keras's `auto_name`). */
export function uniqueName(prefix: string): string {
  const n = (uids.get(prefix) ?? 0) + 1;
  uids.set(prefix, n);
  return n === 1 ? prefix : `${prefix}_${n - 1}`;
}

/** Forget the automatic-name counters (part of `keras.utils.clearSession()`). */
export function resetUniqueNames(): void {
  uids.clear();
}

/** `Dense` -> `dense`, `InputLayer` -> `input_layer`, `RepeatVector` -> `repeat_vector`, `Conv2D` -> `conv2d`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/(\d)_d(?=_|$)/g, '$1d');
}

/** `sparse_categorical_crossentropy` -> `sparseCategoricalCrossentropy`. */
export function toCamelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The key under which a user's identifier is looked up: case and underscores ignored. */
export function identifierKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}
