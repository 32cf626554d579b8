/**
 * A simulated population for the similar-users phase (bench/lib/similar.ts): user `u<i>`'s unit
 * centroid, deterministic in (i, seed), clustered around 64 topics like real centroids (the shape
 * of src/similar/bench.ts), and a profile event of the real shape (buildProfileEvent) around it.
 * Parent and child processes regenerate the same users without passing vectors around.
 */
import { buildProfileEvent, serializeProfileEvent } from '../../src/pipeline/profile-event.js';
import { mulberry32 } from '../../src/util/random.js';

export const TOPICS = 64;

export class Population {
  private readonly topics: Float32Array[];

  constructor(
    readonly dim = 512,
    readonly seed = 7,
  ) {
    const r = mulberry32(seed);
    this.topics = Array.from({ length: TOPICS }, () => Float32Array.from({ length: dim }, () => gauss(r)));
  }

  userId(i: number): string {
    return `u${i}`;
  }

  /** User i's unit centroid: its topic plus noise (cosine to the topic ≈ 0.74). */
  vector(i: number, out = new Float32Array(this.dim)): Float32Array {
    const r = mulberry32((this.seed * 2654435761 + i * 40503) >>> 0);
    const t = this.topics[i % TOPICS]!;
    let n2 = 0;
    for (let j = 0; j < this.dim; j++) {
      const x = t[j]! + 0.9 * gauss(r);
      out[j] = x;
      n2 += x * x;
    }
    const inv = 1 / Math.sqrt(n2);
    for (let j = 0; j < this.dim; j++) out[j]! *= inv;
    return out;
  }

  /** User i's profile event, as the processor serialises it (interests, terms, evidence included). */
  profileEventJson(i: number, version = 1, now = Date.parse('2026-06-01T00:00:00Z')): string {
    const labels = ['sports', 'technology', 'food', 'travel', 'music'];
    const event = buildProfileEvent({
      userId: this.userId(i),
      version,
      updatedAt: now,
      derived: {
        count: 12,
        firstSeen: now - 86_400_000,
        lastSeen: now,
        interests: labels.map((label, k) => ({ label, score: 0.5 / (k + 1), share: 0.3 / (k + 1), confidence: 0.8 })),
        centroid: Array.from(this.vector(i)),
        topTerms: Array.from({ length: 10 }, (_, k) => ({ term: `term${k}`, score: 1 / (k + 1) })),
        evidence: Object.fromEntries(labels.map((l, k) => [l, [`c-${i}-${k}`, `c-${i}-${k + 5}`]])),
      },
      embedder: { id: 'bench/simulated', dim: this.dim },
      classifier: { kind: 'zero-shot', version: 'bench' },
      causedBy: [`e-${i}-${version}`],
      namespace: 'bench',
    });
    return serializeProfileEvent(event);
  }
}

/** A cheap near-normal draw (sum of four uniforms, variance 1). */
function gauss(r: () => number): number {
  return (r() + r() + r() + r() - 2) * Math.sqrt(3);
}
