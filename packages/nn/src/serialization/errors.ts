/** The one error type of `save` / `load`: what is wrong with the file, with a stable code. */
import { DuetError } from '@duet/core';

/**
 * - `ERR_SAFETENSORS_TRUNCATED`: the file ends before its header or its data does.
 * - `ERR_SAFETENSORS_HEADER_TOO_LARGE`: the declared header length exceeds the file (or 100 MB).
 * - `ERR_SAFETENSORS_HEADER`: the header is not valid UTF-8 JSON of the expected form.
 * - `ERR_SAFETENSORS_DTYPE`: a tensor has a dtype Duet cannot load.
 * - `ERR_SAFETENSORS_OFFSETS`: data offsets overlap, leave gaps, or do not match a tensor's shape.
 * - `ERR_SAFETENSORS_VALUE`: an integer does not fit in int32.
 */
export type SafetensorsErrorCode =
  | 'ERR_SAFETENSORS_TRUNCATED'
  | 'ERR_SAFETENSORS_HEADER_TOO_LARGE'
  | 'ERR_SAFETENSORS_HEADER'
  | 'ERR_SAFETENSORS_DTYPE'
  | 'ERR_SAFETENSORS_OFFSETS'
  | 'ERR_SAFETENSORS_VALUE';

/** A safetensors file that cannot be read; `code` says why, the message says where. */
export class SafetensorsError extends DuetError {
  declare readonly code: SafetensorsErrorCode;
  constructor(code: SafetensorsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
