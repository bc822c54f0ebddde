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

/**
 * The TensorFlow native engine is missing or could not be loaded; or a kernel
 * failed for a reason Duet does not classify below (the message names the TF
 * op, its inputs and TensorFlow's text; `cause` is TensorFlow's error).
 */
export class NativeEngineError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NATIVE_ENGINE', message, options);
  }
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, ...). */
export class ShapeError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHAPE', message, options);
  }
}

/** A dtype that an operation does not accept. */
export class DTypeError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DTYPE', message, options);
  }
}

/** A bad argument value (dim out of range, negative size, ...). */
export class ArgumentError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ARGUMENT', message, options);
  }
}

/**
 * An index value out of range for the dim it indexes (`gather`, `indexSelect`,
 * `embedding`). An `ArgumentError` with its own code. TensorFlow checks the
 * values inside the kernel (reading them in JavaScript first would cost a
 * sync per call), and Duet turns its text into this error naming the op, the
 * shapes, the position and the bad value.
 */
export class IndexError extends ArgumentError {
  override readonly code = 'ERR_INDEX';
}

/**
 * A tensor too large to allocate: checked before allocating where the size is
 * known (creation functions: more bytes than the machine has), else
 * TensorFlow's own out-of-memory status (RESOURCE_EXHAUSTED).
 */
export class OutOfMemoryError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OUT_OF_MEMORY', message, options);
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
