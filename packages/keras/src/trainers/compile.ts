/**
 * `model.compile()`: the optimizer, the compiled loss and metrics, and the
 * loss tracker (the running mean of the total loss, weighted by batch size,
 * that Keras logs as `loss`). The logs' keys are sorted, as Keras's
 * TensorFlow backend returns them (`accuracy` before `loss`).
 */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { Mean } from '../metrics/metric.js';
import type { Metric } from '../metrics/metric.js';
import { get as getOptimizer, type OptimizerIdentifier } from '../optimizers/index.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { CompileLoss, type LossConfig } from './compile_loss.js';
import { CompileMetrics, type MetricsConfig } from './compile_metrics.js';

export interface CompileOptions {
  /** Name (`'adam'`, `'sgd'`, ...) or instance. Default 'rmsprop' (Keras's). */
  optimizer?: OptimizerIdentifier;
  /** A loss for every output, an array (one per output), or an object by output name. */
  loss?: LossConfig;
  /** Metrics for every output (`['accuracy']`), a list per output, or an object by output name. */
  metrics?: MetricsConfig;
  /** Metrics that apply the sample and class weights (Keras's `weighted_metrics`). */
  weightedMetrics?: MetricsConfig;
  /** Scales of the outputs' losses in the total (array or object by output name). */
  lossWeights?: number[] | Record<string, number>;
  /** Accepted for compatibility; Duet always runs eagerly. */
  runEagerly?: boolean;
  /** Accepted for compatibility; ignored. */
  jitCompile?: boolean | 'auto';
  /** Accepted for compatibility; ignored (Duet runs one step per call). */
  stepsPerExecution?: number;
}

export class CompileState {
  readonly optimizer: Optimizer;
  readonly loss: CompileLoss | null;
  readonly metrics: CompileMetrics;
  readonly weightedMetrics: CompileMetrics;
  readonly lossTracker = new Mean({ name: 'loss' });

  constructor(options: CompileOptions) {
    this.optimizer = getOptimizer(options.optimizer ?? 'rmsprop');
    this.loss = options.loss === undefined || options.loss === null ? null : new CompileLoss(options.loss, options.lossWeights ?? null);
    this.metrics = new CompileMetrics(options.metrics ?? null);
    this.weightedMetrics = new CompileMetrics(options.weightedMetrics ?? null, true);
  }

  /** Resolve the metrics on the first batch (their names are unique across both lists). */
  buildMetrics(ys: (Tensor | null)[], preds: Tensor[], names: string[]): void {
    if (this.metrics.built && this.weightedMetrics.built) return;
    const taken = new Set(['loss', ...(this.loss?.trackers.map(([n]) => n) ?? [])]);
    this.metrics.build(ys, preds, names, taken);
    this.weightedMetrics.build(ys, preds, names, taken);
  }

  updateMetrics(ys: (Tensor | null)[], preds: Tensor[], sampleWeight: Tensor | null): void {
    this.metrics.update(ys, preds, sampleWeight);
    this.weightedMetrics.update(ys, preds, sampleWeight);
  }

  /** All trackers, in Keras's order: loss, per-output losses, compiled metrics. */
  trackers(): [string, Metric][] {
    const compiled = [...this.metrics.metrics, ...this.weightedMetrics.metrics].map(([n, m]) => [n, m] as [string, Metric]);
    return [['loss', this.lossTracker], ...(this.loss?.trackers ?? []), ...compiled];
  }

  /** The log keys, sorted (the TensorFlow backend's order). */
  logKeys(): string[] {
    return this.trackers().map(([n]) => n).sort();
  }

  /** Current values of every tracker (one sync each), sorted by key. */
  results(): Record<string, number> {
    const byName = new Map(this.trackers());
    const out: Record<string, number> = {};
    for (const k of this.logKeys()) out[k] = byName.get(k)!.result();
    return out;
  }

  /**
   * Values in Keras's `evaluate` order (`_flatten_metrics_in_order`): the
   * loss, each compiled metric by its own name (as compiled; a name that is
   * not a log key, e.g. an output's metric, is skipped here), the outputs'
   * losses, then every log not listed yet, sorted by name.
   */
  resultsInOrder(): number[] {
    const logs = this.results();
    const names = ['loss', ...[...this.metrics.metrics, ...this.weightedMetrics.metrics].map(([, m]) => m.name), ...(this.loss?.trackers.map(([n]) => n) ?? [])];
    const out = names.filter((n) => n in logs).map((n) => logs[n]!);
    for (const k of Object.keys(logs).sort()) if (!names.includes(k)) out.push(logs[k]!);
    return out;
  }

  /** Logs whose values are read from the device only when a key is read. */
  lazyLogs(): Record<string, number> {
    const logs = {} as Record<string, number>;
    const byName = new Map(this.trackers());
    for (const k of this.logKeys()) Object.defineProperty(logs, k, { get: () => byName.get(k)!.result(), enumerable: true });
    return logs;
  }

  resetMetrics(): void {
    for (const [, m] of this.trackers()) m.resetState();
  }
}

export function compileModel(model: Model, options: CompileOptions): CompileState {
  if (options === null || typeof options !== 'object') throw new KerasValueError(`compile() takes an options object ({ optimizer, loss, metrics }). Received: ${String(options)}`);
  const known = new Set(['optimizer', 'loss', 'metrics', 'weightedMetrics', 'lossWeights', 'runEagerly', 'jitCompile', 'stepsPerExecution']);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new KerasValueError(`Invalid keyword argument(s) in \`compile()\`: ${JSON.stringify(unknown)}. Valid keyword arguments include "optimizer", "loss", "metrics", "lossWeights".`);
  model.compiled?.resetMetrics();
  return new CompileState(options);
}
