/**
 * Keras's errors as typed Duet errors. Keras raises `ValueError` with a
 * message that says what was expected and what was received; Duet keeps the
 * message and adds a stable `code`.
 */
import { DuetError } from '@duet/core';

/** A bad argument or configuration ("Received: units=-1"): Keras's ValueError. */
export class KerasValueError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KERAS_VALUE', message, options);
  }
}

/** An input whose shape (or rank) a layer or model does not accept. */
export class IncompatibleInputError extends DuetError {
  constructor(message: string) {
    super('ERR_KERAS_INPUT', message);
  }
}

/** A string identifier (loss, metric, optimizer, initializer, layer class, ...) that is not known. */
export class UnknownIdentifierError extends DuetError {
  constructor(
    readonly kind: string,
    readonly identifier: string,
    known: readonly string[],
  ) {
    super('ERR_KERAS_UNKNOWN_IDENTIFIER', `Could not interpret ${kind} identifier: ${JSON.stringify(identifier)}. Known ${kind}s: ${known.join(', ')}.`);
  }
}

/** A model used before `compile()`, or a layer used before it was built. */
export class NotReadyError extends DuetError {
  constructor(message: string) {
    super('ERR_KERAS_NOT_READY', message);
  }
}

/** Data whose sizes do not fit together (x and y lengths, batch sizes). */
export class DataCardinalityError extends DuetError {
  constructor(message: string) {
    super('ERR_KERAS_DATA_CARDINALITY', message);
  }
}

/** The training loss became NaN or infinite. */
export class NonFiniteLossError extends DuetError {
  constructor(message: string) {
    super('ERR_KERAS_NON_FINITE_LOSS', message);
  }
}
