/**
 * Magnitude pruning for Keras models, after the TensorFlow Model
 * Optimization toolkit's `prune_low_magnitude(model,
 * pruning_schedule=ConstantSparsity(target_sparsity, 0))` +
 * `UpdatePruningStep()` callback + `strip_pruning(model)`:
 *
 * - `pruneLowMagnitude(model, { targetSparsity, scope })` computes a mask
 *   per kernel of the model's Dense / Conv1D / Conv2D layers (the
 *   `targetSparsity` smallest |w|, per layer or over all of them together,
 *   as `nn.utils.prune.l1Unstructured` / `globalUnstructured` do) and zeroes
 *   the masked weights;
 * - `pruning.callback()` (tfmot's `UpdatePruningStep`) re-applies the masks
 *   after every training batch, so fine-tuning with `fit` keeps them;
 * - `pruning.strip()` releases the masks; the kernels keep their zeros.
 *
 * Unlike tfmot there is no wrapper layer: the model, its config and its
 * saved files stay as they are. The constant schedule only (sparsity from
 * the first step).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { pruneLowMagnitude } from '@duet/compress';
 * const model = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(128, { activation: 'relu' }), new keras.layers.Dense(10)]);
 * const pruning = pruneLowMagnitude(model, { targetSparsity: 0.8 });
 * // model.compile(...); await model.fit(x, y, { callbacks: [pruning.callback()] });
 * pruning.strip();
 * ```
 */
import { ArgumentError, noGrad, tensor, type Tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '@duet/keras';

type LayerClass = abstract new (...args: any[]) => keras.Layer;
const TYPES: LayerClass[] = [keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D];

export interface KerasPruneOptions {
  /** Fraction of the kernels' weights set to zero, in [0, 1). */
  targetSparsity: number;
  /** 'global' (default): the smallest |w| over all kernels together; 'layer': the same fraction in each kernel. */
  scope?: 'global' | 'layer';
}

export class KerasPruning {
  /** Each pruned kernel with its mask (1 keep, 0 pruned). */
  private entries: { kernel: keras.Variable; mask: Tensor }[];

  constructor(entries: { kernel: keras.Variable; mask: Tensor }[]) {
    this.entries = entries;
  }

  /** The kernels' paths. */
  get paths(): string[] {
    return this.entries.map((e) => e.kernel.path);
  }

  /** Zero the masked weights again (after an optimizer step). */
  apply(): void {
    noGrad(() => {
      for (const { kernel, mask } of this.entries) kernel.assign(kernel.mul(mask));
    });
  }

  /** tfmot's `UpdatePruningStep`: a callback that re-applies the masks after every training batch. */
  callback(): keras.callbacks.Callback {
    const self = this;
    return new (class UpdatePruningStep extends keras.callbacks.Callback {
      override onTrainBatchEnd(): void {
        self.apply();
      }
    })();
  }

  /** Fraction of zeros over all pruned kernels. */
  sparsity(): number {
    let zeros = 0;
    let total = 0;
    for (const { kernel } of this.entries) {
      for (const v of kernel.dataSync()) if (v === 0) zeros++;
      total += kernel.numel();
    }
    return total === 0 ? 0 : zeros / total;
  }

  /** tfmot's `strip_pruning`: release the masks (the kernels keep their zeros). */
  strip(): void {
    for (const e of this.entries) e.mask.dispose();
    this.entries = [];
  }
}

/** Prune the Dense / Conv kernels of a (built) Keras model by magnitude. */
export function pruneLowMagnitude(model: keras.Layer, options: KerasPruneOptions): KerasPruning {
  const who = 'pruneLowMagnitude';
  if (!(model instanceof keras.Layer)) throw new ArgumentError(`${who}: expected a Keras model; received ${typeof model}.`);
  const s = options?.targetSparsity;
  if (typeof s !== 'number' || !(s >= 0 && s < 1)) throw new ArgumentError(`${who}: targetSparsity must be a fraction in [0, 1); received ${JSON.stringify(s)}.`);
  const scope = options.scope ?? 'global';
  if (scope !== 'global' && scope !== 'layer') throw new ArgumentError(`${who}: scope must be 'global' or 'layer'; received ${JSON.stringify(scope)}.`);
  const kernels: keras.Variable[] = [];
  for (const l of [model, ...model.flattenLayers()]) {
    if (!TYPES.some((T) => l instanceof T) || !l.built) continue;
    const k = (l as keras.Layer & { kernel?: unknown }).kernel;
    if (k instanceof keras.Variable) kernels.push(k);
  }
  if (kernels.length === 0) {
    throw new ArgumentError(`${who}: the model has no built Dense, Conv1D or Conv2D kernel to prune (build it first: give it an Input or call it once).`);
  }
  const values = kernels.map((k) => Float32Array.from(k.dataSync()));
  let masks: Uint8Array[];
  const method = new nn.utils.prune.L1Unstructured(s);
  if (scope === 'layer') masks = values.map((v) => method.computeMask(v));
  else {
    const all = new Float32Array(values.reduce((n, v) => n + v.length, 0));
    let at = 0;
    for (const v of values) {
      all.set(v, at);
      at += v.length;
    }
    const m = method.computeMask(all);
    at = 0;
    masks = values.map((v) => m.slice(at, (at += v.length)));
  }
  const pruning = new KerasPruning(kernels.map((kernel, i) => ({ kernel, mask: tensor(Float32Array.from(masks[i]!), { shape: [...kernel.shape] }).keep() })));
  pruning.apply();
  return pruning;
}
