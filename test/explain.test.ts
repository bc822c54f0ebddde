/**
 * @duet/explain against Captum's formulas (test/golden/captum.json, written
 * by test/golden/gen_captum.py in float64 from float32 weights): the same MLP
 * and CNN, built once as nn modules and once as Keras models with the same
 * weights, must give the same attributions within 1e-4. Each method also
 * runs inside `expectNoLeaks` (native tensor count before == after), the
 * model's weights must come back with requiresGrad on and no .grad, and
 * Integrated Gradients must satisfy completeness within 1 %.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, memory, randn, scope, tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '@duet/keras';
import {
  AttributionError, IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Occlusion, Saliency, approximationParameters, type AttributionModel,
} from '@duet/explain';
import { expectClose, expectNoLeaks, type Shaped } from './helpers.js';

interface Case {
  model: 'mlp' | 'cnn';
  method: string;
  options: Record<string, any>;
  inputs: Shaped;
  target: number | number[];
  attributions: Shaped;
  delta?: Shaped;
  noise?: Shaped;
  upsampled?: Record<string, Shaped>;
}
const golden = JSON.parse(readFileSync(new URL('./golden/captum.json', import.meta.url), 'utf8')) as {
  versions: Record<string, string>;
  models: Record<'mlp' | 'cnn', Record<string, Shaped>>;
  cases: Case[];
};
const load = (s: Shaped): Tensor => tensor(Float32Array.from(s.values.map(Number)), { shape: [...s.shape] });
const TOL = { atol: 1e-4, rtol: 1e-4 };

function nnMlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 3));
}
function nnCnn(): nn.Sequential {
  return new nn.Sequential(new nn.Conv2d(1, 3, 3, { padding: 1 }), new nn.ReLU(), new nn.Conv2d(3, 4, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3));
}

interface Built {
  model: AttributionModel;
  /** The CNN's second convolution (Grad-CAM's layer). */
  conv2?: nn.Module | keras.Layer;
  weights: Tensor[];
}

function buildNn(kind: 'mlp' | 'cnn'): Built {
  const m = kind === 'mlp' ? nnMlp() : nnCnn();
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(golden.models[kind])) sd[k] = load(v);
  m.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return { model: m, conv2: kind === 'cnn' ? m.at(2) : undefined, weights: [...m.parameters()] };
}

/** The same network in Keras: Dense kernels are the transposed Linear weights; convs channels-first with HWIO kernels. */
function buildKeras(kind: 'mlp' | 'cnn'): Built {
  const w = golden.models[kind];
  const t = (k: string) => load(w[k]!);
  if (kind === 'mlp') {
    const model = new keras.Sequential([
      keras.Input({ shape: [4] }),
      new keras.layers.Dense(8, { activation: 'tanh' }),
      new keras.layers.Dense(8, { activation: 'relu' }),
      new keras.layers.Dense(3),
    ]);
    model.setWeights(['0', '2', '4'].flatMap((i) => [t(`${i}.weight`).transpose(0, 1), t(`${i}.bias`)]));
    return { model, weights: [...model.weights] };
  }
  const conv1 = new keras.layers.Conv2D(3, 3, { padding: 'same', activation: 'relu', dataFormat: 'channels_first' });
  const conv2 = new keras.layers.Conv2D(4, 3, { dataFormat: 'channels_first' });
  const model = new keras.Sequential([keras.Input({ shape: [1, 8, 8] }), conv1, conv2, new keras.layers.ReLU(), new keras.layers.Flatten(), new keras.layers.Dense(3)]);
  const hwio = (k: string) => t(k).permute([2, 3, 1, 0]);
  model.setWeights([hwio('0.weight'), t('0.bias'), hwio('2.weight'), t('2.bias'), t('5.weight').transpose(0, 1), t('5.bias')]);
  return { model, conv2, weights: [...model.weights] };
}

function run(c: Case, b: Built): Tensor | { attributions: Tensor; delta: Tensor } {
  const x = load(c.inputs);
  const o = c.options;
  switch (c.method) {
    case 'Saliency':
      return new Saliency(b.model).attribute(x, { target: c.target, ...o });
    case 'IntegratedGradients': {
      const baselines = o.baselines !== undefined ? load(o.baselines) : undefined;
      return new IntegratedGradients(b.model).attribute(x, { ...o, baselines, target: c.target, returnConvergenceDelta: true });
    }
    case 'NoiseTunnel': {
      const base = o.base === 'Saliency' ? new Saliency(b.model) : new IntegratedGradients(b.model);
      const nt = new NoiseTunnel(base as Saliency);
      return nt.attribute(x, { ntType: o.ntType, ntSamples: o.ntSamples, noise: load(c.noise!), target: c.target, ...(o.nSteps !== undefined ? { nSteps: o.nSteps } : {}) } as never);
    }
    case 'LayerGradCam':
      return new LayerGradCam(b.model, b.conv2!).attribute(x, { target: c.target, reluAttributions: o.reluAttributions });
    case 'Occlusion':
      return new Occlusion(b.model).attribute(x, { target: c.target, slidingWindowShapes: o.slidingWindowShapes, strides: o.strides, baselines: o.baselines, perturbationsPerEval: 3 });
  }
  throw new Error(`unknown method ${c.method}`);
}

const builders = { nn: buildNn, keras: buildKeras };

for (const [style, build] of Object.entries(builders)) {
  describe(`@duet/explain (${style} models) vs Captum's formulas (torch ${golden.versions.torch})`, () => {
    const built = { mlp: build('mlp'), cnn: build('cnn') };
    golden.cases.forEach((c, i) => {
      it(`${i}: ${c.method} ${c.model} ${JSON.stringify({ ...c.options, baselines: c.options.baselines ? 'tensor' : undefined })}`, () => {
        const b = built[c.model];
        scope(() => {
          const r = run(c, b);
          const attr = r instanceof Tensor ? r : r.attributions;
          expectClose(attr, c.attributions, { ...TOL, message: 'attributions' });
          if (!(r instanceof Tensor)) {
            expectClose(r.delta, c.delta!, { ...TOL, message: 'delta' });
          }
          if (c.upsampled !== undefined) {
            for (const [mode, want] of Object.entries(c.upsampled)) {
              expectClose(LayerAttribution.interpolate(attr, [8, 8], mode as 'nearest'), want, { ...TOL, message: `interpolate ${mode}` });
            }
          }
        });
        expect(b.weights.every((w) => w.requiresGrad && w.grad === null), 'weights keep requiresGrad and get no .grad').toBe(true);
        expectNoLeaks(() => void run(c, b), `${c.method} leaked native tensors`);
      });
    });
  });
}

describe('@duet/explain invariants', () => {
  const { model } = buildNn('cnn');
  it('Integrated Gradients: completeness within 1 % (sum of attributions = f(x) - f(baseline))', () => {
    manualSeed(5);
    scope(() => {
      const x = randn([4, 1, 8, 8]);
      const f = (z: Tensor) => (model as nn.Module & { forward(t: Tensor): Tensor }).forward(z).select(1, 2);
      const ig = new IntegratedGradients(model);
      const { attributions, delta } = ig.attribute(x, { target: 2, nSteps: 300, internalBatchSize: 400, returnConvergenceDelta: true });
      const gap = f(x).sub(f(x.mul(0)));
      const sums = Array.from(attributions.reshape([4, -1]).sum(1).dataSync());
      Array.from(gap.dataSync()).forEach((g, i) => {
        expect(Math.abs(sums[i]! - g)).toBeLessThanOrEqual(0.01 * Math.abs(g) + 1e-6);
      });
      expectClose(delta, attributions.reshape([4, -1]).sum(1).sub(gap), { atol: 1e-5 });
    });
  });

  it('Gauss-Legendre nodes integrate polynomials of degree 2n - 1 exactly', () => {
    for (const n of [1, 2, 5, 50]) {
      const { stepSizes, alphas } = approximationParameters('gausslegendre', n);
      for (const deg of [0, 1, 2 * n - 1]) {
        const integral = stepSizes.reduce((s, w, i) => s + w * alphas[i]! ** deg, 0);
        expect(integral).toBeCloseTo(1 / (deg + 1), 10);
      }
    }
  });

  it('memory stays flat across 50 calls of every method', () => {
    scope(() => {
      const x = randn([2, 1, 8, 8]);
      const cnn = buildNn('cnn');
      const methods: (() => unknown)[] = [
        () => new Saliency(cnn.model).attribute(x, { target: 1 }),
        () => new IntegratedGradients(cnn.model).attribute(x, { target: 1, nSteps: 8, internalBatchSize: 6 }),
        () => new NoiseTunnel(new Saliency(cnn.model)).attribute(x, { target: 1, ntSamples: 3, stdevs: 0.1, seed: 1 }),
        () => new LayerGradCam(cnn.model, cnn.conv2!).attribute(x, { target: 1 }),
        () => new Occlusion(cnn.model).attribute(x, { target: 1, slidingWindowShapes: [1, 4, 4], strides: 4 }),
      ];
      methods.forEach((m, i) => {
        scope(() => void m());
        const before = memory().numTensors;
        for (let k = 0; k < 50; k++) scope(() => void m());
        expect(memory().numTensors - before, `method ${i}`).toBe(0);
      });
    });
  });

  it('NoiseTunnel with a seed is reproducible and leaves the global stream alone', () => {
    scope(() => {
      const { model: mlp } = buildNn('mlp');
      const x = randn([3, 4]);
      const nt = new NoiseTunnel(new Saliency(mlp));
      manualSeed(9);
      const a = nt.attribute(x, { target: 0, ntSamples: 4, stdevs: 0.3, seed: 42 });
      const afterA = randn([1]).item();
      manualSeed(9);
      const b = nt.attribute(x, { target: 0, ntSamples: 4, stdevs: 0.3, seed: 42 });
      const afterB = randn([1]).item();
      expectClose(a, b, { atol: 0 });
      expect(afterA).toBe(afterB);
      const c = nt.attribute(x, { target: 0, ntSamples: 4, stdevs: 0.3, seed: 43 });
      expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()));
    });
  });

  it('bad input gives typed errors that say what is allowed', () => {
    scope(() => {
      const { model: mlp } = buildNn('mlp');
      const x = randn([2, 4]);
      const sal = new Saliency(mlp);
      expect(() => sal.attribute(x, { target: 3 })).toThrow(AttributionError);
      expect(() => sal.attribute(x, { target: 3 })).toThrow(/expected an integer class index in \[0, 2\].*received 3/);
      expect(() => sal.attribute(x, { target: [0, 1, 2] })).toThrow(/one target per example \(2\)/);
      expect(() => sal.attribute(x)).toThrow(/a target is required/);
      expect(() => new IntegratedGradients(mlp).attribute(x, { target: 0, method: 'simpson' })).toThrow(/expected one of 'gausslegendre'/);
      expect(() => new IntegratedGradients(mlp).attribute(x, { target: 0, baselines: randn([3]) })).toThrow(/baselines must have the inputs' shape \[2, 4\]/);
      expect(() => new Occlusion(mlp).attribute(x, { target: 0, slidingWindowShapes: [5] })).toThrow(/slidingWindowShapes/);
      expect(() => new NoiseTunnel(sal).attribute(x, { target: 0, ntType: 'smooth' })).toThrow(/expected one of 'smoothgrad'/);
      expect(() => new Saliency(42 as never)).toThrow(/expected a model/);
      const cnn = buildNn('cnn');
      expect(() => new LayerGradCam(cnn.model, new nn.Conv2d(1, 1, 1)).attribute(randn([1, 1, 8, 8]), { target: 0 })).toThrow(/did not run/);
    });
  });
});

describe('@duet/explain on models built by the first call', () => {
  it('a Keras model without an Input (built lazily) keeps no .grad on its weights', () => {
    scope(() => {
      const model = new keras.Sequential([new keras.layers.Dense(5, { activation: 'tanh' }), new keras.layers.Dense(3)]);
      expect(model.weights.length).toBe(0);
      const x = randn([2, 4]);
      const a = new Saliency(model).attribute(x, { target: 1 });
      expect(a.shape).toEqual([2, 4]);
      expect(model.weights.length).toBe(4);
      expect(model.weights.every((w) => w.grad === null && w.requiresGrad)).toBe(true);
      const b = new Saliency(model).attribute(x, { target: 1 });
      expectClose(a, b, { atol: 0 });
    });
  });
});

describe('LayerGradCam on a channels-last Keras layer', () => {
  it('gives [batch, h, w, 1], equal to the channels-first model with the same weights', () => {
    scope(() => {
      const first = buildKeras('cnn');
      const w = golden.models.cnn;
      const t = (k: string) => load(w[k]!);
      const hwio = (k: string) => t(k).permute([2, 3, 1, 0]);
      const conv2 = new keras.layers.Conv2D(4, 3);
      const last = new keras.Sequential([keras.Input({ shape: [8, 8, 1] }), new keras.layers.Conv2D(3, 3, { padding: 'same', activation: 'relu' }), conv2, new keras.layers.ReLU(), new keras.layers.Permute([3, 1, 2]), new keras.layers.Flatten(), new keras.layers.Dense(3)]);
      last.setWeights([hwio('0.weight'), t('0.bias'), hwio('2.weight'), t('2.bias'), t('5.weight').transpose(0, 1), t('5.bias')]);
      const c = golden.cases.find((k) => k.method === 'LayerGradCam')!;
      const x = load(c.inputs);
      const camFirst = new LayerGradCam(first.model, first.conv2!).attribute(x, { target: c.target });
      const camLast = new LayerGradCam(last, conv2).attribute(x.permute([0, 2, 3, 1]), { target: c.target });
      expect(camLast.shape).toEqual([2, 6, 6, 1]);
      expectClose(camLast.permute([0, 3, 1, 2]), camFirst, TOL);
    });
  });
});
