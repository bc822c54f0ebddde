/**
 * Auto MPG (fuel efficiency of 1970-1982 cars, the data set of Keras's
 * "Basic regression" tutorial), as the npm package vega-datasets ships it
 * (data/cars.json; the package is BSD-3-Clause, the data from the StatLib
 * archive, distributed in 1982 for educational and scientific purposes).
 * Rows with a missing target or horsepower are dropped (392 remain); the
 * origin becomes one-hot; features are standardised with the training
 * split's mean and deviation; the split is a seeded shuffle.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tensor, type Tensor } from '@duet/core';

interface Car {
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string;
  Origin: 'USA' | 'Europe' | 'Japan';
}

/** A tabular task: standardised features, targets (regression) or class indices (`classes` set). */
export interface TabularTask {
  x: Tensor;
  y: Tensor;
  xVal: Tensor;
  yVal: Tensor;
  rows: number;
  features: number;
  /** Number of classes for a classification task; absent for regression. */
  classes?: number;
}
export type AutoMpg = TabularTask;

/** A seeded Fisher-Yates permutation (mulberry32), so the split is the same on every machine. */
export function permutation(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** `limit` keeps the first rows of the shuffled set (for the test suite's tiny version). */
export function loadAutoMpg(options: { valFraction?: number; seed?: number; limit?: number } = {}): AutoMpg {
  // The package exports only its entry (build/index.js); the data sits beside it in data/.
  const path = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'cars.json');
  const cars = (JSON.parse(readFileSync(path, 'utf8')) as Car[]).filter((c) => c.Miles_per_Gallon !== null && c.Horsepower !== null);
  const order = permutation(cars.length, options.seed ?? 0).slice(0, options.limit ?? cars.length);
  const rows = order.map((i) => {
    const c = cars[i]!;
    return {
      features: [c.Cylinders, c.Displacement, c.Horsepower!, c.Weight_in_lbs, c.Acceleration, Number(c.Year.slice(0, 4)), c.Origin === 'USA' ? 1 : 0, c.Origin === 'Europe' ? 1 : 0, c.Origin === 'Japan' ? 1 : 0],
      target: c.Miles_per_Gallon!,
    };
  });
  const nVal = Math.round(rows.length * (options.valFraction ?? 0.2));
  const train = rows.slice(nVal);
  const val = rows.slice(0, nVal);
  const f = train[0]!.features.length;
  const mean = Array.from({ length: f }, (_, j) => train.reduce((s, r) => s + r.features[j]!, 0) / train.length);
  const std = Array.from({ length: f }, (_, j) => Math.sqrt(train.reduce((s, r) => s + (r.features[j]! - mean[j]!) ** 2, 0) / train.length) || 1);
  const norm = (rs: typeof rows) => tensor(rs.map((r) => r.features.map((v, j) => (v - mean[j]!) / std[j]!)));
  const target = (rs: typeof rows) => tensor(rs.map((r) => [r.target]));
  return { x: norm(train).keep(), y: target(train).keep(), xVal: norm(val).keep(), yVal: target(val).keep(), rows: rows.length, features: f };
}
