/**
 * How auto-mpg.csv was made: from `data/cars.json` of the npm package
 * vega-datasets 3.2.1 (the Auto MPG data, see README.md), keeping the 392
 * cars that have both mpg and horsepower, with the year as the model year
 * (70..82) and the origin one-hot (europe, japan, usa), as TensorFlow's
 * "Basic regression: Predict fuel efficiency" tutorial prepares it.
 *
 *   npm pack vega-datasets@3.2.1 && tar xzf vega-datasets-3.2.1.tgz package/data/cars.json
 *   pnpm tsx examples/data/auto-mpg/make-csv.ts package/data/cars.json
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

const source = process.argv[2];
if (source === undefined) throw new Error('Usage: make-csv.ts <path of vega-datasets data/cars.json>');
const cars = JSON.parse(readFileSync(source, 'utf8')) as Car[];
const lines = ['mpg,cylinders,displacement,horsepower,weight,acceleration,model_year,europe,japan,usa'];
for (const c of cars) {
  if (c.Miles_per_Gallon === null || c.Horsepower === null) continue;
  const year = Number(c.Year.slice(0, 4)) - 1900;
  const o = c.Origin;
  lines.push([c.Miles_per_Gallon, c.Cylinders, c.Displacement, c.Horsepower, c.Weight_in_lbs, c.Acceleration, year, +(o === 'Europe'), +(o === 'Japan'), +(o === 'USA')].join(','));
}
const target = fileURLToPath(new URL('auto-mpg.csv', import.meta.url));
writeFileSync(`${target}.tmp`, lines.join('\n') + '\n');
renameSync(`${target}.tmp`, target);
console.log(`${lines.length - 1} cars -> ${target}`);
