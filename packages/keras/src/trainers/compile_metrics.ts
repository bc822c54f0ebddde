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
  /** `[logName, metric, outputIndex]`, in the order given. */
  metrics: [string, Metric, number][] = [];
  built = false;

  constructor(readonly config: MetricsConfig | null) {
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

  build(ys: (Tensor | null)[], preds: Tensor[], names: string[]): void {
    if (this.built) return;
    const multi = names.length > 1;
    this.idsFor(names).forEach((ids, i) => {
      for (const id of ids) {
        const y = ys[i];
        if (y === null || y === undefined) continue;
        const m = isAccuracy(id) ? resolveAccuracy(id as string, y, preds[i]!) : getMetric(typeof id === 'function' || id instanceof Metric ? id : id);
        const base = metricName(id, m);
        const name = multi ? `${names[i]}_${base}` : base;
        m.name = name;
        this.metrics.push([name, m, i]);
      }
    });
    this.built = true;
  }

  update(ys: (Tensor | null)[], preds: Tensor[], sampleWeight: Tensor | null): void {
    for (const [, m, i] of this.metrics) {
      const y = ys[i];
      if (y !== null && y !== undefined) m.updateState(y, preds[i]!, sampleWeight);
    }
  }

  reset(): void {
    for (const [, m] of this.metrics) m.resetState();
  }
}
