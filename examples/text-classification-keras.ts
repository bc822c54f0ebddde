/**
 * Sentiment of short reviews, Keras style: `Embedding(maskZero)` + `LSTM` +
 * `Dense(1, sigmoid)`, `binary_crossentropy`, `fit` with a validation split,
 * then `evaluate` on held-out sentences and `predict` on a few of them. The
 * same data and network in PyTorch's style: examples/text-classification-nn.ts.
 *
 * Data: Sentiment Labelled Sentences (Kotzias et al., KDD 2015; UCI Machine
 * Learning Repository, CC BY 4.0), the IMDb and Yelp parts, 2000 sentences
 * committed in examples/data/sentiment/ (146 KB; its README.md says where
 * they come from, the licence and why this set). A real, human-labelled
 * text set small enough to ship in the repository and to train on a CPU in
 * seconds. examples/text/sentiment.ts splits it 80/20; here
 * `keras.layers.TextVectorization` (as in the Keras guides) learns the
 * vocabulary of the training sentences with `adapt()` and turns every
 * sentence into 32 token ids, padded with 0 at the end; `maskZero` makes
 * the LSTM skip the padding.
 *
 *   pnpm tsx --conditions=source examples/text-classification-keras.ts           # 5 epochs
 *   pnpm tsx --conditions=source examples/text-classification-keras.ts --quick   # 2 epochs
 */
import { fileURLToPath } from 'node:url';
import { memory, tensor, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { runExample, type ExampleOptions } from './common/cli.js';
import { splitSentences, type Sentence } from './text/sentiment.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/text-classification-keras.ts [--epochs N] [--quick] [--limit N]

  --epochs N   epochs (default 5; 2 with --quick)
  --quick      2 epochs
  --limit N    at most N training sentences (of 1600)`;

export const EMBEDDING_DIM = 32;
export const UNITS = 32;
export const MAX_TOKENS = 4000;
export const MAX_LEN = 32;

export interface TextResult {
  history: Record<string, number[]>;
  testLoss: number;
  testAccuracy: number;
  params: number;
  vocabSize: number;
  maxLen: number;
  /** Native tensors alive at the end of each epoch. */
  tensorsPerEpoch: number[];
}

export function buildModel(vocabSize: number, maxLen: number): keras.Sequential {
  return new keras.Sequential([
    keras.Input({ shape: [maxLen], dtype: 'int32' }),
    new keras.layers.Embedding(vocabSize, EMBEDDING_DIM, { maskZero: true }),
    new keras.layers.LSTM(UNITS),
    new keras.layers.Dropout(0.5),
    new keras.layers.Dense(1, { activation: 'sigmoid' }),
  ]);
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<TextResult> {
  keras.utils.setRandomSeed(1337);
  const { train, test: testSentences } = splitSentences(options.limit);
  const vectorize = new keras.layers.TextVectorization({ maxTokens: MAX_TOKENS, outputSequenceLength: MAX_LEN });
  vectorize.adapt(train.map((s) => s.text));
  const vocabSize = vectorize.vocabularySize();
  const maxLen = MAX_LEN;
  const labels = (ss: Sentence[]) => tensor(ss.map((s) => s.label), { dtype: 'float32' });
  const xTrain = vectorize.apply(train.map((s) => s.text));
  const xTest = vectorize.apply(testSentences.map((s) => s.text));
  const yTrain = labels(train);
  const yTest = labels(testSentences);
  log(`${xTrain.shape[0]} training and ${xTest.shape[0]} test sentences, vocabulary of ${vocabSize}, ${maxLen} tokens each`);

  const model = buildModel(vocabSize, maxLen);
  model.summary({ printFn: (line: string) => log(line) });
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });

  const tensorsPerEpoch: number[] = [];
  const countTensors = new keras.callbacks.LambdaCallback({ onEpochEnd: () => void tensorsPerEpoch.push(memory().numTensors) });
  const yTrain2 = yTrain.unsqueeze(1);
  const yTest2 = yTest.unsqueeze(1);
  const history = await model.fit(xTrain, yTrain2, { epochs: options.epochs, batchSize: 32, validationSplit: 0.1, verbose: 2, callbacks: [countTensors] });
  const [testLoss, testAccuracy] = (await model.evaluate(xTest, yTest2, { verbose: 0 })) as number[];
  log(`Test loss ${testLoss!.toFixed(4)}, test accuracy ${testAccuracy!.toFixed(4)}`);

  const probs = (await model.predict(xTest.narrow(0, 0, 5), { verbose: 0 })) as Tensor;
  (probs.toArray() as number[][]).forEach(([p], i) => log(`  ${p!.toFixed(2)} positive (label ${testSentences[i]!.label}): ${testSentences[i]!.text}`));
  const params = model.countParams();
  for (const t of [xTrain, yTrain, xTest, yTest, yTrain2, yTest2, probs]) t.dispose();
  return { history: history.history, testLoss: testLoss!, testAccuracy: testAccuracy!, params, vocabSize, maxLen, tensorsPerEpoch };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 5, (o) => main(o.quick && o.epochs === 1 ? { ...o, epochs: 2 } : o));
