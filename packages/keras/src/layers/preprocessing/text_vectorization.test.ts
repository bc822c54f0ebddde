import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memory, type Tensor } from '@duet/core';
import { DataLoader, type MapDataset } from '@duet/data';
import * as keras from '../../index.js';
import { expectClose } from '../../../../../test/helpers.js';

interface Case {
  name: string;
  args: Record<string, unknown>;
  vocabulary: string[];
  corpus: number[][];
  corpus_shape: number[];
  unseen: number[][];
  unseen_shape: number[];
}
const golden = JSON.parse(readFileSync(new URL('../../../../../test/golden/keras_text.json', import.meta.url), 'utf8')) as {
  versions: Record<string, string>;
  corpus: string[];
  unseen: string[];
  cases: Case[];
  split_none: { train: string[][]; vocabulary: string[]; test: string[][]; output: number[][]; shape: number[] };
};

/** Keras's snake_case constructor arguments as Duet options. */
function options(args: Record<string, unknown>): keras.layers.TextVectorizationOptions {
  const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [camel(k), v])) as keras.layers.TextVectorizationOptions;
}

function values(t: Tensor): { shape: number[]; data: number[] } {
  return { shape: [...t.shape], data: Array.from(t.dataSync()) };
}

describe('TextVectorization against Keras 3 (test/golden/gen_keras_text.py)', () => {
  it('the fixture was made by Keras 3.15', () => {
    expect(golden.versions.keras).toMatch(/^3\.15/);
    expect(golden.cases.length).toBeGreaterThanOrEqual(18);
  });

  for (const c of golden.cases) {
    it(`${c.name}: vocabulary and outputs (${JSON.stringify(c.args)})`, () => {
      const layer = new keras.layers.TextVectorization(options(c.args));
      if (!('vocabulary' in c.args)) layer.adapt(golden.corpus);
      expect(layer.getVocabulary()).toEqual(c.vocabulary);
      expect(layer.vocabularySize()).toBe(c.vocabulary.length);
      const before = memory().numTensors;
      for (const [data, expected, shape] of [
        [golden.corpus, c.corpus, c.corpus_shape],
        [golden.unseen, c.unseen, c.unseen_shape],
      ] as const) {
        const y = layer.apply(data);
        expect(y.shape).toEqual(shape);
        if (layer.outputMode === 'int') {
          expect(y.dtype).toBe('int32');
          expect(y.toArray()).toEqual(expected);
        } else {
          expect(y.dtype).toBe('float32');
          expectClose(y, expected, { atol: 1e-6, rtol: 1e-6 });
        }
        y.dispose();
      }
      expect(memory().numTensors).toBe(before);
    });
  }

  it('split: null takes a column of tokens ([batch, 1]), as Keras does', () => {
    const s = golden.split_none;
    const layer = new keras.layers.TextVectorization({ split: null, standardize: 'lower' });
    layer.adapt(s.train);
    expect(layer.getVocabulary()).toEqual(s.vocabulary);
    const y = layer.apply(s.test);
    expect(values(y)).toEqual({ shape: s.shape, data: s.output.flat() });
  });

  it('adapt from a batched Duet dataset (sync and async iteration) gives the vocabulary of adapt(array)', async () => {
    for (const c of golden.cases.filter((k) => !('vocabulary' in k.args))) {
      const batches = [0, 3, 6, 9].map((i) => golden.corpus.slice(i, i + 3));
      const sync = new keras.layers.TextVectorization(options(c.args));
      sync.adapt((function* () {
        yield* batches;
      })());
      expect(sync.getVocabulary(), c.name).toEqual(c.vocabulary);
      const lines: MapDataset<string> = { length: golden.corpus.length, get: (i) => golden.corpus[i]! };
      const loader = new DataLoader(lines, { batchSize: 3, collateFn: (items: string[]) => items });
      const viaDataset = new keras.layers.TextVectorization(options(c.args));
      await viaDataset.adapt(loader as AsyncIterable<string[]>);
      expect(viaDataset.getVocabulary(), c.name).toEqual(c.vocabulary);
      if (c.args.output_mode === 'tf_idf') expect(viaDataset.getIdfWeights()).toEqual(sync.getIdfWeights());
    }
  });

  it('getConfig / fromConfig round-trip computes the same, for a given vocabulary', () => {
    const c = golden.cases.find((k) => k.name === 'tf_idf_vocab')!;
    const layer = new keras.layers.TextVectorization(options(c.args));
    const config = layer.getConfig();
    expect(config).toMatchObject({ outputMode: 'tf_idf', vocabulary: ['cat', 'dog', 'the'], idfWeights: [0.5, 1.25, 2.0], standardize: 'lower_and_strip_punctuation', split: 'whitespace' });
    const copy = keras.layers.TextVectorization.fromConfig(JSON.parse(JSON.stringify(config)));
    expect(copy.getConfig()).toEqual(config);
    expect(copy.apply(golden.unseen).toArray()).toEqual(layer.apply(golden.unseen).toArray());
    // An adapted layer is carried by its vocabulary (Keras keeps it as an asset).
    const adapted = new keras.layers.TextVectorization({ maxTokens: 12, outputSequenceLength: 5 });
    adapted.adapt(golden.corpus);
    const rebuilt = keras.layers.TextVectorization.fromConfig({ ...adapted.getConfig(), vocabulary: adapted.getVocabulary() });
    expect(rebuilt.apply(golden.corpus).toArray()).toEqual(adapted.apply(golden.corpus).toArray());
  });

  it('custom standardize and split functions', () => {
    const layer = new keras.layers.TextVectorization({ standardize: (s) => s.toUpperCase(), split: (s) => s.split(',') , outputSequenceLength: 3 });
    layer.adapt(['a,b,a', 'c,a']);
    expect(layer.getVocabulary()).toEqual(['', '[UNK]', 'A', 'C', 'B']);
    expect(layer.apply(['b,x']).toArray()).toEqual([[4, 1, 0]]);
    expect(() => keras.layers.TextVectorization.fromConfig(layer.getConfig())).toThrow(/custom function "standardize".*pass it again/);
  });

  it('bad input gives typed errors naming expected vs received', () => {
    expect(() => new keras.layers.TextVectorization({ outputMode: 'one_hot' as never })).toThrow(keras.KerasValueError);
    expect(() => new keras.layers.TextVectorization({ outputMode: 'count', outputSequenceLength: 4 })).toThrow(/output_sequence_length/);
    expect(() => new keras.layers.TextVectorization({ ngrams: 0 })).toThrow(/ngrams=0/);
    expect(() => new keras.layers.TextVectorization({ vocabulary: ['a', 'b', 'a'] })).toThrow(/repeated.*"a"/);
    expect(() => new keras.layers.TextVectorization({ maxTokens: 3, vocabulary: ['a', 'b'] })).toThrow(/vocabulary size is 4; `max_tokens` is 3/);
    expect(() => new keras.layers.TextVectorization({ outputMode: 'tf_idf', vocabulary: ['a'] })).toThrow(/idf_weights/);
    const layer = new keras.layers.TextVectorization({ outputMode: 'multi_hot' });
    expect(() => layer.apply(['a'])).toThrow(/set the layer's vocabulary before calling it/);
    layer.adapt(['a b']);
    expect(() => layer.apply([1, 2] as never)).toThrow(/string\[\] or string\[\]\[\]. Received: an array whose first element is number/);
    expect(() => layer.apply([['a', 'b']])).toThrow(/last shape dimension must be 1/);
    expect(() => layer.apply(keras.Input({ shape: [1] }) as never)).toThrow(/not KerasTensor.*before the model/);
    expect(() => new keras.layers.TextVectorization({ vocabulary: ['x'] }).adapt(['x'])).toThrow(/Cannot adapt layer .* static vocabulary/);
    expect(() => layer.adapt(42 as never)).toThrow(/adapt: expected a batch of strings .* Received: number/);
  });
});
