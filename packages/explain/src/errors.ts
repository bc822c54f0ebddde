/** Typed errors of @duet/explain: each says what is allowed and what was received. */
import { DuetError } from '@duet/core';

/** A bad argument to an attribution method (target out of range, wrong baseline shape, unknown method name, ...). */
export class AttributionError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ATTRIBUTION', message, options);
  }
}
