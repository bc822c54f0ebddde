/**
 * Random numbers for transforms: drawn from Duet's global stream, so that
 * `manualSeed(n)` makes augmentations reproducible (in worker threads, the
 * DataLoader seeds each worker's stream from its own generator).
 */
import { Generator } from '@duet/core';

/**
 * Uniform in [0, 1) from the global stream. `@duet/core` does not export its
 * `randomUniform`; a Generator seeded from one global draw gives the same
 * guarantees (deterministic under `manualSeed`).
 */
export function random(): number {
  return new Generator().random();
}

/** Uniform in [low, high). */
export function uniform(low: number, high: number): number {
  return low + (high - low) * random();
}

/** An integer in [low, high] (both ends included, like Python's randint). */
export function randint(low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** A standard normal sample (Box-Muller). */
export function normal(): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
