/** `F.pad`: constant, reflect, replicate and circular padding (negative constant padding crops). */
import { ArgumentError, cat, full, type Tensor } from '@duet/core';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * Pad `x` with `pad` = [left, right] of the last dim, then [left, right] of
 * the one before, ... (PyTorch's order).
 *
 * @example
 * ```ts
 * import { ones } from '@duet/core';
 * import { F } from '@duet/nn';
 * F.pad(ones([1, 1, 2, 2]), [1, 1, 0, 0]).shape; // [1, 1, 2, 4]
 * ```
 */
export function pad(x: Tensor, pad: number[], options: { mode?: PadMode; value?: number } = {}): Tensor {
  const mode = options.mode ?? 'constant';
  if (pad.length % 2 !== 0 || pad.length / 2 > x.ndim || pad.some((p) => !Number.isInteger(p))) {
    throw new ArgumentError(`pad: expected an even number of integer paddings, at most 2 per dim of the input (rank ${x.ndim}), received [${pad.join(', ')}].`);
  }
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) throw new ArgumentError(`pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', received '${mode}'.`);
  let y = x;
  for (let i = 0; i < pad.length / 2; i++) {
    const dim = x.ndim - 1 - i;
    y = padDim(y, dim, pad[2 * i]!, pad[2 * i + 1]!, mode, options.value ?? 0);
  }
  return y;
}

function padDim(x: Tensor, dim: number, left: number, right: number, mode: PadMode, value: number): Tensor {
  if (left === 0 && right === 0) return x;
  const n = x.shape[dim]!;
  if (mode === 'constant' && (left < 0 || right < 0)) {
    const s = Math.max(-left, 0);
    x = x.narrow(dim, s, n - s - Math.max(-right, 0));
    return padDim(x, dim, Math.max(left, 0), Math.max(right, 0), mode, value);
  }
  if (left < 0 || right < 0) throw new ArgumentError(`pad: negative padding is only supported in constant mode, received ${left}, ${right} with mode '${mode}'.`);
  if (mode === 'reflect' && (left >= n || right >= n)) throw new ArgumentError(`pad: reflect padding (${left}, ${right}) must be smaller than the dim's size ${n}.`);
  if (mode === 'circular' && (left > n || right > n)) throw new ArgumentError(`pad: circular padding (${left}, ${right}) must not exceed the dim's size ${n}.`);
  const parts: Tensor[] = [];
  const side = (k: number, front: boolean): Tensor => {
    const shape = [...x.shape];
    shape[dim] = k;
    switch (mode) {
      case 'constant': return full(shape, value, { dtype: x.dtype });
      case 'reflect': return x.narrow(dim, front ? 1 : n - 1 - k, k).flip([dim]);
      case 'replicate': return x.narrow(dim, front ? 0 : n - 1, 1).expand(shape);
      default: return x.narrow(dim, front ? n - k : 0, k);
    }
  };
  if (left > 0) parts.push(side(left, true));
  parts.push(x);
  if (right > 0) parts.push(side(right, false));
  return cat(parts, dim);
}
