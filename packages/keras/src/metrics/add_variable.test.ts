/**
 * A metric written as Keras's guide "Training & evaluation with the built-in
 * methods" writes one (CategoricalTruePositives), ported line by line:
 * `addVariable`, `assignAdd`, `assign`, and `ops.equal`.
 */
import { describe, expect, it } from 'vitest';
import { memory, randint, randn, scope, type Tensor } from '@duet/core';
import * as keras from '../index.js';
import { ops } from '../index.js';

class CategoricalTruePositives extends keras.metrics.Metric {
  truePositives: keras.Variable;
  constructor({ name = 'categorical_true_positives', ...kwargs }: keras.metrics.MetricOptions = {}) {
    super({ name, ...kwargs });
    this.truePositives = this.addVariable({ shape: [], name: 'ctp', initializer: 'zeros' });
  }

  override updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    yPred = ops.reshape(ops.argmax(yPred, { axis: 1 }), [-1, 1]);
    let values = ops.equal(ops.cast(yTrue, 'int32'), ops.cast(yPred, 'int32'));
    values = ops.cast(values, 'float32');
    if (sampleWeight !== undefined && sampleWeight !== null) {
      sampleWeight = ops.cast(sampleWeight, 'float32');
      values = ops.multiply(values, sampleWeight);
    }
    this.truePositives.assignAdd(ops.sum(values));
  }

  override result(): number {
    return this.truePositives.item();
  }

  override resetState(): void {
    this.truePositives.assign(0.0);
  }
}

describe('Metric.addVariable: a metric with its own state', () => {
  it('counts, resets, and is a compiled metric like any other', async () => {
    const yTrue = randint(0, 3, [20, 1]);
    const yPred = randn([20, 3]);
    const m = new CategoricalTruePositives();
    m.updateState(yTrue, yPred);
    const labels = yTrue.reshape([-1]).toArray() as number[];
    const argmax = yPred.argmax(1).toArray() as number[];
    const want = labels.filter((l, i) => l === argmax[i]).length;
    expect(m.result()).toBe(want);
    m.updateState(yTrue, yPred);
    expect(m.result()).toBe(2 * want);
    m.resetState();
    expect(m.result()).toBe(0);
    expect(m.variables.map((v) => v.path)).toEqual(['categorical_true_positives/ctp']);

    const model = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(3)]);
    model.compile({ optimizer: 'sgd', loss: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: [new CategoricalTruePositives()] });
    const h = await model.fit(randn([16, 4]), randint(0, 3, [16, 1]), { batchSize: 8, verbose: 0, epochs: 2 });
    expect(h.history.categorical_true_positives).toHaveLength(2);
    for (const v of h.history.categorical_true_positives!) expect(Number.isInteger(v) && v >= 0 && v <= 16).toBe(true);
  });

  it('dispose frees the variables; updates leak nothing', () => {
    const m = new CategoricalTruePositives();
    const yTrue = randint(0, 3, [8, 1]);
    const yPred = randn([8, 3]);
    scope(() => m.updateState(yTrue, yPred));
    const before = memory().numTensors;
    scope(() => m.updateState(yTrue, yPred));
    m.resetState();
    expect(memory().numTensors).toBe(before);
    m.dispose();
    expect(m.truePositives.isDisposed).toBe(true);
  });
});
