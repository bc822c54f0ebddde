/**
 * `keras.layers.TextVectorization` (Keras 3's
 * `layers/preprocessing/text_vectorization.py` over `StringLookup`): strings
 * -> token indices, multi-hot, count or TF-IDF vectors.
 *
 * Duet tensors are numeric, so the inputs are plain JavaScript strings: a
 * batch `string[]` (one document per element, Keras's `[batch]` string
 * tensor) or `string[][]` (Keras's `[batch, 1]` column; with `split: null`,
 * each element is already one token). The outputs are Duet tensors: int32
 * indices (Keras: int64) or float32 vectors. The layer therefore runs
 * before a model (in a data pipeline or a `map`), not on a symbolic
 * `keras.Input`.
 *
 * The steps are Keras's: standardize (ASCII lower-casing, as
 * `tf.strings.lower`; punctuation = Python's `string.punctuation`), split
 * (ASCII whitespace, or Unicode code points), n-grams joined by a space,
 * lookup. Reserved indices in `'int'` mode: 0 = padding `''`, 1 = OOV
 * `'[UNK]'`; in the other modes index 0 is OOV and empty tokens are
 * dropped. `adapt()` orders the vocabulary by count, ties by the tokens'
 * UTF-8 bytes from high to low (Keras's `np.lexsort(...)[::-1]`), and keeps
 * `maxTokens` entries counting the reserved ones. TF-IDF weights are
 * `log(1 + documents / (1 + documentFrequency))`, the OOV weight the mean.
 *
 * @example
 * ```ts
 * const vectorize = new keras.layers.TextVectorization({ maxTokens: 1000, outputSequenceLength: 8 });
 * vectorize.adapt(['The cat sat.', 'The dog sat!']);
 * vectorize.getVocabulary(); // ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
 * vectorize.apply(['the cat']).toArray(); // [[2, 5, 0, 0, 0, 0, 0, 0]]
 * ```
 */
import { tensor, type Tensor } from '@duet/core';
import { KerasValueError, NotReadyError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { KerasTensor } from '../../graph/keras_tensor.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';

export type TextStandardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | ((text: string) => string);
export type TextSplit = 'whitespace' | 'character' | ((text: string) => string[]);
export type TextOutputMode = 'int' | 'multi_hot' | 'count' | 'tf_idf';
/** A batch of text: documents (`string[]`) or a column / token rows (`string[][]`). */
export type TextBatch = readonly string[] | readonly (readonly string[])[];

export interface TextVectorizationOptions extends LayerOptions {
  /** Largest vocabulary size, the reserved tokens included. Default null (no limit). */
  maxTokens?: number | null;
  /** Default `'lower_and_strip_punctuation'`; null: none; a function gets one string and returns it standardized. */
  standardize?: TextStandardize | null;
  /** Default `'whitespace'`; null: each input element is one token; a function gets one string and returns its tokens. */
  split?: TextSplit | null;
  /** An integer n (all n-grams 1..n) or a list of widths. Default null (tokens only). */
  ngrams?: number | readonly number[] | null;
  /** `'int'` (default), `'multi_hot'` (alias `'binary'`), `'count'`, `'tf_idf'` (alias `'tf-idf'`). */
  outputMode?: TextOutputMode | 'binary' | 'tf-idf';
  /** `'int'` mode: pad with 0 or truncate, both at the end, to this length. Default: the longest row of the batch. */
  outputSequenceLength?: number | null;
  /** Non-int modes: output `maxTokens` columns even when the vocabulary is smaller. Default false. */
  padToMaxTokens?: boolean;
  /** A fixed vocabulary (with or without the reserved tokens at its start) instead of `adapt()`. */
  vocabulary?: readonly string[] | null;
  /** `'tf_idf'` with a fixed vocabulary: one weight per vocabulary entry. */
  idfWeights?: readonly number[] | null;
}

const MASK = '';
const OOV = '[UNK]';
/** Python's `string.punctuation`, which Keras's DEFAULT_STRIP_REGEX matches. */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** `tf.strings.split` with no separator: runs of ASCII whitespace. */
const WHITESPACE = /[ \t\n\v\f\r]+/;
const STANDARDIZE = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];
const SPLIT = ['whitespace', 'character'];
const MODES = ['int', 'multi_hot', 'count', 'tf_idf'];

function byBytesDesc(a: string, b: string): number {
  return Buffer.compare(Buffer.from(b, 'utf8'), Buffer.from(a, 'utf8'));
}

function isStringArray(x: unknown): x is readonly string[] {
  return Array.isArray(x) && x.every((e) => typeof e === 'string');
}

function isTextBatch(x: unknown): x is TextBatch {
  return isStringArray(x) || (Array.isArray(x) && x.every(isStringArray));
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return `an array whose first element is ${x.length === 0 ? 'missing' : describe(x[0])}`;
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}

function checkPositiveInt(value: unknown, name: string, min: number): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new KerasValueError(`\`${name}\` must be null or an integer >= ${min}. Received: ${name}=${JSON.stringify(value)}`);
  }
}

export class TextVectorization extends Layer {
  readonly maxTokens: number | null;
  readonly standardize: TextStandardize | null;
  readonly split: TextSplit | null;
  readonly ngrams: number | readonly number[] | null;
  readonly outputMode: TextOutputMode;
  readonly outputSequenceLength: number | null;
  readonly padToMaxTokens: boolean;
  /** The vocabulary and IDF weights given to the constructor (what `getConfig()` records, as in Keras). */
  readonly inputVocabulary: readonly string[] | null;
  readonly inputIdfWeights: readonly number[] | null;
  private readonly _widths: readonly number[] | null;
  private _hasInputVocabulary: boolean;
  /** The learned or given tokens, without the reserved ones. */
  private _tokens: string[] = [];
  private _index = new Map<string, number>();
  private _idf: Float32Array | null = null;
  private _ready = false;

  constructor(options: TextVectorizationOptions = {}) {
    super(options);
    const o = options ?? {};
    const std = o.standardize === undefined ? 'lower_and_strip_punctuation' : o.standardize;
    if (std !== null && typeof std !== 'function' && !STANDARDIZE.includes(std as string)) {
      throw new KerasValueError(`The \`standardize\` argument of layer TextVectorization received an invalid value ${JSON.stringify(std)}. Allowed values are: null, a function, or one of ${STANDARDIZE.map((s) => `'${s}'`).join(', ')}.`);
    }
    const split = o.split === undefined ? 'whitespace' : o.split;
    if (split !== null && typeof split !== 'function' && !SPLIT.includes(split as string)) {
      throw new KerasValueError(`The \`split\` argument of layer TextVectorization received an invalid value ${JSON.stringify(split)}. Allowed values are: null, a function, or one of 'whitespace', 'character'.`);
    }
    let mode: string = o.outputMode ?? 'int';
    if (mode === 'binary') mode = 'multi_hot';
    if (mode === 'tf-idf') mode = 'tf_idf';
    if (!MODES.includes(mode)) {
      throw new KerasValueError(`The \`output_mode\` argument of layer TextVectorization received an invalid value ${JSON.stringify(o.outputMode)}. Allowed values are: ${MODES.map((s) => `'${s}'`).join(', ')}.`);
    }
    const ng = o.ngrams ?? null;
    if (!(ng === null || (Number.isInteger(ng) && (ng as number) >= 1) || (Array.isArray(ng) && ng.length > 0 && ng.every((n) => Number.isInteger(n) && n >= 1)))) {
      throw new KerasValueError(`\`ngrams\` must be null, an integer >= 1, or a list of integers >= 1. Received: ngrams=${JSON.stringify(ng)}`);
    }
    checkPositiveInt(o.maxTokens, 'maxTokens', 2);
    checkPositiveInt(o.outputSequenceLength, 'outputSequenceLength', 1);
    if (mode !== 'int' && o.outputSequenceLength != null) {
      throw new KerasValueError(`\`output_sequence_length\` must not be set if \`output_mode\` is not 'int'. Received output_sequence_length=${o.outputSequenceLength}.`);
    }
    this.maxTokens = o.maxTokens ?? null;
    this.padToMaxTokens = o.padToMaxTokens ?? false;
    if (this.padToMaxTokens && this.maxTokens === null && mode !== 'int') {
      throw new KerasValueError('If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens=null');
    }
    this.standardize = std as TextStandardize | null;
    this.split = split as TextSplit | null;
    this.ngrams = ng === null ? null : Array.isArray(ng) ? [...ng] : (ng as number);
    this._widths = ng === null ? null : Array.isArray(ng) ? [...ng] : Array.from({ length: ng as number }, (_, i) => i + 1);
    this.outputMode = mode as TextOutputMode;
    this.outputSequenceLength = o.outputSequenceLength ?? null;
    this.inputVocabulary = o.vocabulary ? [...o.vocabulary] : null;
    this.inputIdfWeights = o.idfWeights ? [...o.idfWeights] : null;
    if (this.inputIdfWeights !== null && this.outputMode !== 'tf_idf') {
      throw new KerasValueError(`\`idf_weights\` should only be set if \`output_mode\` is 'tf_idf'. Received: idf_weights=${JSON.stringify(this.inputIdfWeights)} and output_mode=${this.outputMode}`);
    }
    this._hasInputVocabulary = this.inputVocabulary !== null;
    if (this.inputVocabulary !== null) this.setVocabulary(this.inputVocabulary, this.inputIdfWeights);
  }

  /** Index of the first OOV slot (1 in 'int' mode, after the padding token). */
  private get _oovStart(): number {
    return this.outputMode === 'int' ? 1 : 0;
  }

  private get _tokenStart(): number {
    return this._oovStart + 1;
  }

  /** The vocabulary size, the reserved tokens included. */
  vocabularySize(): number {
    return this._tokenStart + this._tokens.length;
  }

  /** The vocabulary in index order; `includeSpecialTokens: false` leaves out `''` and `'[UNK]'`. */
  getVocabulary(includeSpecialTokens = true): string[] {
    if (!includeSpecialTokens) return [...this._tokens];
    return [...(this.outputMode === 'int' ? [MASK] : []), OOV, ...this._tokens];
  }

  /** The TF-IDF weights per output index (`'tf_idf'` mode), or null. */
  getIdfWeights(): number[] | null {
    return this._idf === null ? null : Array.from(this._idf);
  }

  /** Set the vocabulary (and, in `'tf_idf'` mode, the IDF weights) directly, as Keras's `set_vocabulary`. */
  setVocabulary(vocabulary: readonly string[], idfWeights: readonly number[] | null = null): void {
    if (!isStringArray(vocabulary)) throw new KerasValueError(`\`vocabulary\` must be an array of strings. Received: ${describe(vocabulary)}`);
    if (this.outputMode === 'tf_idf' && idfWeights === null) throw new KerasValueError("`idf_weights` must be set if output_mode is 'tf_idf'.");
    if (this.outputMode !== 'tf_idf' && idfWeights !== null) throw new KerasValueError(`\`idf_weights\` should only be set if output_mode is 'tf_idf'. Received: output_mode=${this.outputMode}`);
    if (vocabulary.length === 0) throw new KerasValueError('Cannot set an empty vocabulary. Received: vocabulary=[]');
    const special = [...(this.outputMode === 'int' ? [MASK] : []), OOV];
    const found = special.every((t, i) => vocabulary[i] === t);
    const tokens = found ? vocabulary.slice(special.length) : [...vocabulary];
    const seen = new Set<string>();
    const repeated = new Set<string>();
    for (const t of tokens) (seen.has(t) ? repeated : seen).add(t);
    if (repeated.size > 0) throw new KerasValueError(`The passed vocabulary has at least one repeated term. Please uniquify your dataset. The repeated terms are: ${JSON.stringify([...repeated])}`);
    if (seen.has(MASK)) throw new KerasValueError(`Found reserved mask token '' at unexpected location in \`vocabulary\`. Either remove all mask and OOV tokens, or include them only at the start of the vocabulary in precisely this order: ${JSON.stringify(special)}.`);
    const size = this._tokenStart + tokens.length;
    if (this.maxTokens !== null && size > this.maxTokens) {
      throw new KerasValueError(`Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size is ${size}; \`max_tokens\` is ${this.maxTokens}.`);
    }
    let idf: Float32Array | null = null;
    if (idfWeights !== null) {
      if (idfWeights.length !== vocabulary.length) {
        throw new KerasValueError(`\`idf_weights\` must be the same length as vocabulary. len(idf_weights) is ${idfWeights.length}; len(vocabulary) is ${vocabulary.length}`);
      }
      // No document frequencies for the reserved tokens: Keras pads with the mean weight.
      const front = found ? [] : new Array<number>(this._tokenStart).fill(idfWeights.reduce((a, b) => a + b, 0) / idfWeights.length);
      const back = this.padToMaxTokens && this.maxTokens !== null ? new Array<number>(this.maxTokens - front.length - idfWeights.length).fill(0) : [];
      idf = Float32Array.from([...front, ...idfWeights, ...back]);
    }
    this._setTokens(tokens, idf);
    this._hasInputVocabulary = true;
  }

  private _setTokens(tokens: string[], idf: Float32Array | null): void {
    this._tokens = tokens;
    this._index = new Map(tokens.map((t, i) => [t, i + this._tokenStart]));
    this._idf = idf;
    this._ready = true;
  }

  /** Standardize, split and make n-grams: one token list per row. */
  private _tokenize(inputs: TextBatch, what: string): { rows: string[][]; flat: boolean } {
    if (!isTextBatch(inputs)) {
      throw new KerasValueError(`${what}: TextVectorization takes a batch of strings, string[] or string[][]. Received: ${describe(inputs)}`);
    }
    const flat = isStringArray(inputs);
    const std = (s: string): string => {
      const f = this.standardize;
      if (f === null) return s;
      if (typeof f === 'function') {
        const r = f(s);
        if (typeof r !== 'string') throw new KerasValueError(`The \`standardize\` function must return a string. Received: ${describe(r)}`);
        return r;
      }
      let r = s;
      if (f === 'lower' || f === 'lower_and_strip_punctuation') r = r.replace(/[A-Z]+/g, (c) => c.toLowerCase());
      if (f === 'strip_punctuation' || f === 'lower_and_strip_punctuation') r = r.replace(PUNCTUATION, '');
      return r;
    };
    const rows: string[][] = (inputs as readonly (string | readonly string[])[]).map((row) => {
      if (this.split === null) return typeof row === 'string' ? [std(row)] : row.map(std);
      let text: string;
      if (typeof row === 'string') text = row;
      else if (row.length === 1) text = row[0]!;
      else {
        throw new KerasValueError(`When using TextVectorization to tokenize strings, the input rank must be 1 or the last shape dimension must be 1. Received: a row of ${row.length} strings`);
      }
      const s = std(text);
      if (this.split === 'whitespace') return s.split(WHITESPACE).filter((t) => t !== '');
      if (this.split === 'character') return Array.from(s);
      const toks = (this.split as (t: string) => string[])(s);
      if (!isStringArray(toks)) throw new KerasValueError(`The \`split\` function must return an array of strings. Received: ${describe(toks)}`);
      return [...toks];
    });
    if (this._widths === null) return { rows, flat };
    // `tf.strings.ngrams(widths, separator=' ')`: every width in order, no padding, short rows give none.
    const grams = rows.map((toks) => {
      const out: string[] = [];
      for (const n of this._widths!) for (let i = 0; i + n <= toks.length; i++) out.push(toks.slice(i, i + n).join(' '));
      return out;
    });
    return { rows: grams, flat };
  }

  /**
   * Learn the vocabulary (and TF-IDF document frequencies) from `data`: a
   * batch (`string[]` / `string[][]`) or an iterable of batches, such as a
   * Duet dataset or loader yielding string batches. An async iterable
   * makes it return a Promise.
   */
  adapt(data: TextBatch | Iterable<TextBatch | string>): void;
  adapt(data: AsyncIterable<TextBatch | string>): Promise<void>;
  adapt(data: unknown): void | Promise<void> {
    if (this._hasInputVocabulary) {
      throw new KerasValueError(`Cannot adapt layer '${this.name}' after setting a static vocabulary via \`vocabulary\` argument or \`setVocabulary()\` method.`);
    }
    const counts = new Map<string, number>();
    const docCounts = new Map<string, number>();
    let documents = 0;
    const update = (batch: unknown): void => {
      const b = typeof batch === 'string' ? [batch] : batch;
      const { rows } = this._tokenize(b as TextBatch, 'adapt');
      for (const row of rows) {
        for (const t of row) counts.set(t, (counts.get(t) ?? 0) + 1);
        if (this.outputMode === 'tf_idf') for (const t of new Set(row)) docCounts.set(t, (docCounts.get(t) ?? 0) + 1);
      }
      documents += rows.length;
    };
    const finish = (): void => this._finalize(counts, docCounts, documents);
    if (isTextBatch(data)) {
      update(data);
      finish();
      return;
    }
    if (data !== null && typeof data === 'object' && typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const batch of data as Iterable<unknown>) update(batch);
      finish();
      return;
    }
    if (data !== null && typeof data === 'object' && typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      return (async () => {
        for await (const batch of data as AsyncIterable<unknown>) update(batch);
        finish();
      })();
    }
    throw new KerasValueError(`adapt: expected a batch of strings (string[] or string[][]) or an iterable of batches. Received: ${describe(data)}`);
  }

  private _finalize(counts: Map<string, number>, docCounts: Map<string, number>, documents: number): void {
    counts.delete(MASK);
    counts.delete(OOV);
    let tokens = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || byBytesDesc(a, b));
    if (this.maxTokens !== null) tokens = tokens.slice(0, this.maxTokens - this._tokenStart);
    let idf: Float32Array | null = null;
    if (this.outputMode === 'tf_idf') {
      const w = Float32Array.from(tokens, (t) => Math.log(1 + documents / (1 + (docCounts.get(t) ?? 0))));
      const mean = w.length === 0 ? 0 : w.reduce((a, b) => a + b, 0) / w.length;
      const back = this.padToMaxTokens && this.maxTokens !== null ? this.maxTokens - this._tokenStart - w.length : 0;
      idf = Float32Array.from([...new Array<number>(this._tokenStart).fill(mean), ...w, ...new Array<number>(back).fill(0)]);
    }
    this._setTokens(tokens, idf);
  }

  /** Strings in, a tensor out: `[batch, length]` int32 indices, or `[batch, depth]` float32 vectors. */
  override apply(inputs: TextBatch, options?: CallOptions): Tensor;
  /** Symbolic inputs are refused (typed error): string tensors do not exist in Duet. */
  override apply(inputs: KerasTensor | KerasTensor[] | Record<string, KerasTensor>, options?: CallOptions): KerasTensor;
  override apply(inputs: Tensor | Tensor[] | Record<string, Tensor>, options?: CallOptions): Tensor;
  override apply(inputs: unknown, options?: CallOptions): unknown;
  override apply(inputs: unknown, _options: CallOptions = {}): unknown {
    return this.call(inputs);
  }

  override call(inputs: unknown): Tensor {
    if (inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs)) {
      throw new KerasValueError(`TextVectorization takes JavaScript strings (string[] or string[][]), not ${describe(inputs)}: Duet tensors are numeric, so run the layer on the raw text before the model (e.g. in the data pipeline).`);
    }
    const { rows, flat } = this._tokenize(inputs as TextBatch, 'TextVectorization');
    const mode = this.outputMode;
    if (mode !== 'int' && !this._ready && !this.padToMaxTokens) {
      throw new NotReadyError(`When using \`output_mode=${mode}\` and \`pad_to_max_tokens=False\`, you must set the layer's vocabulary before calling it. Either pass a \`vocabulary\` argument to the layer, or call \`adapt\` with some sample data.`);
    }
    const lookup = (t: string): number => (mode === 'int' && t === MASK ? 0 : (this._index.get(t) ?? this._oovStart));
    if (mode === 'int') {
      if (this.split === null && flat) return tensor(rows.map((r) => lookup(r[0]!)), { dtype: 'int32' });
      const len = this.outputSequenceLength ?? rows.reduce((m, r) => Math.max(m, r.length), 0);
      const out = new Int32Array(rows.length * len);
      rows.forEach((r, i) => {
        for (let j = 0; j < Math.min(len, r.length); j++) out[i * len + j] = lookup(r[j]!);
      });
      return tensor(out, { shape: [rows.length, len], dtype: 'int32' });
    }
    const depth = this.padToMaxTokens ? this.maxTokens! : this.vocabularySize();
    const out = new Float32Array(rows.length * depth);
    rows.forEach((r, i) => {
      for (const t of r) {
        if (t === MASK) continue; // Keras maps the mask token past the bincount: dropped.
        const k = i * depth + lookup(t);
        out[k] = mode === 'multi_hot' ? 1 : out[k]! + 1;
      }
    });
    if (mode === 'tf_idf') {
      const idf = this._idf!;
      for (let k = 0; k < out.length; k++) if (out[k] !== 0) out[k] = out[k]! * idf[k % depth]!;
    }
    return tensor(out, { shape: [rows.length, depth] });
  }

  override getConfig(): LayerConfig {
    const fn = (v: unknown): unknown => (typeof v === 'function' ? (v as { name?: string }).name || 'anonymous' : v);
    return {
      ...super.getConfig(),
      maxTokens: this.maxTokens,
      standardize: fn(this.standardize),
      split: fn(this.split),
      ngrams: this.ngrams,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens: this.padToMaxTokens,
      sparse: false,
      ragged: false,
      vocabulary: this.inputVocabulary,
      idfWeights: this.inputIdfWeights,
      encoding: 'utf-8',
      vocabularySize: this.vocabularySize(),
    };
  }

  static override fromConfig(config: LayerConfig): TextVectorization {
    const { sparse, ragged, encoding, vocabularySize: _size, ...rest } = config;
    if (sparse === true || ragged === true) throw new KerasValueError(`TextVectorization: Duet has no sparse or ragged tensors. Received: sparse=${String(sparse)}, ragged=${String(ragged)}`);
    if (encoding !== undefined && encoding !== 'utf-8') throw new KerasValueError(`TextVectorization: only 'utf-8' encoding is supported. Received: encoding=${String(encoding)}`);
    for (const k of ['standardize', 'split']) {
      const v = rest[k];
      if (typeof v === 'string' && !(k === 'standardize' ? STANDARDIZE : SPLIT).includes(v)) {
        throw new KerasValueError(`TextVectorization.fromConfig: \`${k}\` was the custom function ${JSON.stringify(v)}, which a config cannot carry: pass it again, fromConfig({ ...config, ${k}: yourFunction }).`);
      }
    }
    return new TextVectorization(rest as TextVectorizationOptions);
  }
}
registerSerializable('layer', TextVectorization);
