/**
 * Duet's global random generator, seeded by `manualSeed` (like `torch.manual_seed`).
 * The same seed gives the same numbers on every machine. The streams differ
 * from PyTorch's (its Mersenne Twister is not reproduced): compare statistics,
 * not values, across frameworks.
 */
let state = (Date.now() ^ 0x9e3779b9) >>> 0;

/** Seed every Duet random op (creation, init, dropout, shuffling). */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new TypeError(`manualSeed: expected an integer seed, received ${seed}.`);
  state = seed >>> 0;
  spare = null;
}

/** The next uniform number in [0, 1) (mulberry32). */
export function randomUniform(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

let spare: number | null = null;
/** A standard normal sample (Box-Muller). */
export function randomNormal(): number {
  if (spare !== null) {
    const s = spare;
    spare = null;
    return s;
  }
  let u = 0;
  while (u === 0) u = randomUniform();
  const v = randomUniform();
  const r = Math.sqrt(-2 * Math.log(u));
  spare = r * Math.sin(2 * Math.PI * v);
  return r * Math.cos(2 * Math.PI * v);
}

/** A 32-bit seed drawn from the global stream (for seeding a child generator). */
export function randomSeed(): number {
  return Math.floor(randomUniform() * 4294967296) >>> 0;
}

/** An independent generator (same algorithm), for samplers that take their own seed. */
export class Generator {
  private s: number;
  constructor(seed: number = randomSeed()) {
    this.s = seed >>> 0;
  }
  manualSeed(seed: number): this {
    this.s = seed >>> 0;
    return this;
  }
  /** Uniform in [0, 1). */
  random(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  randint(n: number): number {
    return Math.floor(this.random() * n);
  }
  /** A random permutation of 0..n-1 (Fisher-Yates). */
  randperm(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
