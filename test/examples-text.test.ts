/**
 * examples/text-classification-{keras,nn}.ts and their data helpers: the
 * committed sentences (two files, each balanced), Keras-like tokenizing,
 * vocabulary and 'pre' padding; then both styles on 256 training sentences
 * for 3 epochs: the training loss falls, the parameter counts differ by
 * exactly PyTorch's second LSTM bias (4 * units), the test losses are
 * finite, and the native tensor count is flat across epochs.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed } from '@duet/core';
import { UNITS, buildModel, main as kerasMain } from '../examples/text-classification-keras.js';
import { main as nnMain } from '../examples/text-classification-nn.js';
import { FILES, Vocabulary, loadSentiment, padSequences, readSentences, tokenize } from '../examples/text/sentiment.js';

const quiet = () => {};

describe('examples/text: data', () => {
  it('the committed sentences: every line labelled, each file balanced', () => {
    const all = readSentences();
    for (const f of FILES) {
      const of = all.filter((s) => s.source === f);
      expect(of.filter((s) => s.label === 1).length).toBe(of.length / 2);
      expect(of.every((s) => s.text.length > 0)).toBe(true);
    }
  });

  it('tokenize, vocabulary and padding behave like TextVectorization + pad_sequences', () => {
    expect(tokenize("Wasn't it GREAT?!  Yes, great.")).toEqual(["wasn't", 'it', 'great', 'yes', 'great']);
    const v = new Vocabulary(['b a b', 'c b'], 4);
    expect(v.words).toEqual(['', '[UNK]', 'b', 'a']);
    expect(v.encode('a c z b')).toEqual([3, Vocabulary.OOV, Vocabulary.OOV, 2]);
    const p = padSequences([[5, 6], [1, 2, 3, 4, 5]], 3);
    expect(p.toArray()).toEqual([[0, 5, 6], [3, 4, 5]]);
    p.dispose();
  });

  it('the split is seeded and disjoint', () => {
    manualSeed(5);
    const a = loadSentiment({ limit: 50 });
    manualSeed(5);
    const b = loadSentiment({ limit: 50 });
    expect(a.testSentences.map((s) => s.text)).toEqual(b.testSentences.map((s) => s.text));
    expect(a.xTrain.shape).toEqual([50, a.maxLen]);
    expect(a.xTest.shape[0]).toBe(a.testSentences.length);
    for (const d of [a, b]) for (const t of [d.xTrain, d.yTrain, d.xTest, d.yTest]) t.dispose();
  });
});

describe('examples/text-classification-*', () => {
  const options = { quick: true, epochs: 3, limit: 256 };
  it('Keras style: Embedding(maskZero) + LSTM, fit, evaluate', async () => {
    const k = await kerasMain(options, quiet);
    expect(k.history.loss![2]!).toBeLessThan(k.history.loss![0]!);
    expect(Number.isFinite(k.testLoss)).toBe(true);
    expect(new Set(k.tensorsPerEpoch).size).toBe(1);
  }, 60_000);

  it('nn style on the same data: one more LSTM bias vector, the loss falls', async () => {
    const n = await nnMain(options, quiet);
    expect(n.train[2]!.loss).toBeLessThan(n.train[0]!.loss);
    expect(n.params - buildModel(n.vocabSize, n.maxLen).countParams()).toBe(4 * UNITS);
    expect(Number.isFinite(n.test.loss)).toBe(true);
    expect(new Set(n.tensorsPerEpoch).size).toBe(1);
  }, 60_000);
});
