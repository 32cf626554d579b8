/**
 * mulberry32: a tiny seeded generator of floats in [0, 1) (32-bit state), for test data, benches and
 * synthetic sets where a fixed seed must give the same numbers everywhere. The simulator uses the
 * stronger sfc32 of src/sim/random.ts.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
