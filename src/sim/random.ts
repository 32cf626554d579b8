/**
 * A small seeded pseudo-random generator for the simulator (no Math.random anywhere in sim/).
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, public domain),
 * its state filled from the seed with splitmix32. Same seed, same sequence, on every platform.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A generator for `seed` (any finite number; integers above 2^32 keep their high bits too). */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const int = Math.trunc(seed);
  const high = Math.floor(Math.abs(int) / 2 ** 32) >>> 0;
  const init = splitmix32((int >>> 0) ^ Math.imul(high, 0x27d4eb2d) ^ (int < 0 ? 0x5bd1e995 : 0));
  let a = init();
  let b = init();
  let c = init();
  let d = init();

  function next32(): number {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  }
  // Discard the first outputs, as sfc32's author recommends.
  for (let i = 0; i < 12; i++) next32();

  const rng: Rng = {
    next: () => next32() / 2 ** 32,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`bad integer range [${min}, ${max}]`);
      return min + Math.floor(rng.next() * (max - min + 1));
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('cannot pick from an empty array');
      return items[Math.floor(rng.next() * items.length)] as (typeof items)[number];
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const tmp = items[i] as (typeof items)[number];
        items[i] = items[j] as (typeof items)[number];
        items[j] = tmp;
      }
      return items;
    },
  };
  return rng;
}
