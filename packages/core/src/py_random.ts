/**
 * Python's `random` module, for the control flow ported programs draw
 * (`for exp in range(4, random.randint(4, 6))`): its own seeded stream,
 * separate from the tensors' generator (`manualSeed`), as Python's is
 * separate from torch's. The numbers are not CPython's (its Mersenne
 * Twister is not reproduced); the ranges and inclusivity are.
 *
 * @example
 * ```ts
 * import { random } from '@duet/core';
 * random.seed(0);
 * random.randint(4, 6); // 4, 5 or 6 (both ends included, as in Python)
 * ```
 */
import { ArgumentError } from './errors.js';
import { Generator } from './random.js';

const gen = new Generator();

function checkInt(v: number, what: string): void {
  if (!Number.isInteger(v)) throw new ArgumentError(`random.${what}: expected integers, received ${v}.`);
}

export const random = {
  /** Seed this stream (`random.seed(n)`). */
  seed(n: number): void {
    checkInt(n, 'seed()');
    gen.manualSeed(n);
  },
  /** A float in [0, 1) (`random.random()`). */
  random(): number {
    return gen.random();
  },
  /** An integer in [a, b], both included (`random.randint(a, b)`). */
  randint(a: number, b: number): number {
    checkInt(a, 'randint(a, b)');
    checkInt(b, 'randint(a, b)');
    if (b < a) throw new ArgumentError(`random.randint(a, b): empty range, expected a <= b, received a=${a}, b=${b}.`);
    return a + gen.randint(b - a + 1);
  },
  /** An integer in range(start, stop) (`random.randrange(start, stop)`; one argument: range(0, start)). */
  randrange(start: number, stop?: number): number {
    const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
    checkInt(lo, 'randrange()');
    checkInt(hi, 'randrange()');
    if (hi <= lo) throw new ArgumentError(`random.randrange(): empty range, expected start < stop, received ${lo}, ${hi}.`);
    return lo + gen.randint(hi - lo);
  },
  /** A float in [a, b) (`random.uniform(a, b)`). */
  uniform(a: number, b: number): number {
    return a + (b - a) * gen.random();
  },
  /** One element of a non-empty array (`random.choice(seq)`). */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new ArgumentError('random.choice(seq): expected a non-empty sequence, received an empty one.');
    return seq[gen.randint(seq.length)]!;
  },
  /** Shuffle an array in place (`random.shuffle(x)`). */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = gen.randint(i + 1);
      [x[i], x[j]] = [x[j]!, x[i]!];
    }
  },
};
