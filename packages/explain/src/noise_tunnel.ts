/**
 * NoiseTunnel (Captum): run an attribution method on `ntSamples` noisy
 * copies of the inputs (Gaussian noise, standard deviation `stdevs`) and
 * combine them: 'smoothgrad' = mean (Smilkov et al. 2017,
 * https://arxiv.org/abs/1706.03825), 'smoothgrad_sq' = mean of squares,
 * 'vargrad' = variance.
 *
 * Noise comes from Duet's global generator (`manualSeed`), from `seed` (a
 * generator of its own, so the global stream is left alone), or is given
 * as `noise` ([ntSamples, ...inputs shape]) to reproduce draws made
 * elsewhere.
 *
 * @example
 * ```ts
 * import { NoiseTunnel, Saliency } from '@duet/explain';
 * const nt = new NoiseTunnel(new Saliency(model));
 * const attr = nt.attribute(x, { ntType: 'smoothgrad', ntSamples: 10, stdevs: 0.1, target: 3, seed: 0 });
 * ```
 */
import { Generator, Tensor, randn, scope, tensor } from '@duet/core';
import { AttributionError } from './errors.js';

export const NT_TYPES = ['smoothgrad', 'smoothgrad_sq', 'vargrad'] as const;
export type NoiseTunnelType = (typeof NT_TYPES)[number];

/** Any attribution method: `attribute(inputs, options) -> Tensor`. */
export interface Attribution<O> {
  attribute(inputs: Tensor, options?: O): Tensor;
}

export interface NoiseTunnelOptions {
  ntType?: NoiseTunnelType | string;
  /** Noisy copies (default 5). */
  ntSamples?: number;
  /** Standard deviation of the noise (default 1, as Captum). */
  stdevs?: number;
  /** Seed of a generator used only for this call's noise. */
  seed?: number;
  /** The noise itself, shape [ntSamples, ...inputs shape] (overrides stdevs/seed). */
  noise?: Tensor;
}

export class NoiseTunnel<O extends object> {
  constructor(readonly attributionMethod: Attribution<O>) {
    if (typeof (attributionMethod as Partial<Attribution<O>>)?.attribute !== 'function') {
      throw new AttributionError(`NoiseTunnel: expected an attribution method (an object with attribute(inputs, options), e.g. new Saliency(model)); received ${typeof attributionMethod}.`);
    }
  }

  attribute(inputs: Tensor, options: NoiseTunnelOptions & O = {} as NoiseTunnelOptions & O): Tensor {
    const who = 'NoiseTunnel.attribute';
    const { ntType = 'smoothgrad', ntSamples = 5, stdevs = 1, seed, noise, ...rest } = options;
    if (!(NT_TYPES as readonly string[]).includes(ntType)) throw new AttributionError(`${who}: unknown ntType '${ntType}'; expected one of ${NT_TYPES.map((t) => `'${t}'`).join(', ')}.`);
    if (!Number.isInteger(ntSamples) || ntSamples < 1) throw new AttributionError(`${who}: ntSamples must be a positive integer; received ${ntSamples}.`);
    if (!(stdevs >= 0)) throw new AttributionError(`${who}: stdevs must be >= 0; received ${stdevs}.`);
    if (noise !== undefined) {
      const want = [ntSamples, ...inputs.shape];
      if (noise.shape.length !== want.length || noise.shape.some((d, i) => d !== want[i])) {
        throw new AttributionError(`${who}: noise must have shape [ntSamples, ...inputs shape] = [${want.join(', ')}]; received [${noise.shape.join(', ')}].`);
      }
    }
    const gen = seed !== undefined ? new Generator(seed) : null;
    return scope(() => {
      let sum: Tensor | null = null;
      let sumSq: Tensor | null = null;
      for (let k = 0; k < ntSamples; k++) {
        const [a, a2] = scope(() => {
          const eps = noise !== undefined ? noise.select(0, k) : gen !== null ? normal(gen, inputs.shape, stdevs) : randn([...inputs.shape]).mul(stdevs);
          const attr = this.attributionMethod.attribute(inputs.add(eps), rest as unknown as O);
          return [attr, attr.mul(attr)];
        });
        sum = accumulate(sum, a!);
        sumSq = accumulate(sumSq, a2!);
      }
      const mean = sum!.div(ntSamples);
      const meanSq = sumSq!.div(ntSamples);
      if (ntType === 'smoothgrad') return mean;
      if (ntType === 'smoothgrad_sq') return meanSq;
      return meanSq.sub(mean.mul(mean));
    });
  }
}

function accumulate(total: Tensor | null, part: Tensor): Tensor {
  if (total === null) return part;
  const next = total.add(part);
  total.dispose();
  part.dispose();
  return next;
}

/** N(0, std^2) samples from a seeded generator (Box-Muller). */
function normal(gen: Generator, shape: readonly number[], std: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    let u = 0;
    while (u === 0) u = gen.random();
    const v = gen.random();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return tensor(out, { shape: [...shape] });
}
