/**
 * `model.compile()`: the optimizer, the compiled loss and metrics, and the
 * loss tracker (the running mean of the total loss, weighted by batch size,
 * that Keras logs as `loss`). The logs' keys are sorted, as Keras's
 * TensorFlow backend returns them (`accuracy` before `loss`).
 */
import { noGrad, type Tensor } from '@duet/core';
import { KerasValueError, NotReadyError } from '../errors.js';
import type { Model } from '../models/model.js';
import { Mean, Metric } from '../metrics/metric.js';
import { get as getOptimizer, type OptimizerIdentifier } from '../optimizers/index.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { CompileLoss, type LossConfig } from './compile_loss.js';
import { CompileMetrics, type MetricsConfig } from './compile_metrics.js';
import { alignTargets, flattenOutputs, outputNamesOf } from './structure.js';
import type { StepContext } from './train_step.js';

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
  /** What the running fit / evaluate keeps between steps (class weights, the trained variables). */
  stepContext: StepContext = { variables: null, classWeights: null };

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
    return this.namesInOrder(Object.keys(logs)).map((k) => logs[k]!);
  }

  /** The log keys in `resultsInOrder`'s order (what `model.metricsNames` lists). */
  namesInOrder(keys: string[] = this.logKeys()): string[] {
    const names = ['loss', ...[...this.metrics.metrics, ...this.weightedMetrics.metrics].map(([, m]) => m.name), ...(this.loss?.trackers.map(([n]) => n) ?? [])];
    // A name listed twice (a metric in both `metrics` and `weightedMetrics`) gives its value twice, as Keras's `_flatten_metrics_in_order`.
    const listed = names.filter((n) => keys.includes(n));
    return [...listed, ...[...keys].sort().filter((k) => !names.includes(k))];
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

  /**
   * `model.metrics` (Keras 3's): the loss tracker, then the compiled
   * metrics; until the first batch has resolved those (`'accuracy'` needs
   * the shapes), one `compile_metrics` entry that resolves and updates them.
   */
  modelMetrics(model: Model): Metric[] {
    if (!(this.metrics.built && this.weightedMetrics.built)) {
      return this.metrics.config === null && this.weightedMetrics.config === null ? [this.lossTracker] : [this.lossTracker, new CompiledMetricsBuilder(this, model)];
    }
    this._views ??= [
      ...this.metrics.metrics.map(([, m]) => new CompiledMetricView(m, false)),
      ...this.weightedMetrics.metrics.map(([, m]) => new CompiledMetricView(m, true)),
    ];
    return [this.lossTracker, ...this._views];
  }
  private _views: Metric[] | undefined;
}

/**
 * A compiled metric as `model.metrics` lists it: `metrics` ignore sample
 * weights and `weightedMetrics` apply them, as Keras's `CompileMetrics`
 * container does when a custom `trainStep` updates it.
 */
class CompiledMetricView extends Metric {
  constructor(
    private readonly inner: Metric,
    private readonly weighted: boolean,
  ) {
    super({ name: inner.name });
  }
  override updateState(yTrue: Tensor, yPred?: Tensor | null, sampleWeight?: Tensor | null): void {
    noGrad(() => this.inner.updateState(yTrue, yPred, this.weighted ? sampleWeight : null));
  }
  override result(): number {
    return this.inner.result();
  }
  override resetState(): void {
    this.inner.resetState();
  }
}

/** The compiled metrics before their first update (Keras's `CompileMetrics` container): updating it resolves them. */
class CompiledMetricsBuilder extends Mean {
  constructor(
    private readonly state: CompileState,
    private readonly model: Model,
  ) {
    super({ name: 'compile_metrics' });
  }
  override updateState(yTrue: Tensor, yPred?: Tensor | null, sampleWeight?: Tensor | null): void {
    if (yPred === undefined || yPred === null) throw new KerasValueError('The compiled metrics are updated with `metric.updateState(y, yPred)`: both the targets and the predictions.');
    const preds = flattenOutputs(yPred);
    const names = outputNamesOf(this.model, preds.length);
    const ys = alignTargets(yTrue, names);
    this.state.buildMetrics(ys, preds, names);
    noGrad(() => this.state.updateMetrics(ys, preds, sampleWeight ?? null));
  }
  override result(): number {
    throw new NotReadyError('The compiled metrics have no result before their first update: call `metric.updateState(y, yPred)` on each entry of `model.metrics` first.');
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
