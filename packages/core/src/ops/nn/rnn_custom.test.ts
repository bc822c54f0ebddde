/**
 * Duet's recurrent kernels (native/ops/lstm.cc, gru.cc: DuetLSTMSequence,
 * DuetGRUSequence and their Grad ops) on the raw binding: the AVX-512 GEMM
 * against Eigen's (the path of CPUs without AVX-512, chosen here with the ops'
 * `portable_gemm` attribute), and the kernels' own argument checks. nn's
 * rnn_custom.test.ts compares the layers with the paths on TensorFlow's
 * kernels; the golden tests compare them with PyTorch and Keras.
 */
import { describe, expect, it } from 'vitest';
import { boolAttr, customKernelStatus, runKernelN, tf, type TfTensor } from '../../kernels/index.js';

const enabled = customKernelStatus().enabled;

/** Forward and backward on one set of inputs; every result as numbers. */
function run(kind: 'LSTM' | 'GRU', portable: boolean, [T, N, I, H]: number[], reverse: boolean, seed: number): number[][] {
  const gates = kind === 'LSTM' ? 4 : 3;
  const t = tf();
  return t.tidy(() => {
    // PyTorch's initialisation, U(-1/sqrt(H), 1/sqrt(H)): with larger weights the gates saturate and rounding differences grow along the sequence.
    const bound = 1 / Math.sqrt(H!);
    const rnd = (shape: number[], k: number) => t.randomUniform(shape, -bound, bound, 'float32', seed + k);
    const x = rnd([T!, N!, I!], 1);
    const wIh = rnd([gates * H!, I!], 2);
    const wHh = rnd([gates * H!, H!], 3);
    const [bIh, bHh] = [rnd([gates * H!], 4), rnd([gates * H!], 5)];
    const [h0, c0] = [rnd([N!, H!], 6), rnd([N!, H!], 7)];
    const attrs = [boolAttr('reverse', reverse), boolAttr('portable_gemm', portable)];
    let results: TfTensor[];
    if (kind === 'LSTM') {
      const fwd = runKernelN('DuetLSTMSequence', attrs, [x, wIh, wHh, bIh, bHh, h0, c0], 3);
      results = [...fwd, ...runKernelN('DuetLSTMSequenceGrad', attrs, [x, wIh, wHh, h0, c0, fwd[0]!, fwd[1]!, fwd[2]!, rnd([T! + 1, N!, H!], 8)], 6)];
    } else {
      const fwd = runKernelN('DuetGRUSequence', attrs, [x, wIh, wHh, bIh, bHh, h0], 2);
      results = [...fwd, ...runKernelN('DuetGRUSequenceGrad', attrs, [x, wIh, wHh, h0, fwd[0]!, fwd[1]!, rnd([T!, N!, H!], 8)], 6)];
    }
    return results.map((v) => Array.from(v.dataSync()));
  });
}

describe.runIf(enabled)("The recurrent kernels' GEMMs", () => {
  // Sizes on and off the AVX-512 kernel's blocks (4 rows, 16-column vectors, 64-column blocks: H 13 leaves 52 columns of 4H,
  // H 40 56 of 3H, the widest partial block), one step, and products large enough to be split over the intra-op pool (the last).
  const sizes = [
    [[6, 4, 16, 16], false],
    [[5, 3, 7, 9], true],
    [[4, 3, 6, 13], false],
    [[1, 5, 17, 33], false],
    [[12, 7, 24, 40], true],
    [[35, 8, 64, 128], false],
  ] as const;
  it.each((['LSTM', 'GRU'] as const).flatMap((kind) => sizes.map(([dims, reverse]) => [kind, dims, reverse] as const)))('%s: AVX-512 and Eigen give the same results (T, N, I, H = %j, reverse %s)', (kind, dims, reverse) => {
    const fast = run(kind, false, [...dims], reverse, 3);
    const portable = run(kind, true, [...dims], reverse, 3);
    const names = kind === 'LSTM' ? ['hc', 'gates', 'cs', 'dx', 'dweight_ih', 'dweight_hh', 'dbias', 'dh0', 'dc0'] : ['y', 'saved', 'dx', 'dweight_ih', 'dweight_hh', 'dbias_ih', 'dbias_hh', 'dh0'];
    expect(fast.length).toBe(names.length);
    // Same products summed in different blocks: float32 rounding relative to the tensor's scale (as nn's lstm_custom.test.ts).
    fast.forEach((a, j) => {
      const b = portable[j]!;
      expect(a.length, names[j]).toBe(b.length);
      const tol = 1e-5 * (1 + b.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      const worst = a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k]!)), 0);
      expect(worst, `${names[j]}: largest difference ${worst}`).toBeLessThan(tol);
    });
  });
});

describe.runIf(enabled)("The recurrent kernels' argument checks", () => {
  const t = () => tf();
  const z = (shape: number[]) => t().zeros(shape, 'float32');
  const fwd = (x: number[], wIh: number[], wHh: number[], b: number[], s: number[]) =>
    t().tidy(() => runKernelN('DuetLSTMSequence', [], [z(x), z(wIh), z(wHh), z(b), z(b), z(s), z(s)], 3));
  it('names what it expected and what it received', () => {
    expect(() => fwd([5, 2], [16, 3], [16, 4], [16], [2, 4])).toThrow(/expected x of shape \[T, N, I\], received \[5,2\]/);
    expect(() => fwd([5, 2, 3], [16, 3], [15, 4], [16], [2, 4])).toThrow(/expected weight_hh of shape \[4H, H\], received \[15,4\]/);
    expect(() => fwd([5, 2, 3], [16, 4], [16, 4], [16], [2, 4])).toThrow(/expected weight_ih of shape \[16,3\], received \[16,4\]/);
    expect(() => fwd([5, 2, 3], [16, 3], [16, 4], [12], [2, 4])).toThrow(/expected bias_ih of shape \[16\], received \[12\]/);
    expect(() => fwd([5, 2, 3], [16, 3], [16, 4], [16], [3, 4])).toThrow(/expected h0 of shape \[2,4\], received \[3,4\]/);
    expect(() => fwd([0, 2, 3], [16, 3], [16, 4], [16], [2, 4])).toThrow(/at least one step/);
    const g = () =>
      t().tidy(() => runKernelN('DuetLSTMSequenceGrad', [], [z([5, 2, 3]), z([16, 3]), z([16, 4]), z([2, 4]), z([2, 4]), z([6, 2, 4]), z([5, 2, 16]), z([5, 2, 4]), z([5, 2, 4])], 6));
    expect(g).toThrow(/expected dhc of shape \[6,2,4\], received \[5,2,4\]/);
    const gru = (wIh: number[], s: number[]) => t().tidy(() => runKernelN('DuetGRUSequence', [], [z([5, 2, 3]), z(wIh), z([12, 4]), z([12]), z([12]), z(s)], 2));
    expect(() => gru([12, 4], [2, 4])).toThrow(/expected weight_ih of shape \[12,3\], received \[12,4\]/);
    expect(() => gru([12, 3], [2, 5])).toThrow(/expected h0 of shape \[2,4\], received \[2,5\]/);
  });
});
