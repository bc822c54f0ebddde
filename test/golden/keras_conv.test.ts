/**
 * @duet/keras's convolution, pooling, normalization, image reshaping and
 * random image layers against Keras 3.15 / TensorFlow 2.21 (keras_conv.json,
 * written by gen_keras_conv.py): the same layer with the same weights
 * (`setWeights`; Normalization: `adapt` on the same data) must give Keras's
 * output, gradients of `sum(output * upstream)` for the inputs and trainable
 * weights, every weight after the call (BatchNormalization's moving
 * statistics in training) and output shape. Each case also runs twice more
 * inside `expectNoLeaks`: the native tensor count must not change.
 */
import { describe, expect, it } from 'vitest';
import { countKernels, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';
import { load, readFixture, shaped, type Stored } from './keras_fixtures.js';

interface ConvCase {
  id: string;
  cls: string;
  args: unknown[];
  options: Record<string, unknown>;
  training: boolean;
  adapt: Stored | null;
  inputs: Stored[];
  weights: Stored[];
  weightNames: string[];
  output: Stored;
  upstream: Stored;
  inputGrads: (Stored | null)[];
  weightGrads: (Stored | null)[];
  weightsAfter: Stored[];
  outputShape: (number | null)[];
}
const golden = readFixture<{ cases: ConvCase[] }>('keras_conv.json');

function make(c: ConvCase): keras.Layer {
  const Cls = (keras.layers as unknown as Record<string, new (...a: unknown[]) => keras.Layer>)[c.cls];
  if (Cls === undefined) throw new Error(`no keras.layers.${c.cls}`);
  return c.args.length > 0 ? new Cls(...c.args, c.options) : new Cls(c.options);
}

// float32 sums in another order (TF's fused batch norm vs Keras's moments, oneDNN convs).
const TOL = { atol: 2e-5, rtol: 1e-4 };

describe(`keras conv/pool/norm layers vs Keras ${golden.versions.keras} (TF ${golden.versions.tensorflow})`, () => {
  for (const c of golden.cases) {
    it(c.id, () => {
      const layer = make(c);
      const xs = c.inputs.map((s) => load(s, true));
      const arg = xs.length === 1 ? xs[0]! : xs;
      if (c.adapt !== null) {
        const data = load(c.adapt);
        (layer as keras.layers.Normalization).adapt(data);
        data.dispose();
      } else layer.apply(arg); // build
      expect(layer.weights.map((w) => w.path.split('/').pop())).toEqual(c.weightNames.map((n) => n.split('/').pop()));
      const run = () => {
        if (c.weights.length > 0) layer.setWeights(c.weights.map((w) => load(w)));
        const y = layer.apply(arg, { training: c.training }) as Tensor;
        expectClose(y, shaped(c.output), { ...TOL, message: 'output' });
        y.mul(load(c.upstream)).sum().backward();
        c.inputGrads.forEach((g, i) => g !== null && expectClose(xs[i]!.grad!, shaped(g), { ...TOL, message: `input ${i} grad` }));
        c.weightGrads.forEach((g, i) => g !== null && expectClose(layer.trainableWeights[i]!.grad!, shaped(g), { ...TOL, message: `weight ${i} grad` }));
        c.weightsAfter.forEach((w, i) => expectClose(layer.weights[i]!, shaped(w), { ...TOL, message: `weight ${i} after the call` }));
        for (const t of [...xs, ...layer.weights]) {
          t.grad?.dispose();
          t.grad = null;
        }
      };
      run();
      expectNoLeaks(run);
      const shapes = c.inputs.map((s) => [null, ...s.shape.slice(1)]);
      expect(layer.computeOutputShape(shapes.length === 1 ? shapes[0]! : shapes)).toEqual(c.outputShape);
      disposeWithGrads(xs);
    });
  }
});

// Inputs that need no gradient (augmentation on a model's inputs) take TensorFlow's
// ImageProjectiveTransformV3, one kernel per batch: the same Keras numbers.
describe('random image layers through ImageProjectiveTransformV3 (inputs without grad)', () => {
  for (const c of golden.cases.filter((c) => c.training && ['RandomRotation', 'RandomZoom', 'RandomTranslation'].includes(c.cls))) {
    it(c.id, () => {
      const layer = make(c);
      const x = load(c.inputs[0]!);
      const run = () => {
        const k = countKernels(() => {
          const y = layer.apply(x, { training: true }) as Tensor;
          expectClose(y, shaped(c.output), { ...TOL, message: 'output' });
        });
        expect(k.byName.ImageProjectiveTransformV3).toBe(1);
        expect(k.byName.GatherV2).toBeUndefined();
      };
      run();
      expectNoLeaks(run);
      x.dispose();
    });
  }
});
