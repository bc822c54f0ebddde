/**
 * @duet/keras layers against Keras 3.15 / TensorFlow 2.21 (keras_layers.json,
 * written by gen_keras.py): the same layer, built on the same input, given
 * the same weights with `setWeights`, must give Keras's output, output shape,
 * and the gradients of `sum(output * upstream)` for its inputs and weights.
 * Each case also runs forward + backward twice and must not leak.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';
import { load, readFixture, shaped, type Stored } from './keras_fixtures.js';

interface LayerCase {
  id: string;
  cls: string;
  args: unknown[];
  options: Record<string, unknown>;
  inputs: Stored[];
  weights: Stored[];
  weightNames: string[];
  output: Stored;
  upstream: Stored;
  inputGrads: (Stored | null)[];
  weightGrads: (Stored | null)[];
  outputShape: (number | null)[] | null;
}
const golden = readFixture<{ cases: LayerCase[] }>('keras_layers.json');

function make(c: LayerCase): keras.Layer {
  const Cls = (keras.layers as unknown as Record<string, new (...a: unknown[]) => keras.Layer>)[c.cls];
  if (Cls === undefined) throw new Error(`no keras.layers.${c.cls}`);
  return c.args.length > 0 ? new Cls(...c.args, c.options) : new Cls(c.options);
}

// Keras computes some activations with other formulas or kernels (gelu, selu, log_softmax): float32 noise.
const TOL = { atol: 1e-5, rtol: 1e-4 };

describe(`keras layers vs Keras ${golden.versions.keras} (TF ${golden.versions.tensorflow})`, () => {
  for (const c of golden.cases) {
    it(c.id, () => {
      const layer = make(c);
      const xs = c.inputs.map((s) => load(s, s.dtype === 'float32'));
      const arg = xs.length === 1 ? xs[0]! : xs;
      layer.apply(arg); // build
      layer.setWeights(c.weights.map((s) => load(s)));
      expect(layer.weights.map((w) => w.path.split('/').pop())).toEqual(c.weightNames.map((n) => n.split('/').pop()));
      const run = () => {
        const y = layer.apply(arg) as Tensor;
        expectClose(y, shaped(c.output), { ...TOL, message: 'output' });
        y.mul(load(c.upstream)).sum().backward();
        c.inputGrads.forEach((g, i) => g !== null && expectClose(xs[i]!.grad!, shaped(g), { ...TOL, message: `input ${i} grad` }));
        c.weightGrads.forEach((g, i) => g !== null && expectClose(layer.trainableWeights[i]!.grad!, shaped(g), { ...TOL, message: `weight ${i} grad` }));
        for (const t of [...xs, ...layer.weights]) {
          t.grad?.dispose();
          t.grad = null;
        }
      };
      run();
      expectNoLeaks(run);
      if (c.outputShape !== null) {
        const shapes = c.inputs.map((s) => [null, ...s.shape.slice(1)]);
        expect(layer.computeOutputShape(shapes.length === 1 ? shapes[0]! : shapes)).toEqual(c.outputShape);
      }
      disposeWithGrads(xs);
      for (const w of layer.weights) w.dispose();
    });
  }
});
