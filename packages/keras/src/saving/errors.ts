/**
 * The typed errors of `.keras` / `.weights.h5` saving and loading. Each has
 * a stable `code`; the message names the file and what was expected.
 */
import { DuetError } from '@duet/core';

/**
 * - `ERR_KERAS_SAVE_PATH`: a file name without the expected extension (`.keras`, `.weights.h5`).
 * - `ERR_KERAS_ZIP`: not a zip archive, a truncated or corrupt one (an entry's CRC-32 differs), or an entry that is too large.
 * - `ERR_KERAS_ZIP_ENTRY`: an unsafe entry name (absolute, `..`, backslash), a duplicated or a missing entry.
 * - `ERR_KERAS_CONFIG`: `config.json` / `metadata.json` is not valid JSON of the expected form.
 * - `ERR_KERAS_H5`: not an HDF5 file, or a dataset of the wrong kind, dtype or an absurd shape.
 * - `ERR_KERAS_WEIGHTS_MISMATCH`: the file's weights do not fit the model (count or shape).
 * - `ERR_KERAS_UNKNOWN_CLASS`: a class in the config that is not registered.
 * - `ERR_TFJS_MODEL`: a tfjs `model.json` that is not JSON or not a layers model of the expected form.
 * - `ERR_TFJS_WEIGHTS`: a weight shard that is missing, unsafe, short or too long, or a weight whose name, shape or dtype does not fit the model.
 */
export type SavingErrorCode =
  | 'ERR_KERAS_SAVE_PATH'
  | 'ERR_KERAS_ZIP'
  | 'ERR_KERAS_ZIP_ENTRY'
  | 'ERR_KERAS_CONFIG'
  | 'ERR_KERAS_H5'
  | 'ERR_KERAS_WEIGHTS_MISMATCH'
  | 'ERR_KERAS_UNKNOWN_CLASS'
  | 'ERR_TFJS_MODEL'
  | 'ERR_TFJS_WEIGHTS';

export class SavingError extends DuetError {
  declare readonly code: SavingErrorCode;
  constructor(code: SavingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A class name in a saved config that Duet does not know: say how to register it. */
export class UnknownClassError extends SavingError {
  constructor(
    readonly category: string,
    readonly className: string,
    where: string,
  ) {
    super(
      'ERR_KERAS_UNKNOWN_CLASS',
      `${where}: unknown ${category} class '${className}'. If it is a custom ${category}, register it before loading: ` +
        `\`keras.registerSerializable('${category}', ${className})\` (the class needs \`getConfig()\` and \`static fromConfig(config)\`).`,
    );
  }
}
