/**
 * The model zoo of issue 10, built in Duet: the same nine architectures,
 * with the same layer names, as `build()` in test/golden/gen_keras_zoo.py.
 */
import { manualSeed, noGrad, randn, type Tensor } from '@duet/core';
import * as keras from '../../../packages/keras/src/index.js';

const L = keras.layers;

export const ZOO_NAMES = ['mlp', 'cnn_bn', 'lstm_text', 'gru', 'two_input', 'transformer', 'embedding_mask', 'nested', 'rnn_wrappers'] as const;
export type ZooName = (typeof ZOO_NAMES)[number];

export function buildZoo(name: ZooName): keras.Model {
  switch (name) {
    case 'mlp':
      return new keras.Sequential([keras.Input({ shape: [8], name: 'x' }), new L.Dense(16, { activation: 'relu', name: 'hidden' }), new L.Dropout(0.2, { name: 'drop' }),
        new L.Dense(4, { activation: 'softmax', name: 'probs' })], { name: 'mlp' });
    case 'cnn_bn':
      return new keras.Sequential([keras.Input({ shape: [8, 8, 2], name: 'image' }), new L.Conv2D(4, 3, { padding: 'same', name: 'conv1' }), new L.BatchNormalization({ name: 'bn1' }),
        new L.Activation('relu', { name: 'relu1' }), new L.MaxPooling2D(2, { name: 'pool' }), new L.Conv2D(6, 3, { name: 'conv2' }),
        new L.BatchNormalization({ name: 'bn2' }), new L.GlobalAveragePooling2D({ name: 'gap' }), new L.Dense(3, { name: 'logits' })], { name: 'cnn_bn' });
    case 'lstm_text':
      return new keras.Sequential([keras.Input({ shape: [10], dtype: 'int32', name: 'tokens' }), new L.Embedding(50, 8, { name: 'embed' }), new L.LSTM(12, { name: 'lstm' }),
        new L.Dense(2, { activation: 'softmax', name: 'probs' })], { name: 'lstm_text' });
    case 'gru':
      return new keras.Sequential([keras.Input({ shape: [7, 5], name: 'series' }), new L.GRU(8, { returnSequences: true, name: 'gru1' }), new L.GRU(6, { name: 'gru2' }),
        new L.Dense(1, { name: 'out' })], { name: 'gru' });
    case 'two_input': {
      const a = keras.Input({ shape: [6], name: 'a' });
      const b = keras.Input({ shape: [3], name: 'b' });
      const ha = new L.Dense(5, { activation: 'tanh', name: 'dense_a' }).apply(a);
      const hb = new L.Dense(4, { activation: 'relu', name: 'dense_b' }).apply(b);
      const c = new L.Concatenate({ name: 'concat' }).apply([ha, hb]);
      return new keras.Model({ inputs: [a, b], outputs: new L.Dense(2, { name: 'head' }).apply(c), name: 'two_input' });
    }
    case 'transformer': {
      const x = keras.Input({ shape: [6, 8], name: 'seq' });
      const att = new L.MultiHeadAttention(2, 4, { name: 'mha' }).apply([x, x]);
      const h = new L.LayerNormalization({ name: 'ln1' }).apply(new L.Add({ name: 'add1' }).apply([x, att]));
      const ff = new L.Dense(8, { name: 'ff2' }).apply(new L.Dense(16, { activation: 'relu', name: 'ff1' }).apply(h));
      const h2 = new L.LayerNormalization({ name: 'ln2' }).apply(new L.Add({ name: 'add2' }).apply([h, ff]));
      const out = new L.Dense(2, { name: 'head' }).apply(new L.GlobalAveragePooling1D({ name: 'pool' }).apply(h2));
      return new keras.Model({ inputs: x, outputs: out, name: 'transformer' });
    }
    case 'embedding_mask':
      return new keras.Sequential([keras.Input({ shape: [8], dtype: 'int32', name: 'ids' }), new L.Embedding(20, 6, { maskZero: true, name: 'embed' }),
        new L.LSTM(5, { returnSequences: true, name: 'lstm' }), new L.GlobalAveragePooling1D({ name: 'pool' }),
        new L.Dense(3, { name: 'head' })], { name: 'embedding_mask' });
    case 'nested': {
      const inner = new keras.Sequential([keras.Input({ shape: [5], name: 'inner_in' }), new L.Dense(6, { activation: 'relu', name: 'inner_dense1' }),
        new L.Dense(4, { name: 'inner_dense2' })], { name: 'inner' });
      const x = keras.Input({ shape: [5], name: 'x' });
      const h = inner.apply(x);
      const out = new L.Dense(2, { name: 'head' }).apply(new L.Concatenate({ name: 'concat' }).apply([h, x]));
      return new keras.Model({ inputs: x, outputs: out, name: 'nested' });
    }
    case 'rnn_wrappers':
      return new keras.Sequential([keras.Input({ shape: [6, 3], name: 'steps' }), new L.Bidirectional(new L.LSTM(4, { returnSequences: true, name: 'lstm' }), { name: 'bilstm' }),
        new L.TimeDistributed(new L.Dense(2, { name: 'proj' }), { name: 'per_step' }), new L.SimpleRNN(3, { name: 'rnn' }),
        new L.Dense(1, { name: 'out' })], { name: 'rnn_wrappers' });
  }
}

/** Random weights everywhere (seeded), BatchNorm's moving variances positive, as `randomize()` in the generator. */
export function randomizeZoo(model: keras.Model, seed: number): void {
  manualSeed(seed);
  noGrad(() => {
    const values: Tensor[] = model.weights.map((v) => {
      const w = randn([...v.shape]).mul(0.5);
      return v.path.endsWith('moving_variance') ? w.abs().add(0.5) : w;
    });
    model.setWeights(values);
    for (const t of values) t.dispose();
  });
}
