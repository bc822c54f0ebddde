/**
 * The compiled loss (Keras 3's `CompileLoss`): one Loss per output (from a
 * single identifier, an array, or an object by output name), the outputs'
 * weights (`lossWeights`), and per-output trackers (`<output>_loss` in the
 * logs) when more than one output has a loss (`loss: [null, cce]` logs only
 * `loss`, as Keras 3 does).
 */
import { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { get as getLoss, Loss, type LossIdentifier } from '../losses/index.js';
import { Mean } from '../metrics/metric.js';

export type LossConfig = LossIdentifier | (LossIdentifier | null)[] | Record<string, LossIdentifier | null>;

export class CompileLoss {
  private losses: (Loss | null)[] = [];
  private weights: number[] = [];
  readonly trackers: [string, Mean][] = [];
  private built = false;

  constructor(
    readonly config: LossConfig,
    readonly lossWeights: number[] | Record<string, number> | null,
  ) {
    // Resolve names now so an unknown identifier fails at compile().
    if (Array.isArray(config)) config.forEach((c) => c !== null && getLoss(c));
    else if (config !== null && typeof config === 'object' && !(config instanceof Loss) && !('className' in config)) Object.values(config).forEach((c) => c !== null && getLoss(c));
    else getLoss(config as LossIdentifier);
  }

  build(names: string[]): void {
    if (this.built) return;
    const c = this.config;
    if (Array.isArray(c)) {
      if (c.length !== names.length) throw new KerasValueError(`For a model with ${names.length} output(s), \`loss\` should have ${names.length} entries. Received: loss with ${c.length} entries.`);
      this.losses = c.map((l) => (l === null ? null : getLoss(l)));
    } else if (c !== null && typeof c === 'object' && !(c instanceof Loss) && !('className' in c)) {
      const unknown = Object.keys(c).filter((k) => !names.includes(k));
      if (unknown.length > 0) throw new KerasValueError(`In the dict argument \`loss\`, key(s) ${JSON.stringify(unknown)} do not correspond to any model output. Received: loss=${JSON.stringify(Object.keys(c))}, outputs=${JSON.stringify(names)}`);
      this.losses = names.map((n) => (c[n] == null ? null : getLoss(c[n]!)));
    } else this.losses = names.map(() => getLoss(c as LossIdentifier));
    const w = this.lossWeights;
    if (w === null) this.weights = names.map(() => 1);
    else if (Array.isArray(w)) {
      if (w.length !== names.length) throw new KerasValueError(`\`loss_weights\` should have ${names.length} entries (one per output). Received ${w.length}.`);
      this.weights = [...w];
    } else this.weights = names.map((n) => w[n] ?? 1);
    // Keras counts the losses given, not the outputs: a per-output tracker only when two or more outputs have a loss.
    if (this.losses.filter((l) => l !== null).length > 1) names.forEach((n, i) => this.losses[i] !== null && this.trackers.push([`${n}_loss`, new Mean({ name: `${n}_loss` })]));
    this.built = true;
  }

  /** The weighted sum of the outputs' losses (and each output's loss, for the trackers). */
  call(ys: (Tensor | null)[], preds: Tensor[], sampleWeight: Tensor | null): { total: Tensor; perOutput: (Tensor | null)[] } {
    let total: Tensor | null = null;
    const per = preds.map((p, i) => {
      const loss = this.losses[i];
      const y = ys[i] ?? null;
      if (loss === null || loss === undefined || y === null) return null;
      const v = loss.compute(y, p, sampleWeight);
      const w = this.weights[i]!;
      const term = w === 1 ? v : v.mul(w);
      total = total === null ? term : total.add(term);
      return v;
    });
    if (total === null) throw new KerasValueError('No loss to compute: every output with a loss is missing its target. Provide `y` for the outputs listed in `loss`.');
    return { total, perOutput: per };
  }
}
