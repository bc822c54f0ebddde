/**
 * Typed errors. Every Duet error has a stable `code` and a message that says
 * what was expected and what was received.
 */
export class DuetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The TensorFlow native engine is missing, or could not be loaded. */
export class NativeEngineError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NATIVE_ENGINE', message, options);
  }
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, ...). */
export class ShapeError extends DuetError {
  constructor(message: string) {
    super('ERR_SHAPE', message);
  }
}

/** A dtype that an operation does not accept. */
export class DTypeError extends DuetError {
  constructor(message: string) {
    super('ERR_DTYPE', message);
  }
}

/** A bad argument value (dim out of range, negative size, ...). */
export class ArgumentError extends DuetError {
  constructor(message: string) {
    super('ERR_ARGUMENT', message);
  }
}

/** Misuse of autograd: backward on a non-scalar, through a freed graph, ... */
export class AutogradError extends DuetError {
  constructor(message: string) {
    super('ERR_AUTOGRAD', message);
  }
}

/** An access to a tensor whose native memory was already released. */
export class TensorReleasedError extends DuetError {
  constructor(message: string) {
    super('ERR_TENSOR_RELEASED', message);
  }
}
