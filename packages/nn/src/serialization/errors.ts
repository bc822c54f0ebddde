/** The one error type of `save` / `load`: what is wrong with the file, with a stable code. */
import { DuetError } from '@duet/core';

/**
 * - `ERR_SAFETENSORS_TRUNCATED`: the file ends before its header or its data does.
 * - `ERR_SAFETENSORS_HEADER_TOO_LARGE`: the declared header length exceeds the file (or 100 MB).
 * - `ERR_SAFETENSORS_HEADER`: the header is not valid UTF-8 JSON of the expected form.
 * - `ERR_SAFETENSORS_DTYPE`: a tensor has a dtype Duet cannot load.
 * - `ERR_SAFETENSORS_OFFSETS`: data offsets overlap, leave gaps, or do not match a tensor's shape.
 * - `ERR_SAFETENSORS_VALUE`: an integer does not fit in int32.
 * - `ERR_SAFETENSORS_NOT_A_FILE`: `load` was given a directory, a device (`/dev/zero`), a pipe...
 * - `ERR_SAFETENSORS_IO`: the file system refused a read or a write (missing folder, permission,
 *   a directory in the way, a full disk); the message names the target path, `cause` is Node's error.
 */
export type SafetensorsErrorCode =
  | 'ERR_SAFETENSORS_TRUNCATED'
  | 'ERR_SAFETENSORS_HEADER_TOO_LARGE'
  | 'ERR_SAFETENSORS_HEADER'
  | 'ERR_SAFETENSORS_DTYPE'
  | 'ERR_SAFETENSORS_OFFSETS'
  | 'ERR_SAFETENSORS_VALUE'
  | 'ERR_SAFETENSORS_NOT_A_FILE'
  | 'ERR_SAFETENSORS_IO';

/** A safetensors file that cannot be read; `code` says why, the message says where. */
export class SafetensorsError extends DuetError {
  declare readonly code: SafetensorsErrorCode;
  constructor(code: SafetensorsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
