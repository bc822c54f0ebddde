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
 * - `ERR_SAFETENSORS_INDEX`: a sharded checkpoint's `*.index.json` is malformed, names a shard outside
 *   its folder, or does not match the shards (a tensor missing, listed twice, or not listed).
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
  | 'ERR_SAFETENSORS_INDEX'
  | 'ERR_SAFETENSORS_IO';

/** A safetensors file that cannot be read; `code` says why, the message says where. */
export class SafetensorsError extends DuetError {
  declare readonly code: SafetensorsErrorCode;
  constructor(code: SafetensorsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * - `ERR_UNSAFE_PICKLE`: the pickle names a global other than tensors, storages and OrderedDict,
 *   or uses INST / OBJ / NEWOBJ_EX / extension codes (what `torch.load(weights_only=True)` refuses).
 * - `ERR_PICKLE`: the pickle is malformed or truncated (a bad opcode, a memo index never stored...).
 * - `ERR_TORCH_ARCHIVE`: the zip is damaged, has an entry name that escapes its folder, misses a
 *   storage, declares a storage larger or smaller than its tensors need (a zip bomb), or is big-endian.
 * - `ERR_TORCH_TENSOR`: a tensor's dtype is not one Duet reads, or its shape, stride and offset
 *   reach outside its storage; or an integer does not fit in int32.
 * - `ERR_TORCH_LEGACY_FORMAT`: written by `torch.save(_use_new_zipfile_serialization=False)`.
 * - `ERR_TORCH_NOT_A_STATE_DICT`: `load()` of a file that holds more than name -> tensor
 *   (a training checkpoint); `loadTorch()` returns the whole object.
 */
export type TorchFileErrorCode =
  | 'ERR_UNSAFE_PICKLE'
  | 'ERR_PICKLE'
  | 'ERR_TORCH_ARCHIVE'
  | 'ERR_TORCH_TENSOR'
  | 'ERR_TORCH_LEGACY_FORMAT'
  | 'ERR_TORCH_NOT_A_STATE_DICT';

/** A `torch.save` file (`.pt`, `.pth`, `pytorch_model.bin`) that Duet will not read; `code` says why. */
export class TorchFileError extends DuetError {
  declare readonly code: TorchFileErrorCode;
  constructor(code: TorchFileErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
