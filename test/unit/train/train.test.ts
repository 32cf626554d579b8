import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTO_FOREST_MAX_ROWS, crossValidate, crossValidateAll, THREADED_MIN_ROWS, trainClassifier, type TrainOptions } from '../../../src/train/train.js';
import { objectiveThreads } from '../../../src/train/objective-pool.js';
import { clusters } from '../classify/fixtures.js';

const DIM = 8;
const data = clusters(3, 20, DIM, 0.8, 31, 1);
const base: TrainOptions = { kind: 'auto', embedder: { id: 'fake', dim: DIM }, seed: 3, forest: { nEstimators: 5 }, createdAt: '2025-01-01T00:00:00.000Z' };

afterEach(() => {
  delete process.env.PORTRAIT_CV_THREADS;
  delete process.env.PORTRAIT_TRAIN_THREADS;
});

describe('training procedures', () => {
  it('cross-validation on worker threads gives exactly the serial results', async () => {
    process.env.PORTRAIT_CV_THREADS = '2';
    const messages: string[] = [];
    const parallel = await crossValidateAll(['linear', 'rf'], data.X, data.y, 3, { ...base, onProgress: (m) => messages.push(m) });
    expect(messages[0]).toBe('cross-validating rf and linear: 6 folds on 2 threads');
    expect(messages.some((m) => m.includes('failed'))).toBe(false);
    expect(messages.filter((m) => m.startsWith('cross-validated '))).toHaveLength(6);
    for (const kind of ['linear', 'rf'] as const) {
      const serial = crossValidate(kind, data.X, data.y, 3, base);
      expect(parallel[kind]!.predictions).toEqual(serial.predictions);
      expect(parallel[kind]!.folds.map((f) => [f.rows, f.macroF1])).toEqual(serial.folds.map((f) => [f.rows, f.macroF1]));
      expect(serial.folds.map((f) => f.rows).reduce((a, b) => a + b, 0)).toBe(60);
    }
  }, 60_000);

  it("'auto' keeps the kind with the better cross-validated macro-F1 and records why", async () => {
    process.env.PORTRAIT_CV_THREADS = '1';
    const r = await trainClassifier(data.X, data.y, base);
    const sel = r.artifact.selection as { winner: string; reason: string; candidates: Record<string, { macroF1: { mean: number } }> };
    const lin = r.cv!.linear.macroF1.mean;
    const rf = r.cv!.rf.macroF1.mean;
    expect(sel.winner).toBe(lin >= rf - 0.005 ? 'linear' : 'rf');
    expect(r.artifact.kind).toBe(sel.winner);
    expect(sel.candidates.linear!.macroF1.mean).toBe(lin);
    expect(sel.reason).toMatch(/macro-F1|tie/);
    // the selection is part of the content: the same run gives the same version
    expect((await trainClassifier(data.X, data.y, base)).artifact.version).toBe(r.artifact.version);
  }, 60_000);

  it(`'auto' above ${AUTO_FOREST_MAX_ROWS} training rows: the linear head alone, no cross-validation, and the selection says so`, async () => {
    const big = clusters(3, 40, DIM, 0.8, 31, 2);
    expect(big.X.length).toBeGreaterThan(AUTO_FOREST_MAX_ROWS);
    const messages: string[] = [];
    const phases: string[] = [];
    const progress = (phase: string, total: number) => {
      phases.push(phase);
      let last = 0;
      return {
        update: (done: number) => {
          expect(done).toBeGreaterThanOrEqual(last);
          expect(done).toBeLessThanOrEqual(total);
          last = done;
        },
        stop: () => phases.push(`${phase} done`),
      };
    };
    const r = await trainClassifier(big.X, big.y, { ...base, onProgress: (m) => messages.push(m), progress });
    expect(r.cv).toBeUndefined();
    expect(r.artifact.kind).toBe('linear');
    expect(phases).toEqual(['path', 'path done', 'calibrate', 'calibrate done', 'refit', 'refit done']);
    expect(messages.some((m) => m.startsWith('cross-validat'))).toBe(false);
    const sel = r.artifact.selection as { winner: string; reason: string; method: string; candidates: Record<string, { validation: { l2: number; classWeight: string; macroF1: number } }> };
    expect(sel.winner).toBe('linear');
    expect(Object.keys(sel.candidates)).toEqual(['linear']);
    expect(sel.candidates.linear!.validation).toMatchObject({ l2: r.linear!.l2, classWeight: r.linear!.classWeight });
    expect(sel.candidates.linear!.validation.macroF1).toBeGreaterThan(0.9);
    expect(sel.reason).toMatch(new RegExp(`at most ${AUTO_FOREST_MAX_ROWS} training rows \\(here ${big.X.length}\\)`));
    // deterministic: the same run, the same version
    expect((await trainClassifier(big.X, big.y, base)).artifact.version).toBe(r.artifact.version);
  }, 60_000);

  it("'auto' on few rows counts its cross-validation folds, then the winner's fit phases", async () => {
    process.env.PORTRAIT_CV_THREADS = '1';
    const phases: string[] = [];
    const progress = (phase: string) => {
      phases.push(phase);
      return { update: () => {}, stop: () => {} };
    };
    const r = await trainClassifier(data.X, data.y, { ...base, progress });
    expect(phases[0]).toBe('cross-validation');
    expect(phases.slice(1)).toEqual(r.artifact.kind === 'linear' ? ['path', 'calibrate', 'refit'] : []);
  }, 60_000);

  it('PORTRAIT_TRAIN_THREADS puts the linear head’s objective on worker threads: the same artifact', async () => {
    expect(objectiveThreads()).toBe(1);
    const many = clusters(3, Math.ceil(THREADED_MIN_ROWS / 3), DIM, 1.2, 31, 4);
    const linear = { ...base, kind: 'linear' as const };
    const one = await trainClassifier(many.X, many.y, linear);
    process.env.PORTRAIT_TRAIN_THREADS = '2';
    expect(objectiveThreads()).toBe(Math.min(2, availableParallelism()));
    const messages: string[] = [];
    const two = await trainClassifier(many.X, many.y, { ...linear, onProgress: (m) => messages.push(m) });
    expect(two.artifact.version).toBe(one.artifact.version);
    if (availableParallelism() >= 2) expect(messages).toContain('fitting the linear head on 2 threads');
  }, 60_000);
});
