/**
 * The tuner's typed errors. KerasTuner raises `ValueError` with a message
 * naming what was expected and what was received; Duet keeps the message
 * and adds a stable `code`.
 */
import { DuetError } from '@duet/core';

/** A search space that has no valid point (min > max, an empty Choice, log sampling from 0, ...). */
export class SearchSpaceError extends DuetError {
  constructor(message: string) {
    super('ERR_TUNER_SEARCH_SPACE', message);
  }
}

/** A bad tuner option or argument ("Received: maxEpochs=0"). */
export class TunerValueError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TUNER_VALUE', message, options);
  }
}
