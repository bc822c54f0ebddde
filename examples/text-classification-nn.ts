/**
 * Sentiment of short reviews, PyTorch style: an nn.Module with
 * `nn.Embedding(paddingIdx: 0)`, `nn.LSTM(batchFirst)` and `nn.Linear`,
 * `nn.BCEWithLogitsLoss`, a DataLoader and the usual train / test loop. The
 * same data, split and network as examples/text-classification-keras.ts
 * (PyTorch's LSTM has two bias vectors where Keras's has one, so this one
 * has 4 * UNITS more parameters). It trains 10 epochs where the Keras one
 * trains 5: with PyTorch's initialization (Embedding N(0, 1), LSTM
 * U(-1/sqrt(H), 1/sqrt(H))) instead of Keras's (uniform +-0.05, Glorot,
 * orthogonal, forget-gate bias 1) the loss falls more slowly on this data.
 *
 * Data: Sentiment Labelled Sentences (Kotzias et al., KDD 2015; UCI Machine
 * Learning Repository, CC BY 4.0), IMDb and Yelp parts, committed in
 * examples/data/sentiment/ (see its README.md for source, licence and why).
 *
 *   pnpm tsx --conditions=source examples/text-classification-nn.ts           # 10 epochs
 *   pnpm tsx --conditions=source examples/text-classification-nn.ts --quick   # 2 epochs
 */
import { fileURLToPath } from 'node:url';
import { manualSeed, memory, noGrad, type Tensor } from '@duet/core';
import { DataLoader, TensorDataset } from '@duet/data';
import { nn, optim } from '@duet/nn';
import { runExample, type ExampleOptions } from './common/cli.js';
import { loadSentiment } from './text/sentiment.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/text-classification-nn.ts [--epochs N] [--quick] [--limit N]

  --epochs N   epochs (default 10; 2 with --quick)
  --quick      2 epochs
  --limit N    at most N training sentences (of 1600)`;

export const EMBEDDING_DIM = 32;
export const UNITS = 32;

export class SentimentLSTM extends nn.Module {
  embedding: nn.Embedding;
  lstm: nn.LSTM;
  dropout = new nn.Dropout(0.5);
  fc = new nn.Linear(UNITS, 1);
  constructor(vocabSize: number) {
    super();
    this.embedding = new nn.Embedding(vocabSize, EMBEDDING_DIM, { paddingIdx: 0 });
    this.lstm = new nn.LSTM(EMBEDDING_DIM, UNITS, { batchFirst: true });
  }
  /** `[N, L]` token ids -> `[N]` logits (positive > 0). */
  forward(x: Tensor): Tensor {
    const embedded = this.embedding(x); // [N, L, E]
    const [, [hN]] = this.lstm(embedded) as [Tensor, [Tensor, Tensor]]; // hN: [1, N, H], the state after the last word
    return this.fc(this.dropout(hN.squeeze(0))).squeeze(1);
  }
}

export interface TextNnResult {
  train: { loss: number; accuracy: number }[];
  test: { loss: number; accuracy: number };
  params: number;
  vocabSize: number;
  maxLen: number;
  tensorsPerEpoch: number[];
}

function train(model: SentimentLSTM, loader: DataLoader<any>, optimizer: optim.Optimizer<any>, criterion: nn.BCEWithLogitsLoss): { loss: number; accuracy: number } {
  model.train();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
    optimizer.zeroGrad();
    const logits = model(x);
    const loss = criterion(logits, y);
    loss.backward();
    optimizer.step();
    lossSum += loss.item() * x.shape[0]!;
    correct += noGrad(() => logits.gt(0).float().eq(y).sum().item());
    seen += x.shape[0]!;
  }
  return { loss: lossSum / seen, accuracy: correct / seen };
}

function test(model: SentimentLSTM, x: Tensor, y: Tensor, criterion: nn.BCEWithLogitsLoss): { loss: number; accuracy: number } {
  model.eval();
  using _ = noGrad();
  const logits = model(x);
  return { loss: criterion(logits, y).item(), accuracy: logits.gt(0).float().eq(y).float().mean().item() };
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<TextNnResult> {
  manualSeed(1337);
  const { vocab, maxLen, xTrain, yTrain, xTest, yTest, testSentences } = loadSentiment({ limit: options.limit });
  log(`${xTrain.shape[0]} training and ${xTest.shape[0]} test sentences, vocabulary of ${vocab.size}, ${maxLen} tokens each`);

  const model = new SentimentLSTM(vocab.size);
  const params = model.parameters().reduce((s, p) => s + p.numel(), 0);
  log(String(model));
  log(`${params} parameters`);
  const loader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 32, shuffle: true });
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const criterion = new nn.BCEWithLogitsLoss();
  const history: { loss: number; accuracy: number }[] = [];
  const tensorsPerEpoch: number[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const r = train(model, loader, optimizer, criterion);
    history.push(r);
    tensorsPerEpoch.push(memory().numTensors);
    log(`Epoch ${epoch}: loss ${r.loss.toFixed(4)}, accuracy ${r.accuracy.toFixed(4)}`);
  }
  const last = test(model, xTest, yTest, criterion);
  log(`Test loss ${last.loss.toFixed(4)}, test accuracy ${last.accuracy.toFixed(4)}`);
  {
    using _ = noGrad();
    const probs = model(xTest.narrow(0, 0, 5)).sigmoid().toArray() as number[];
    probs.forEach((p, i) => log(`  ${p.toFixed(2)} positive (label ${testSentences[i]!.label}): ${testSentences[i]!.text}`));
  }
  for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
  return { train: history, test: last, params, vocabSize: vocab.size, maxLen, tensorsPerEpoch };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 10, (o) => main(o.quick && o.epochs === 1 ? { ...o, epochs: 2 } : o));
