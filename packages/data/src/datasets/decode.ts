/**
 * Image decoding by TensorFlow's native decoders (PNG, JPEG, BMP, GIF), through
 * `decodeImage` of @duet/core.
 */
import { decodeImage } from '@duet/core';
import { DatasetFormatError } from '../errors.js';
import { RawImage } from '../host.js';

/** Decode image bytes into a RawImage with `channels` channels; errors name `path`. */
export function decodeToRawImage(bytes: Uint8Array, path: string, channels: number): RawImage {
  let out: { data: Uint8Array; shape: [number, number, number] };
  try {
    out = decodeImage(bytes, { channels: channels as 0 | 1 | 3 | 4 });
  } catch (cause) {
    throw new DatasetFormatError(path, `Cannot decode the image ${path} (${bytes.length} bytes): ${(cause as Error).message}. Expected a PNG, JPEG, BMP or GIF file.`, { cause });
  }
  const [h, w, c] = out.shape;
  return new RawImage(out.data, h, w, c);
}
