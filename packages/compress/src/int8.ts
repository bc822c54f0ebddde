/**
 * Per-channel symmetric int8 quantization of one weight, with PyTorch's
 * rules (`torch.ao.quantization.PerChannelMinMaxObserver(dtype=qint8,
 * qscheme=per_channel_symmetric)` then `torch.quantize_per_channel`):
 * for each output channel, scale = max(|w|) / 127.5 (the int8 range
 * [-128, 127] is 255 wide), at least float32's epsilon; zero point 0;
 * q = clamp(round_half_even(w * (1 / scale)), -128, 127) in float32
 * arithmetic; w ~= q * scale.
 */
const EPS = 1.1920928955078125e-7; // torch.finfo(torch.float32).eps
const f = Math.fround;

export interface Int8Weight {
  shape: number[];
  /** The channel dim (0 for nn weights [out, ...]; the last for Keras kernels [..., out]). */
  axis: number;
  values: Int8Array;
  /** One scale per channel along `axis`. */
  scales: Float32Array;
}

function nearbyint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even, as C's nearbyint
}

/** Index of the channel (along `axis`) of each flat position: channel = floor(i / inner) % channels. */
function channelGeometry(shape: readonly number[], axis: number): { channels: number; inner: number } {
  return { channels: shape[axis]!, inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1) };
}

export function quantizePerChannel(values: Float32Array, shape: readonly number[], axis: number): Int8Weight {
  const { channels, inner } = channelGeometry(shape, axis);
  const amax = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(values[i]!);
    if (a > amax[c]!) amax[c] = a;
  }
  const scales = Float32Array.from(amax, (m) => Math.max(f(m / 127.5), EPS));
  const inv = Float32Array.from(scales, (s) => f(1 / s));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = Math.min(127, Math.max(-128, nearbyint(f(values[i]! * inv[c]!))));
  }
  return { shape: [...shape], axis, values: q, scales };
}

export function dequantizePerChannel(w: Int8Weight): Float32Array {
  const { channels, inner } = channelGeometry(w.shape, w.axis);
  const out = new Float32Array(w.values.length);
  for (let i = 0; i < out.length; i++) out[i] = w.values[i]! * w.scales[Math.floor(i / inner) % channels]!;
  return out;
}
