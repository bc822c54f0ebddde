/**
 * A small seeded generator (mulberry32) whose whole state is one integer,
 * so an oracle can write it to disk and resume the same sequence after a
 * crash. KerasTuner keeps a seed the same way (`oracle.seed`).
 */
export class Rng {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A seed from the clock and the process, when the user gives none. */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 2 ** 31)) >>> 0;
}
