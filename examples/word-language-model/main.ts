/**
 * PyTorch's official word-level language model (pytorch/examples,
 * word_language_model/main.py), ported line by line: Corpus/Dictionary,
 * batchify, getBatch (bptt), repackageHidden (detach), the train loop with
 * clipGradNorm_ and the manual SGD update, lr annealed by 4 when the
 * validation loss stops improving, perplexities, the best model saved
 * (safetensors instead of torch.save's pickle) and loaded back for the test.
 *
 *   pnpm exec tsx examples/word-language-model/main.ts --epochs 6            # data/: this repository's docs as text
 *   pnpm exec tsx examples/word-language-model/main.ts --data path/to/wikitext-2 --cuda
 *
 * Side by side with the Python: docs/ports/word-language-model.md.
 */
import { parseArgs } from 'node:util';
import { manualSeed, noGrad, type Tensor } from '@duet/core';
import { load, nn, optim, save } from '@duet/nn';
import { Corpus } from './data.js';
import { RNNModel, type Hidden, type RNNType } from './model.js';

export interface Args {
  data: string; model: RNNType; emsize: number; nhid: number; nlayers: number; lr: number; clip: number;
  epochs: number; batchSize: number; bptt: number; dropout: number; tied: boolean; seed: number;
  logInterval: number; save: string; dryRun: boolean; cuda: boolean; useOptimizer: boolean;
}

export function parseArguments(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: new URL('./data', import.meta.url).pathname }, // location of the data corpus
      model: { type: 'string', default: 'LSTM' }, // type of network (RNN_TANH, RNN_RELU, LSTM, GRU)
      emsize: { type: 'string', default: '200' }, // size of word embeddings
      nhid: { type: 'string', default: '200' }, // number of hidden units per layer
      nlayers: { type: 'string', default: '2' }, // number of layers
      lr: { type: 'string', default: '20' }, // initial learning rate
      clip: { type: 'string', default: '0.25' }, // gradient clipping
      epochs: { type: 'string', default: '40' }, // upper epoch limit
      batch_size: { type: 'string', default: '20' }, // batch size
      bptt: { type: 'string', default: '35' }, // sequence length
      dropout: { type: 'string', default: '0.2' }, // dropout applied to layers (0 = no dropout)
      tied: { type: 'boolean', default: false }, // tie the word embedding and softmax weights
      seed: { type: 'string', default: '1111' }, // random seed
      'log-interval': { type: 'string', default: '200' }, // report interval
      save: { type: 'string', default: 'model.safetensors' }, // path to save the final model
      'dry-run': { type: 'boolean', default: false }, // verify the code and the model
      cuda: { type: 'boolean', default: false }, // use the GPU engine (the original's --accel)
      'use-optimizer': { type: 'boolean', default: false }, // AdamW instead of the manual SGD update
    },
  });
  const num = (name: string, s: string | undefined): number => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`--${name} expected a number, received ${s}.`);
    return n;
  };
  const model = v.model!;
  if (!['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'].includes(model)) {
    throw new Error(`--model expected one of LSTM, GRU, RNN_TANH, RNN_RELU, received ${model}.`);
  }
  return {
    data: v.data!, model: model as RNNType, emsize: num('emsize', v.emsize), nhid: num('nhid', v.nhid),
    nlayers: num('nlayers', v.nlayers), lr: num('lr', v.lr), clip: num('clip', v.clip), epochs: num('epochs', v.epochs),
    batchSize: num('batch_size', v.batch_size), bptt: num('bptt', v.bptt), dropout: num('dropout', v.dropout),
    tied: v.tied!, seed: num('seed', v.seed), logInterval: num('log-interval', v['log-interval']), save: v.save!,
    dryRun: v['dry-run']!, cuda: v.cuda!, useOptimizer: v['use-optimizer']!,
  };
}

/** What `run` reports, for the test. */
export interface RunResult {
  trainLosses: number[]; // loss.item() of every training batch, in order
  valLosses: number[]; // per epoch
  testLoss: number;
  lrs: number[]; // lr used in each epoch
  ntokens: number;
}

export async function run(args: Args, log: (line: string) => void = console.log): Promise<RunResult> {
  // Set the random seed manually for reproducibility.
  manualSeed(args.seed);
  const device = args.cuda ? 'cuda' : 'cpu';
  log(`Using device: ${device}`);

  // Load data
  const corpus = new Corpus(args.data);

  // batchify arranges the sequence into bsz columns, treated as independent by the model.
  function batchify(data: Tensor, bsz: number): Tensor {
    // Work out how cleanly we can divide the dataset into bsz parts.
    const nbatch = Math.floor(data.shape[0]! / bsz);
    // Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz);
    // Evenly divide the data across the bsz batches.
    data = data.view([bsz, -1]).t().contiguous();
    return data.to(device);
  }

  const evalBatchSize = 10;
  const trainData = batchify(corpus.train, args.batchSize);
  const valData = batchify(corpus.valid, evalBatchSize);
  const testData = batchify(corpus.test, evalBatchSize);

  // Build the model
  const ntokens = corpus.dictionary.length;
  let model = new RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied).to(device);

  const criterion = new nn.NLLLoss();
  const optimizer = args.useOptimizer ? new optim.AdamW(model.parameters(), { lr: args.lr }) : undefined;

  // Wraps hidden states in new Tensors, to detach them from their history.
  function repackageHidden(h: Hidden): Hidden {
    return Array.isArray(h) ? [h[0].detach(), h[1].detach()] : h.detach();
  }

  // getBatch subdivides the source data into chunks of length bptt, along dimension 0 (time).
  function getBatch(source: Tensor, i: number): [Tensor, Tensor] {
    const seqLen = Math.min(args.bptt, source.shape[0]! - 1 - i);
    const data = source.narrow(0, i, seqLen);
    const target = source.narrow(0, i + 1, seqLen).view([-1]);
    return [data, target];
  }

  function evaluate(dataSource: Tensor): number {
    // Turn on evaluation mode which disables dropout.
    model.eval();
    let totalLoss = 0;
    let hidden = model.initHidden(evalBatchSize);
    {
      using _ = noGrad();
      for (let i = 0; i < dataSource.shape[0]! - 1; i += args.bptt) {
        const [data, targets] = getBatch(dataSource, i);
        let output: Tensor;
        [output, hidden] = model(data, hidden);
        hidden = repackageHidden(hidden);
        totalLoss += data.shape[0]! * criterion(output, targets).item();
      }
    }
    return totalLoss / (dataSource.shape[0]! - 1);
  }

  const trainLosses: number[] = [];
  function train(epoch: number): void {
    // Turn on training mode which enables dropout.
    model.train();
    let totalLoss = 0;
    let startTime = performance.now();
    let hidden = model.initHidden(args.batchSize);
    for (let batch = 0, i = 0; i < trainData.shape[0]! - 1; batch++, i += args.bptt) {
      const [data, targets] = getBatch(trainData, i);
      // Starting each batch, we detach the hidden state from how it was previously produced.
      // If we didn't, the model would try backpropagating all the way to start of the dataset.
      if (optimizer) optimizer.zeroGrad();
      else model.zeroGrad();
      hidden = repackageHidden(hidden);
      let output: Tensor;
      [output, hidden] = model(data, hidden);
      const loss: Tensor = criterion(output, targets);
      loss.backward();

      // `clipGradNorm_` helps prevent the exploding gradient problem in RNNs / LSTMs.
      nn.utils.clipGradNorm_(model.parameters(), args.clip);
      if (optimizer) {
        optimizer.step();
      } else {
        using _ = noGrad(); // Python's `p.data`: an update autograd does not record
        for (const p of model.parameters()) p.add_(p.grad!, { alpha: -lr });
      }

      const l = loss.item();
      trainLosses.push(l);
      totalLoss += l;

      if (batch % args.logInterval === 0 && batch > 0) {
        const curLoss = totalLoss / args.logInterval;
        const elapsed = performance.now() - startTime;
        log(`| epoch ${pad(epoch, 3)} | ${pad(batch, 5)}/${pad(Math.floor(trainData.shape[0]! / args.bptt), 5)} batches | lr ${lr.toFixed(2)} | ms/batch ${pad((elapsed / args.logInterval).toFixed(2), 5)} | loss ${pad(curLoss.toFixed(2), 5)} | ppl ${pad(Math.exp(curLoss).toFixed(2), 8)}`);
        totalLoss = 0;
        startTime = performance.now();
      }
      if (args.dryRun) break;
    }
  }

  // Loop over epochs.
  let lr = args.lr;
  let bestValLoss: number | undefined;
  const valLosses: number[] = [];
  const lrs: number[] = [];
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    const epochStartTime = performance.now();
    lrs.push(lr);
    train(epoch);
    const valLoss = evaluate(valData);
    valLosses.push(valLoss);
    log('-'.repeat(89));
    log(`| end of epoch ${pad(epoch, 3)} | time: ${pad(((performance.now() - epochStartTime) / 1000).toFixed(2), 5)}s | valid loss ${pad(valLoss.toFixed(2), 5)} | valid ppl ${pad(Math.exp(valLoss).toFixed(2), 8)}`);
    log('-'.repeat(89));
    // Save the model if the validation loss is the best we've seen so far.
    if (bestValLoss === undefined || valLoss < bestValLoss) {
      await save(model.stateDict(), args.save);
      bestValLoss = valLoss;
    } else {
      // Anneal the learning rate if no improvement has been seen in the validation dataset.
      lr /= 4.0;
    }
  }

  // Load the best saved model: a state dict, so the model is built first and the weights copied in.
  model = new RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied).to(device);
  model.loadStateDict(await load(args.save));

  // Run on test data.
  const testLoss = evaluate(testData);
  log('='.repeat(89));
  log(`| End of training | test loss ${pad(testLoss.toFixed(2), 5)} | test ppl ${pad(Math.exp(testLoss).toFixed(2), 8)}`);
  log('='.repeat(89));
  optimizer?.dispose();
  return { trainLosses, valLosses, testLoss, lrs, ntokens };
}

/** Python's `{:5d}` / `{:5.2f}`: right-aligned to a width. */
const pad = (x: number | string, width: number): string => String(x).padStart(width);

if (import.meta.url === `file://${process.argv[1]}`) await run(parseArguments(process.argv.slice(2)));
