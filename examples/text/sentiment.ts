/**
 * The data of examples/text-classification-{keras,nn}.ts: Sentiment Labelled
 * Sentences (IMDb and Yelp parts; examples/data/sentiment/README.md says
 * where they come from and their licence), split 80/20 into training and
 * test sentences with a seeded shuffle, turned into padded integer
 * sequences the way Keras's `TextVectorization` + `pad_sequences` would:
 * lower case, punctuation stripped, split on spaces; the vocabulary is the
 * training sentences' most frequent words (index 0 = padding, 1 = unknown);
 * sequences are cut to `maxLen` and padded with 0 at the front ('pre', so
 * an LSTM's last step follows the last real word).
 *
 * PyTorch has no tokenizer in its core (nor does Duet's nn), so for the nn
 * example this file does the tokenizing in plain TypeScript; the Keras
 * example uses `keras.layers.TextVectorization` on `splitSentences()`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randperm, tensor, type Tensor } from '@duet/core';

export const DATA_DIR = fileURLToPath(new URL('../data/sentiment/', import.meta.url));
export const FILES = ['imdb_labelled.txt', 'yelp_labelled.txt'] as const;

export interface Sentence {
  text: string;
  label: 0 | 1;
  source: string;
}

/** Every labelled sentence of the committed files. */
export function readSentences(): Sentence[] {
  const out: Sentence[] = [];
  for (const file of FILES) {
    const lines = readFileSync(DATA_DIR + file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const tab = line.lastIndexOf('\t');
      const label = line.slice(tab + 1).trim();
      if (tab < 0 || (label !== '0' && label !== '1')) throw new Error(`${file}:${i + 1}: expected "sentence<TAB>0|1", received ${JSON.stringify(line.slice(0, 80))}`);
      out.push({ text: line.slice(0, tab).trim(), label: Number(label) as 0 | 1, source: file });
    });
  }
  return out;
}

/** Keras's default `standardize` + `split`: lower case, strip punctuation, split on whitespace. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, ' ').split(/\s+/).filter((w) => w !== '');
}

export class Vocabulary {
  static readonly PAD = 0;
  static readonly OOV = 1;
  readonly words: string[];
  private readonly index = new Map<string, number>();
  /** The `maxTokens - 2` most frequent words of `texts` (ties: the earlier seen first), after '' and '[UNK]'. */
  constructor(texts: string[], maxTokens: number) {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of tokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, maxTokens - 2).map(([w]) => w);
    this.words = ['', '[UNK]', ...ranked];
    this.words.forEach((w, i) => this.index.set(w, i));
  }
  get size(): number {
    return this.words.length;
  }
  encode(text: string): number[] {
    return tokenize(text).map((w) => this.index.get(w) ?? Vocabulary.OOV);
  }
}

/** `pad_sequences(seqs, maxlen, padding='pre', truncating='pre')` as a flat int32 `[N, maxLen]`. */
export function padSequences(seqs: number[][], maxLen: number): Tensor {
  const flat = new Int32Array(seqs.length * maxLen);
  seqs.forEach((s, i) => {
    const kept = s.slice(-maxLen);
    flat.set(kept, i * maxLen + (maxLen - kept.length));
  });
  return tensor(flat, { shape: [seqs.length, maxLen], dtype: 'int32' });
}

export interface SentimentData {
  vocab: Vocabulary;
  maxLen: number;
  /** int32 `[N, maxLen]` token ids and float32 `[N]` labels (0 or 1). */
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  testSentences: Sentence[];
}

/**
 * The seeded 80/20 split of the sentences (call after `manualSeed`): the
 * raw texts, for a caller that vectorizes them itself (the Keras example,
 * with `keras.layers.TextVectorization`). `limit` keeps only that many
 * training sentences.
 */
export function splitSentences(limit?: number): { train: Sentence[]; test: Sentence[] } {
  const all = readSentences();
  const perm = randperm(all.length);
  const order = perm.toArray() as number[];
  perm.dispose();
  const nTest = Math.round(all.length * 0.2);
  const test = order.slice(0, nTest).map((i) => all[i]!);
  const train = order.slice(nTest, limit === undefined ? undefined : nTest + limit).map((i) => all[i]!);
  return { train, test };
}

/**
 * The split both examples use: call after seeding (`manualSeed`), so both
 * styles see the same sentences. `limit` keeps only that many training sentences.
 */
export function loadSentiment(options: { maxTokens?: number; maxLen?: number; limit?: number } = {}): SentimentData {
  const maxTokens = options.maxTokens ?? 4000;
  const maxLen = options.maxLen ?? 32;
  const { train, test } = splitSentences(options.limit);
  const vocab = new Vocabulary(train.map((s) => s.text), maxTokens);
  const labels = (ss: Sentence[]) => tensor(ss.map((s) => s.label), { dtype: 'float32' });
  return {
    vocab,
    maxLen,
    xTrain: padSequences(train.map((s) => vocab.encode(s.text)), maxLen),
    yTrain: labels(train),
    xTest: padSequences(test.map((s) => vocab.encode(s.text)), maxLen),
    yTest: labels(test),
    testSentences: test,
  };
}
