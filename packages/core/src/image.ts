/** Image decoding with TensorFlow's native decoders (PNG, JPEG, BMP, GIF). */
import { tf } from './kernels/index.js';
import { ArgumentError } from './errors.js';

export interface DecodedImage {
  /** HWC pixels, row-major. */
  data: Uint8Array;
  shape: [number, number, number];
}

/**
 * Decode PNG, JPEG, BMP or (first frame of) GIF bytes into HWC uint8 pixels,
 * on TensorFlow's native decoder; no native tensor is left behind (safe in
 * worker threads). `channels`: 0 = as stored, 1 = grayscale, 3 = RGB, 4 = RGBA.
 */
export function decodeImage(bytes: Uint8Array, options: { channels?: 0 | 1 | 3 | 4 } = {}): DecodedImage {
  const channels = options.channels ?? 0;
  let t;
  try {
    t = tf().node.decodeImage(bytes, channels, 'int32', false);
  } catch (e) {
    throw new ArgumentError(`decodeImage: could not decode ${bytes.length} bytes as PNG, JPEG, BMP or GIF (${(e as Error).message.split('\n')[0]}).`);
  }
  try {
    const [h, w, c] = t.shape as [number, number, number];
    return { data: new Uint8Array(t.dataSync() as Int32Array), shape: [h, w, c] };
  } finally {
    t.dispose();
  }
}
