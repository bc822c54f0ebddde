/** Typed errors of @duet/compress. */
import { DuetError } from '@duet/core';

/** A layer or tensor that cannot be quantized as asked, or a quantized file that does not fit the model. */
export class QuantizationError extends DuetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_QUANTIZATION', message, options);
  }
}
