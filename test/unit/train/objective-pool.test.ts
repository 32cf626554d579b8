import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_ROWS, chunkCount, localRunner, objective, problem, standardiser } from '../../../src/train/linear-fit.js';
import { trainLinearWithReport } from '../../../src/train/linear-train.js';
import { CLAIMED, claimChunk, computeChunk, DONE, DONE_STATE, FREE, ObjectivePool, stateOf } from '../../../src/train/objective-pool.js';
import { clusters, rng } from '../classify/fixtures.js';

describe('claiming chunks', () => {
  it('hands out each free chunk of an evaluation once, never a chunk of another generation; a claimed one can be duplicated', () => {
    const states = new Int32Array(new SharedArrayBuffer(12));
    for (let i = 0; i < 3; i++) states[i] = stateOf(5, FREE);
    expect([claimChunk(states, 5, 3), claimChunk(states, 5, 3), claimChunk(states, 5, 3), claimChunk(states, 5, 3)]).toEqual([0, 1, 2, -1]);
    expect(Array.from(states)).toEqual([0, 1, 2].map(() => stateOf(5, CLAIMED)));
    // a worker still on generation 4 takes nothing of generation 5
    for (let i = 0; i < 3; i++) states[i] = stateOf(5, FREE);
    expect(claimChunk(states, 4, 3)).toBe(-1);
    expect(claimChunk(states, 5, 3)).toBe(0);
    // the caller duplicates the first chunk still claimed; a done one is not claimed
    expect(claimChunk(states, 5, 3, CLAIMED)).toBe(0);
    states[0] = stateOf(5, DONE_STATE);
    expect(claimChunk(states, 5, 3, CLAIMED)).toBe(-1);
  });

  it('of two threads computing the same chunk, only the first publishes it', () => {
    const data = clusters(2, 10, 4, 0.5, 2, 3);
    const p = problem(
      data.X,
      data.y.map((l) => (l === 'class_a' ? 0 : 1)),
      2,
      standardiser(data.X, 4),
      false,
    );
    const size = 2 * 4 + 2 + 1;
    const control = new Int32Array(new SharedArrayBuffer(32));
    const sp = { ...p, id: 1, theta: new Float64Array(new SharedArrayBuffer(8 * (size - 1))), out: new Float64Array(new SharedArrayBuffer(8 * size)), states: new Int32Array(new SharedArrayBuffer(4)) };
    sp.theta.fill(0.1);
    sp.states[0] = stateOf(7, CLAIMED);
    expect(computeChunk(control, 7, sp, 0, new Float64Array(size))).toBe(true);
    expect(sp.states[0]).toBe(stateOf(7, DONE_STATE));
    expect(control[DONE]).toBe(1);
    const late = new Float64Array(size);
    expect(computeChunk(control, 7, sp, 0, late)).toBe(false);
    expect(control[DONE]).toBe(1);
    expect(Array.from(sp.out)).toEqual(Array.from(late)); // the same terms, written once
  });
});

describe('the objective on worker threads', () => {
  const DIM = 16;
  const K = 5;
  const data = clusters(K, 300, DIM, 1.4, 41, 3); // 1,500 rows: 3 chunks
  const labels = [...new Set(data.y)].sort();
  const yi = data.y.map((l) => labels.indexOf(l));
  const p = problem(data.X, yi, K, standardiser(data.X, DIM), true);
  let pool: ObjectivePool;

  beforeAll(async () => {
    pool = await ObjectivePool.open(3);
  }, 30_000);
  afterAll(async () => {
    await pool.close();
  });

  it('gives exactly what this thread alone gives, evaluation after evaluation', () => {
    expect(chunkCount(p.n)).toBe(Math.ceil(1500 / CHUNK_ROWS));
    expect(pool.threads).toBe(3);
    const alone = objective(p, 0.05, localRunner());
    const shared = objective(p, 0.05, pool);
    const r = rng(3);
    for (let e = 0; e < 20; e++) {
      const theta = Float64Array.from({ length: K * DIM + K }, () => r() - 0.5);
      const g1 = new Float64Array(theta.length);
      const g2 = new Float64Array(theta.length);
      expect(shared(theta, g2)).toBe(alone(theta, g1));
      expect(Array.from(g2)).toEqual(Array.from(g1));
    }
  });

  it('a fit on the pool is the fit on this thread: same report, same version', () => {
    const opts = { embedder: { id: 'fake', dim: DIM }, createdAt: '2025-01-01T00:00:00.000Z' };
    const alone = trainLinearWithReport(data.X, data.y, opts);
    const shared = trainLinearWithReport(data.X, data.y, { ...opts, runner: pool });
    expect(shared.artifact.version).toBe(alone.artifact.version);
    expect(shared.report).toEqual(alone.report);
  }, 60_000);
});
