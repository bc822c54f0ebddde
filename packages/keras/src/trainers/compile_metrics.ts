/**
 * The compiled metrics (Keras 3's `CompileMetrics`): resolved on the first
 * batch, when the targets' and predictions' shapes are known, which is how
 * `'accuracy'` becomes binary, sparse categorical or categorical accuracy
 * (Keras's `is_binary_or_sparse_categorical`). With several outputs each
 * metric is named `<output>_<metric>`.
 */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy } from '../metrics/accuracy.js';
import { get as getMetric, type MetricIdentifier } from '../metrics/index.js';
import { Metric } from '../metrics/metric.js';

export type MetricsConfig = MetricIdentifier[] | Record<string, MetricIdentifier | MetricIdentifier[]> | (MetricIdentifier[] | null)[];

function isAccuracy(id: MetricIdentifier): boolean {
  return typeof id === 'string' && ['accuracy', 'acc'].includes(id.toLowerCase());
}

/** Keras's choice for 'accuracy' from the shapes. */
function resolveAccuracy(name: string, yTrue: Tensor, yPred: Tensor): Metric {
  const pLast = yPred.shape[yPred.ndim - 1];
  const tLast = yTrue.shape[yTrue.ndim - 1];
  if (pLast === 1) return new BinaryAccuracy({ name });
  if (yTrue.ndim < yPred.ndim || (tLast === 1 && (pLast ?? 0) > 1)) return new SparseCategoricalAccuracy({ name });
  return new CategoricalAccuracy({ name });
}

function metricName(id: MetricIdentifier, m: Metric): string {
  return typeof id === 'string' ? id : m.name;
}

export class CompileMetrics {
  /** `[logName, metric, outputIndex]`, in the order given (`metric.name` is its own name, without output prefix). */
  metrics: [string, Metric, number][] = [];
  built = false;

  /** `weighted`: Keras's `weighted_metrics` (sample and class weights apply). */
  constructor(
    readonly config: MetricsConfig | null,
    readonly weighted = false,
  ) {
    const all = config === null ? [] : Array.isArray(config) ? config.flat() : Object.values(config).flat();
    for (const id of all) if (id !== null && !isAccuracy(id)) getMetric(id); // unknown names fail at compile()
  }

  /** Per output, the identifiers that apply to it. */
  private idsFor(names: string[]): MetricIdentifier[][] {
    const c = this.config;
    if (c === null) return names.map(() => []);
    if (Array.isArray(c)) {
      const nested = c.length > 0 && c.every((e) => Array.isArray(e) || e === null);
      if (nested) {
        if (c.length !== names.length) throw new KerasValueError(`For a model with ${names.length} outputs, \`metrics\` as a list of lists should have ${names.length} entries. Received ${c.length}.`);
        return (c as (MetricIdentifier[] | null)[]).map((e) => e ?? []);
      }
      return names.map(() => c as MetricIdentifier[]);
    }
    const unknown = Object.keys(c).filter((k) => !names.includes(k));
    if (unknown.length > 0) throw new KerasValueError(`In the dict argument \`metrics\`, key(s) ${JSON.stringify(unknown)} do not correspond to any model output. Received: metrics=${JSON.stringify(Object.keys(c))}, outputs=${JSON.stringify(names)}`);
    return names.map((n) => {
      const v = c[n];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    });
  }

  /**
   * Resolve the metrics for these targets and predictions. Log names are
   * `<output>_<metric>` with several outputs, made unique as Keras does
   * (`accuracy_1`; a weighted metric clashing with an unweighted one becomes
   * `weighted_accuracy`); `taken` holds the names already used.
   */
  build(ys: (Tensor | null)[], preds: Tensor[], names: string[], taken: Set<string> = new Set()): void {
    if (this.built) return;
    const multi = names.length > 1;
    const counters = new Map<string, number>();
    const unique = (name: string) => {
      if (!taken.has(name)) return name;
      const n = counters.get(name) ?? 1;
      counters.set(name, n + 1);
      return `${name}_${n}`;
    };
    this.idsFor(names).forEach((ids, i) => {
      for (const id of ids) {
        const y = ys[i];
        if (y === null || y === undefined) continue;
        const m = isAccuracy(id) ? resolveAccuracy(id as string, y, preds[i]!) : getMetric(id);
        const base = metricName(id, m);
        const prefix = multi ? `${names[i]}_` : '';
        let name = `${prefix}${base}`;
        if (taken.has(name)) name = this.weighted ? unique(`${prefix}weighted_${base}`) : unique(name);
        taken.add(name);
        m.name = base;
        this.metrics.push([name, m, i]);
      }
    });
    this.built = true;
  }

  /** Update every metric (with the sample weights only if these are weighted metrics). */
  update(ys: (Tensor | null)[], preds: Tensor[], sampleWeight: Tensor | null): void {
    const sw = this.weighted ? sampleWeight : null;
    for (const [, m, i] of this.metrics) {
      const y = ys[i];
      if (y !== null && y !== undefined) m.updateState(y, preds[i]!, sw);
    }
  }

  reset(): void {
    for (const [, m] of this.metrics) m.resetState();
  }
}
