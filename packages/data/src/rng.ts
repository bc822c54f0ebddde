/**
 * Random numbers for transforms: drawn from Duet's global stream, so that
 * `manualSeed(n)` makes augmentations reproducible (in worker threads, the
 * DataLoader seeds each worker's stream from its own generator).
 */
import { randomUniform, randomNormal } from '@duet/core';

/** Uniform in [0, 1) from Duet's global stream (deterministic under `manualSeed`). */
export const random: () => number = randomUniform;

/** Uniform in [low, high). */
export function uniform(low: number, high: number): number {
  return low + (high - low) * random();
}

/** An integer in [low, high] (both ends included, like Python's randint). */
export function randint(low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** A standard normal sample from Duet's global stream. */
export const normal: () => number = randomNormal;
