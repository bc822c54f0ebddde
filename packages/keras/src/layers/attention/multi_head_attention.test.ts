/** MultiHeadAttention's weight settings: one `kernel*` and one `bias*` set for all four projections. */
import { describe, expect, it } from 'vitest';
import { randn } from '@duet/core';
import * as keras from '../../index.js';

describe('MultiHeadAttention weight settings', () => {
  it('reach the four kernels and four biases, and round-trip through the config in Keras key order', () => {
    const mha = new keras.layers.MultiHeadAttention(2, 3, { kernelRegularizer: 'l2', biasInitializer: 'ones', biasConstraint: 'non_neg' });
    const x = randn([2, 4, 6]);
    mha.apply([x, x]);
    const kernels = mha.weights.filter((w) => w.path.endsWith('/kernel'));
    const biases = mha.weights.filter((w) => w.path.endsWith('/bias'));
    expect(kernels.map((w) => w.path.split('/').at(-2))).toEqual(['query', 'key', 'value', 'attention_output']);
    expect(kernels.every((w) => w.regularizer !== null && w.constraint === null)).toBe(true);
    expect(biases.length).toBe(4);
    expect(biases.every((w) => w.regularizer === null && w.constraint !== null && Array.from(w.dataSync()).every((v) => v === 1))).toBe(true);
    expect(mha.losses.length).toBe(4);

    const config = mha.getConfig();
    const keys = Object.keys(config).filter((k) => /^(kernel|bias)(Initializer|Regularizer|Constraint)$/.test(k));
    expect(keys).toEqual(['kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint']);
    const back = keras.layers.MultiHeadAttention.fromConfig(JSON.parse(JSON.stringify(config)));
    expect(back.getConfig()).toEqual({ ...config, name: back.name });
    mha.dispose();
  });
});
