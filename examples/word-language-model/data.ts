/** pytorch/examples word_language_model/data.py: Dictionary and Corpus, a word-level tokeniser. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cat, tensor, type Tensor } from '@duet/core';

export class Dictionary {
  word2idx = new Map<string, number>();
  idx2word: string[] = [];

  addWord(word: string): number {
    if (!this.word2idx.has(word)) {
      this.idx2word.push(word);
      this.word2idx.set(word, this.idx2word.length - 1);
    }
    return this.word2idx.get(word)!;
  }

  /** Python's `__len__`. */
  get length(): number {
    return this.idx2word.length;
  }
}

export class Corpus {
  dictionary = new Dictionary();
  train: Tensor;
  valid: Tensor;
  test: Tensor;

  constructor(path: string) {
    this.train = this.tokenize(join(path, 'train.txt'));
    this.valid = this.tokenize(join(path, 'valid.txt'));
    this.test = this.tokenize(join(path, 'test.txt'));
  }

  /** Tokenizes a text file. */
  tokenize(path: string): Tensor {
    if (!existsSync(path)) throw new Error(`Corpus: expected a file at ${path}`);
    // Python iterates `for line in f`, whose lines keep their '\n'; a final newline starts no extra line.
    const lines = readFileSync(path, 'utf8').split(/(?<=\n)/);
    // Add words to the dictionary
    for (const line of lines) {
      const words = [...line.split(/\s+/).filter((w) => w !== ''), '<eos>'];
      for (const word of words) this.dictionary.addWord(word);
    }
    // Tokenize file content
    const idss: Tensor[] = [];
    for (const line of lines) {
      const words = [...line.split(/\s+/).filter((w) => w !== ''), '<eos>'];
      const ids: number[] = [];
      for (const word of words) ids.push(this.dictionary.word2idx.get(word)!);
      idss.push(tensor(ids, { dtype: 'int64' }));
    }
    return cat(idss);
  }
}
