/**
 * Occlusion (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901), as
 * Captum's `Occlusion.attribute(inputs, sliding_window_shapes, strides,
 * baselines, target, perturbations_per_eval)`: a window slides over each
 * example (over every dim but the batch: [C, H, W] for images), the window
 * is replaced by the baseline, and every element in it is credited with
 * f(x)[t] - f(occluded)[t], averaged over the windows covering it. As in
 * Captum there are ceil((dim - window) / stride) + 1 positions per dim and
 * the last window is cropped at the border.
 *
 * @example
 * ```ts
 * import { Occlusion } from '@duet/explain';
 * const attr = new Occlusion(model).attribute(x, { slidingWindowShapes: [1, 4, 4], strides: [1, 2, 2], target: 3 });
 * ```
 */
import { noGrad, scope, tensor, type Tensor } from '@duet/core';
import { baselineLike, type Baseline } from './baselines.js';
import { AttributionError } from './errors.js';
import { checkInputs, outputShape, repeatTargets, resolveModel, selectTarget, targetIndices, type AttributionModel, type ResolvedModel, type Target } from './model.js';

export interface OcclusionOptions {
  /** The window over one example's dims (all but batch). */
  slidingWindowShapes: number[];
  /** One stride for every dim, or one per dim (default 1). */
  strides?: number | number[];
  /** What fills the window: a number (default 0) or a Tensor (inputs' or one example's shape). */
  baselines?: Baseline;
  target?: Target;
  /** Windows evaluated per forward pass (default 1, as Captum). */
  perturbationsPerEval?: number;
}

export class Occlusion {
  protected readonly model: ResolvedModel;
  constructor(model: AttributionModel) {
    this.model = resolveModel(model, 'Occlusion');
  }

  attribute(inputs: Tensor, options: OcclusionOptions): Tensor {
    const who = 'Occlusion.attribute';
    const x = checkInputs(inputs, who);
    const n = x.shape[0]!;
    const feat = x.shape.slice(1);
    const window = options?.slidingWindowShapes;
    if (!Array.isArray(window) || window.length !== feat.length || window.some((w, i) => !Number.isInteger(w) || w < 1 || w > feat[i]!)) {
      throw new AttributionError(`${who}: slidingWindowShapes must give one window size per dim of an example (${feat.length} dims, each in [1, size] for sizes [${feat.join(', ')}]); received ${JSON.stringify(window)}.`);
    }
    const s = options.strides ?? 1;
    const strides = typeof s === 'number' ? feat.map(() => s) : s;
    if (strides.length !== feat.length || strides.some((v) => !Number.isInteger(v) || v < 1)) {
      throw new AttributionError(`${who}: strides must be a positive integer or one per dim of an example (${feat.length}); received ${JSON.stringify(s)}.`);
    }
    const ppe = options.perturbationsPerEval ?? 1;
    if (!Number.isInteger(ppe) || ppe < 1) throw new AttributionError(`${who}: perturbationsPerEval must be a positive integer; received ${ppe}.`);
    const counts = feat.map((d, i) => Math.ceil((d - window[i]!) / strides[i]!) + 1);
    const positions = counts.reduce((a, b) => a * b, 1);
    const size = feat.reduce((a, b) => a * b, 1);
    const { forward } = this.model;

    // The masks of windows [start, start + k) as a [k, size] Float32Array; coverage counts in `weights`.
    const weights = new Float32Array(size);
    const masks = (start: number, k: number): Float32Array => {
      const m = new Float32Array(k * size);
      for (let j = 0; j < k; j++) {
        let rem = start + j;
        const lo: number[] = new Array<number>(feat.length);
        for (let d = feat.length - 1; d >= 0; d--) {
          lo[d] = (rem % counts[d]!) * strides[d]!;
          rem = Math.floor(rem / counts[d]!);
        }
        fillWindow(m, j * size, feat, lo, window, weights);
      }
      return m;
    };

    return scope(() =>
      noGrad(() => {
        const base = baselineLike(options.baselines, x, who);
        const indices = targetIndices(options.target, outputShape(forward, x), n, who);
        const initial = selectTarget(forward(x), indices); // [n]
        const xFlat = x.reshape([1, n, size]);
        const bFlat = base.reshape([1, n, size]);
        let total: Tensor | null = null;
        for (let start = 0; start < positions; start += ppe) {
          const k = Math.min(ppe, positions - start);
          const part = scope(() => {
            const m = tensor(masks(start, k), { shape: [k, 1, size] });
            const occluded = xFlat.mul(m.neg().add(1)).add(bFlat.mul(m)).reshape([k * n, ...feat]);
            const evals = selectTarget(forward(occluded), repeatTargets(indices, k)).reshape([k, n]);
            const diff = initial.reshape([1, n]).sub(evals); // [k, n]
            return diff.transpose(0, 1).matmul(m.reshape([k, size])); // [n, size]
          });
          const next: Tensor = total === null ? part : total.add(part);
          if (total !== null) {
            total.dispose();
            part.dispose();
          }
          total = next;
        }
        // Elements no window covers (a stride larger than the window) get 0.
        const w = Float32Array.from(weights, (c) => (c === 0 ? Infinity : c));
        return total!.div(tensor(w, { shape: [1, size] })).reshape([...x.shape]);
      }),
    );
  }
}

/** Set the window at `lo` (cropped at the border) to 1 in `m` at `offset`, counting coverage. */
function fillWindow(m: Float32Array, offset: number, feat: number[], lo: number[], window: number[], weights: Float32Array): void {
  const nd = feat.length;
  const hi = lo.map((l, d) => Math.min(l + window[d]!, feat[d]!));
  const idx = [...lo];
  const strides = new Array<number>(nd);
  let acc = 1;
  for (let d = nd - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= feat[d]!;
  }
  for (;;) {
    let flat = 0;
    for (let d = 0; d < nd; d++) flat += idx[d]! * strides[d]!;
    m[offset + flat] = 1;
    weights[flat] = weights[flat]! + 1;
    let d = nd - 1;
    while (d >= 0) {
      idx[d] = idx[d]! + 1;
      if (idx[d]! < hi[d]!) break;
      idx[d] = lo[d]!;
      d--;
    }
    if (d < 0) return;
  }
}
