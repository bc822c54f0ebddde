/**
 * Seattle weather 2012-2015 (vega-datasets' data/seattle-weather.csv, NOAA
 * daily records; the package is BSD-3-Clause): classify each day's weather
 * (drizzle, fog, rain, snow, sun) from its precipitation, maximum and
 * minimum temperature, wind and the day of the year (as sin/cos). Features
 * standardised with the training split's statistics; seeded shuffle split.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tensor } from '@duet/core';
import { permutation, type TabularTask } from './autompg.js';

export const WEATHER = ['drizzle', 'fog', 'rain', 'snow', 'sun'] as const;

export function loadSeattleWeather(options: { valFraction?: number; seed?: number; limit?: number } = {}): TabularTask {
  const path = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'seattle-weather.csv');
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const all = lines.map((line) => {
    const [date, precipitation, tMax, tMin, wind, weather] = line.split(',') as [string, string, string, string, string, string];
    const d = new Date(`${date}T00:00:00Z`);
    const day = (d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000;
    const angle = (2 * Math.PI * day) / 365.25;
    const label = WEATHER.indexOf(weather as (typeof WEATHER)[number]);
    if (label < 0) throw new Error(`seattle-weather.csv: unknown weather ${JSON.stringify(weather)} on ${date}`);
    return { features: [Number(precipitation), Number(tMax), Number(tMin), Number(wind), Math.sin(angle), Math.cos(angle)], label };
  });
  const rows = permutation(all.length, options.seed ?? 0).slice(0, options.limit ?? all.length).map((i) => all[i]!);
  const nVal = Math.round(rows.length * (options.valFraction ?? 0.2));
  const train = rows.slice(nVal);
  const val = rows.slice(0, nVal);
  const f = train[0]!.features.length;
  const mean = Array.from({ length: f }, (_, j) => train.reduce((s, r) => s + r.features[j]!, 0) / train.length);
  const std = Array.from({ length: f }, (_, j) => Math.sqrt(train.reduce((s, r) => s + (r.features[j]! - mean[j]!) ** 2, 0) / train.length) || 1);
  const norm = (rs: typeof rows) => tensor(rs.map((r) => r.features.map((v, j) => (v - mean[j]!) / std[j]!)));
  const labels = (rs: typeof rows) => tensor(rs.map((r) => r.label), { dtype: 'int32' });
  return { x: norm(train).keep(), y: labels(train).keep(), xVal: norm(val).keep(), yVal: labels(val).keep(), rows: rows.length, features: f, classes: WEATHER.length };
}
