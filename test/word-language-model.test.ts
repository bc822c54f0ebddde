/**
 * PyTorch's word_language_model example as ported in
 * examples/word-language-model/, in-process on a few hundred tokens of its
 * bundled corpus: one epoch of a small LSTM trains (the loss falls), the
 * perplexities are finite, and the saved safetensors file loads back into a
 * fresh RNNModel with the same keys and shapes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { load } from '@duet/nn';
import { Corpus } from '../examples/word-language-model/data.js';
import { RNNModel } from '../examples/word-language-model/model.js';
import { parseArguments, run } from '../examples/word-language-model/main.js';

const dir = mkdtempSync(join(tmpdir(), 'duet-wordlm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first lines of a bundled split holding at least `words` words. */
function head(split: string, words: number): string {
  const lines: string[] = [];
  let n = 0;
  for (const line of readFileSync(new URL(`../examples/word-language-model/data/${split}.txt`, import.meta.url), 'utf8').split('\n')) {
    if (n >= words) break;
    lines.push(line);
    n += line.split(/\s+/).filter((w) => w !== '').length;
  }
  return `${lines.join('\n')}\n`;
}

describe("PyTorch's word_language_model example, ported", () => {
  it('tokenises as data.py does: words split on whitespace, <eos> after each line, one dictionary', () => {
    const d = join(dir, 'tiny');
    mkdirSync(d);
    writeFileSync(join(d, 'train.txt'), ' the cat sat \n the dog \n');
    writeFileSync(join(d, 'valid.txt'), ' a cat \n');
    writeFileSync(join(d, 'test.txt'), ' the \n');
    const c = new Corpus(d);
    expect(c.dictionary.idx2word).toEqual(['the', 'cat', 'sat', '<eos>', 'dog', 'a']);
    expect(c.train.toArray()).toEqual([0, 1, 2, 3, 0, 4, 3]);
    expect(c.valid.toArray()).toEqual([5, 1, 3]);
    expect(c.test.toArray()).toEqual([0, 3]);
  });

  it('trains one epoch on a few hundred tokens, saves the best model, loads it back', async () => {
    const data = join(dir, 'small');
    mkdirSync(data);
    writeFileSync(join(data, 'train.txt'), head('train', 800));
    writeFileSync(join(data, 'valid.txt'), head('valid', 200));
    writeFileSync(join(data, 'test.txt'), head('test', 200));
    const save = join(dir, 'model.safetensors');
    const args = parseArguments(['--data', data, '--emsize', '32', '--nhid', '32', '--nlayers', '1', '--epochs', '1', '--batch_size', '4', '--bptt', '10', '--dropout', '0', '--save', save]);
    const lines: string[] = [];
    const r = await run(args, (l) => lines.push(l));

    expect(r.trainLosses.length).toBeGreaterThanOrEqual(15);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The first batch is a near-uniform guess (initWeights' small weights); the last five are well below it.
    expect(r.trainLosses[0]).toBeCloseTo(Math.log(r.ntokens), 0);
    expect(mean(r.trainLosses.slice(-5))).toBeLessThan(r.trainLosses[0]! - 0.5);
    expect(Number.isFinite(Math.exp(r.valLosses[0]!))).toBe(true);
    expect(Number.isFinite(Math.exp(r.testLoss))).toBe(true);
    expect(r.testLoss).toBeLessThan(Math.log(r.ntokens)); // better than a uniform guess
    expect(lines.at(-2)).toMatch(/^\| End of training \| test loss +\d+\.\d\d \| test ppl +\d+\.\d\d$/);

    const state = await load(save);
    const fresh = new RNNModel('LSTM', r.ntokens, 32, 32, 1, 0);
    const expected = Object.fromEntries(Object.entries(fresh.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.shape]))).toEqual(expected);
    fresh.loadStateDict(state);
    expect(fresh.decoder.weight.toArray()).toEqual(state['decoder.weight']!.toArray());
  });

  it('anneals the learning rate by 4 when the validation loss does not improve', async () => {
    const data = join(dir, 'small');
    const save = join(dir, 'anneal.safetensors');
    // lr 1e-30: every update rounds away in float32, so the second validation loss equals the first: no improvement.
    const args = parseArguments(['--data', data, '--emsize', '8', '--nhid', '8', '--nlayers', '1', '--epochs', '3', '--batch_size', '4', '--bptt', '10', '--dropout', '0', '--lr', '1e-30', '--save', save]);
    const r = await run(args, () => {});
    expect(r.valLosses[1]).toBe(r.valLosses[0]);
    expect(r.lrs).toEqual([1e-30, 1e-30, 1e-30 / 4]);
  });
});
