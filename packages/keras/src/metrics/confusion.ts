/**
 * Confusion-matrix metrics (Keras 3's `metrics/confusion_metrics.py`):
 * Precision, Recall and AUC. Predictions above a threshold count as
 * positive (strictly greater, as Keras); all elements are pooled. The counts
 * stay on the device until `result()`.
 */
import { Tensor, cat, noGrad, tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { registerSerializable } from '../registry.js';
import { DeviceSum } from './device_sum.js';
import { Metric, type MetricOptions } from './metric.js';

/** [truePositives(T), predictedPositives(T), actualPositives, total] summed over the batch. */
function counts(yTrue: Tensor, yPred: Tensor, thresholds: number[], sampleWeight: Tensor | null): Tensor {
  return noGrad(() => {
    const p = yPred.reshape([-1, 1]);
    const lab = yTrue.reshape([-1, 1]).gt(0).float();
    let w = sampleWeight === null ? null : sampleWeight.float();
    if (w !== null) w = w.reshape([w.shape[0] ?? 1, -1]).expand([w.shape[0] ?? 1, yPred.numel() / Math.max(1, yPred.shape[0] ?? 1)]).reshape([-1, 1]);
    let pos = p.gt(tensor(thresholds).reshape([1, -1])).float();
    let labW = lab;
    if (w !== null) {
      pos = pos.mul(w);
      labW = lab.mul(w);
    }
    const tp = pos.mul(lab).sum(0);
    const pp = pos.sum(0);
    const ap = labW.sum().reshape([1]);
    const n = (w === null ? tensor([p.shape[0]!]) : w.sum().reshape([1]));
    return cat([tp, pp, ap, n]);
  });
}

abstract class ConfusionMetric extends Metric {
  protected readonly sums = new DeviceSum('batch');
  constructor(readonly thresholds: number[], options: MetricOptions) {
    super(options);
  }
  override updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    this.sums.add(counts(yTrue, yPred, this.thresholds, sampleWeight ?? null));
  }
  /** `{ tp, fp, fn, tn }` per threshold, from one read. */
  protected confusion(): { tp: number[]; fp: number[]; fn: number[]; tn: number[] } {
    const T = this.thresholds.length;
    const v = this.sums.read() ?? new Float32Array(2 * T + 2);
    const tp = Array.from(v.subarray(0, T));
    const pp = Array.from(v.subarray(T, 2 * T));
    const ap = v[2 * T]!;
    const n = v[2 * T + 1]!;
    const fp = pp.map((x, i) => x - tp[i]!);
    const fn = tp.map((x) => ap - x);
    const tn = tp.map((x, i) => n - x - fp[i]! - fn[i]!);
    return { tp, fp, fn, tn };
  }
  override resetState(): void {
    this.sums.reset();
  }
}

const divNoNan = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** tp / (tp + fp) at `thresholds` (default 0.5). */
function userThreshold(t: unknown): number {
  if (typeof t !== 'number' || t < 0 || t > 1) throw new KerasValueError(`Threshold values must be in [0, 1]. Received: thresholds=${String(t)}`);
  return t;
}

export class Precision extends ConfusionMetric {
  constructor(options: MetricOptions & { thresholds?: number } = {}) {
    super([userThreshold(options.thresholds ?? 0.5)], { name: options.name ?? 'precision' });
  }
  result(): number {
    const c = this.confusion();
    return divNoNan(c.tp[0]!, c.tp[0]! + c.fp[0]!);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.thresholds[0] };
  }
}

/** tp / (tp + fn) at `thresholds` (default 0.5). */
export class Recall extends ConfusionMetric {
  constructor(options: MetricOptions & { thresholds?: number } = {}) {
    super([userThreshold(options.thresholds ?? 0.5)], { name: options.name ?? 'recall' });
  }
  result(): number {
    const c = this.confusion();
    return divNoNan(c.tp[0]!, c.tp[0]! + c.fn[0]!);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.thresholds[0] };
  }
}

/** Keras's AUC thresholds: -eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps. */
function aucThresholds(n: number): number[] {
  const eps = 1e-7;
  const inner = Array.from({ length: n - 2 }, (_, i) => ((i + 1) * 1.0) / (n - 1));
  return [0 - eps, ...inner, 1 + eps];
}

/**
 * Area under the ROC (default) or PR curve, from counts at `numThresholds`
 * (200) thresholds, Riemann sum with 'interpolation' (trapezoids) by default.
 */
export class AUC extends ConfusionMetric {
  readonly numThresholds: number;
  readonly curve: 'ROC' | 'PR';
  readonly summationMethod: 'interpolation' | 'minoring' | 'majoring';
  constructor(options: MetricOptions & { numThresholds?: number; curve?: 'ROC' | 'PR'; summationMethod?: 'interpolation' | 'minoring' | 'majoring' } = {}) {
    const n = options.numThresholds ?? 200;
    if (!Number.isInteger(n) || n <= 1) throw new KerasValueError(`Argument \`num_thresholds\` must be an integer > 1. Received: num_thresholds=${n}`);
    super(aucThresholds(n), { name: options.name ?? 'auc' });
    this.numThresholds = n;
    this.curve = options.curve ?? 'ROC';
    this.summationMethod = options.summationMethod ?? 'interpolation';
  }
  result(): number {
    const { tp, fp, fn, tn } = this.confusion();
    const n = this.numThresholds;
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') return interpolatePrAuc(tp, fp, fn);
    const recall = tp.map((x, i) => divNoNan(x, x + fn[i]!));
    const x = this.curve === 'ROC' ? fp.map((v, i) => divNoNan(v, v + tn[i]!)) : recall;
    const y = this.curve === 'ROC' ? recall : tp.map((v, i) => divNoNan(v, v + fp[i]!));
    let s = 0;
    for (let i = 0; i < n - 1; i++) {
      const h = this.summationMethod === 'interpolation' ? (y[i]! + y[i + 1]!) / 2 : this.summationMethod === 'minoring' ? Math.min(y[i]!, y[i + 1]!) : Math.max(y[i]!, y[i + 1]!);
      s += (x[i]! - x[i + 1]!) * h;
    }
    return s;
  }
  override getConfig(): Record<string, unknown> {
    return { name: this.name, numThresholds: this.numThresholds, curve: this.curve, summationMethod: this.summationMethod };
  }
}

/** Davis & Goadrich's interpolation of the PR curve (Keras's `interpolate_pr_auc`). */
function interpolatePrAuc(tp: number[], fp: number[], fn: number[]): number {
  const n = tp.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const dtp = tp[i]! - tp[i + 1]!;
    const p = tp[i]! + fp[i]!;
    const dp = p - (tp[i + 1]! + fp[i + 1]!);
    const precSlope = divNoNan(dtp, Math.max(dp, 0));
    const intercept = tp[i + 1]! - precSlope * (tp[i + 1]! + fp[i + 1]!);
    const safeP1 = tp[i + 1]! + fp[i + 1]! > 0 && p > 0 ? divNoNan(p, Math.max(tp[i + 1]! + fp[i + 1]!, 0)) : 1;
    const term = precSlope * (dtp + intercept * Math.log(safeP1 <= 0 ? 1 : safeP1));
    s += divNoNan(term, Math.max(tp[i + 1]! + fn[i + 1]!, 0));
  }
  return s;
}

for (const c of [Precision, Recall, AUC]) registerSerializable('metric', c);
