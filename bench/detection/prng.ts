// A seeded random stream (mulberry32) and the few distributions the simulator needs. Every
// generator gets its own stream derived from the run's seed and its name, so adding a scenario
// does not change the traffic of the others.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Exponential with this mean (inter-arrival times). */
  exp(mean: number): number;
  /** Log-normal with this median and spread (sigma of the log): human think times. */
  logNormal(median: number, sigma: number): number;
  /** A new independent stream named `name` (same seed + name → same stream). */
  fork(name: string): Rng;
}

/**
 * @example
 * const rng = createRng(42);
 * rng.int(1, 6); // the same number on every run
 */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = (): number => {
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    exp: (mean) => -Math.log(1 - next()) * mean,
    logNormal: (median, sigma) => median * Math.exp(sigma * gauss()),
    fork: (name) => createRng(hash(name) ^ seed),
  };
}

/** FNV-1a, 32 bits. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A short hex digest standing for a secret: logs never hold passwords or tokens, only keyed hashes. */
export function secretHash(text: string): string {
  return 'hmac:' + hash(text).toString(16).padStart(8, '0') + hash(text + '#').toString(16).padStart(8, '0');
}
