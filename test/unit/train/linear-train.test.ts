import { describe, expect, it } from 'vitest';
import { finalizeArtifact, loadClassifierArtifact, type ClassifierArtifact } from '../../../src/classify/index.js';
import { minimizeLbfgs } from '../../../src/train/lbfgs.js';
import { LinearClassifier, parseLinearModel, sumByOutput, type LinearModel } from '../../../src/classify/linear.js';
import { heldOutConfusion, trainLinear, trainLinearWithReport } from '../../../src/train/linear-train.js';
import { fitTemperature, objective, problem, rebase, standardiser } from '../../../src/train/linear-fit.js';
import { classificationReport, topLabel } from '../../../src/train/metrics.js';
import { isPortraitError } from '../../../src/util/errors.js';
import { clusters, rng } from '../classify/fixtures.js';

const DIM = 12;
const EMBEDDER = { id: 'fake@test', dim: DIM };
const train = clusters(3, 30, DIM, 0.6, 11, 1);
const test = clusters(3, 30, DIM, 0.6, 11, 2);
const CREATED = '2025-01-01T00:00:00.000Z';

describe('L-BFGS', () => {
  it('finds the minimum of a badly scaled quadratic and of the Rosenbrock function', () => {
    const scale = [1, 10, 100, 1000];
    const quad = minimizeLbfgs((x, g) => {
      let f = 0;
      x.forEach((v, i) => {
        f += 0.5 * scale[i]! * (v - i) ** 2;
        g[i] = scale[i]! * (v - i);
      });
      return f;
    }, new Float64Array(4));
    quad.x.forEach((v, i) => expect(v).toBeCloseTo(i, 5));
    const rosen = minimizeLbfgs(
      (x, g) => {
        const [a, b] = [x[0]!, x[1]!];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { maxIterations: 1000, gradientTolerance: 1e-9, relativeTolerance: 0 },
    );
    expect(rosen.x[0]).toBeCloseTo(1, 4);
    expect(rosen.x[1]).toBeCloseTo(1, 4);
    expect(rosen.reason).toBe('gradient');
  });

  it('reports every accepted step to onIteration', () => {
    const seen: number[] = [];
    const r = minimizeLbfgs(
      (x, g) => {
        g[0] = 2 * (x[0]! - 3);
        g[1] = 20 * (x[1]! + 1);
        return (x[0]! - 3) ** 2 + 10 * (x[1]! + 1) ** 2;
      },
      new Float64Array(2),
      { onIteration: (i) => seen.push(i) },
    );
    expect(seen).toEqual(Array.from({ length: r.iterations }, (_, i) => i + 1));
  });
});

describe('softmax-regression objective', () => {
  it('its gradient matches finite differences (class weights and L2 included)', () => {
    const r = rng(5);
    const rows = Array.from({ length: 20 }, () => Array.from({ length: 4 }, () => r() * 2 - 1));
    const y = rows.map((_, i) => i % 3);
    y[0] = 0;
    y[1] = 0;
    const p = problem(rows, y, 3, standardiser(rows, 4), true);
    const f = objective(p, 0.3);
    const theta = Float64Array.from({ length: 3 * 4 + 3 }, () => r() - 0.5);
    const g = new Float64Array(theta.length);
    f(theta, g);
    const tmp = new Float64Array(theta.length);
    for (let q = 0; q < theta.length; q++) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[q] = plus[q]! + 1e-6;
      minus[q] = minus[q]! - 1e-6;
      const numeric = (f(plus, tmp) - f(minus, tmp)) / 2e-6;
      expect(g[q]).toBeCloseTo(numeric, 6);
    }
  });

  it('the blocked kernel gives what a row-at-a-time loop gives, for every length of the last block', () => {
    const r = rng(17);
    const d = 5;
    const k = 4;
    for (let n = 1; n <= 17; n++) {
      const rows = Array.from({ length: n }, () => Array.from({ length: d }, () => r() * 2 - 1));
      const y = rows.map((_, i) => (i * 7) % k);
      const p = problem(rows, y, k, standardiser(rows, d), true);
      const theta = Float64Array.from({ length: k * d + k }, () => r() - 0.5);
      const g = new Float64Array(theta.length);
      const value = objective(p, 0.2)(theta, g);
      // the plain definition
      const ref = new Float64Array(theta.length);
      let total = 0;
      for (let i = 0; i < n; i++) total += p.w[i]!;
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const z = Array.from({ length: k }, (_, c) => theta[k * d + c]! + Array.from({ length: d }, (_, j) => theta[c * d + j]! * p.X[i * d + j]!).reduce((a, b) => a + b, 0));
        const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
        loss += (p.w[i]! / total) * (lse - z[p.y[i]!]!);
        for (let c = 0; c < k; c++) {
          const gc = (p.w[i]! / total) * (Math.exp(z[c]! - lse) - (c === p.y[i] ? 1 : 0));
          for (let j = 0; j < d; j++) ref[c * d + j]! += gc * p.X[i * d + j]!;
          ref[k * d + c]! += gc;
        }
      }
      for (let q = 0; q < k * d; q++) {
        loss += 0.1 * theta[q]! ** 2;
        ref[q]! += 0.2 * theta[q]!;
      }
      expect(value).toBeCloseTo(loss, 12);
      g.forEach((v, q) => expect(v).toBeCloseTo(ref[q]!, 12));
    }
  });

  it('rebase: weights fitted under one standardisation give the same logits under another', () => {
    const r = rng(23);
    const d = 6;
    const k = 3;
    const a = Array.from({ length: 30 }, () => Array.from({ length: d }, () => r() * 4 - 1));
    const b = [...a.slice(0, 20), ...Array.from({ length: 15 }, () => Array.from({ length: d }, () => r() * 2))];
    const sa = standardiser(a, d);
    const sb = standardiser(b, d);
    const theta = Float64Array.from({ length: k * d + k }, () => r() - 0.5);
    const moved = rebase(theta, k, sa, sb);
    const x = Array.from({ length: d }, () => r());
    const logit = (t: Float64Array, s: typeof sa, c: number) => t[k * d + c]! + x.reduce((acc, v, j) => acc + (t[c * d + j]! * (v - s.mean[j]!)) / s.scale[j]!, 0);
    for (let c = 0; c < k; c++) expect(logit(moved, sb, c)).toBeCloseTo(logit(theta, sa, c), 10);
  });

  it('fitTemperature recovers the temperature that generated the labels', () => {
    const r = rng(9);
    const z: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const zi = [r() * 6 - 3, r() * 6 - 3, r() * 6 - 3];
      const e = zi.map((v) => Math.exp(v / 2.5));
      const s = e.reduce((a, b) => a + b, 0);
      let u = r() * s;
      let c = 0;
      while (u > e[c]! && c < 2) u -= e[c++]!;
      z.push(zi);
      y.push(c);
    }
    expect(fitTemperature(z, y)).toBeCloseTo(2.5, 0);
  });
});

describe('linear head', () => {
  const { artifact, report } = trainLinearWithReport(train.X, train.y, { embedder: EMBEDDER, createdAt: CREATED });

  it('learns separable clusters: > 95% of fresh points right, probabilities sum to 1', () => {
    const clf = loadClassifierArtifact(artifact, { embedderId: EMBEDDER.id, dim: DIM });
    expect(clf.kind).toBe('linear');
    expect(clf.labels).toEqual(['class_a', 'class_b', 'class_c']);
    const probs = clf.predict(test.X);
    for (const p of probs) expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const right = probs.filter((p, i) => topLabel(p) === test.y[i]).length;
    expect(right / test.y.length).toBeGreaterThan(0.95);
  });

  it('records how it was fitted: the none path on the validation slice (stopped one step below its best), the weighting decision, the chosen pair and temperature', () => {
    const grid = [3, 1, 0.3, 0.1, 0.03, 0.01, 0.003];
    const none = report.path!.filter((p) => p.classWeight === 'none');
    // the 'none' path comes first, strongest l2 first, and stops at the end of the grid or one step below its best
    expect(report.path!.slice(0, none.length)).toEqual(none);
    expect(none.map((p) => p.l2)).toEqual(grid.slice(0, none.length));
    const noneBest = Math.max(...none.map((p) => p.macroF1));
    if (none.length < grid.length) expect(none.at(-1)!.macroF1).toBeLessThan(noneBest);
    // 30 equal classes: both weightings are the same problem, nothing else was fitted
    expect(report.weighting).toMatch(/same problem/);
    expect(report.path).toHaveLength(none.length);
    const chosen = report.path!.find((p) => p.l2 === report.l2 && p.classWeight === report.classWeight)!;
    expect(chosen.macroF1).toBe(Math.max(...report.path!.map((p) => p.macroF1)));
    expect(report.temperature).toBeGreaterThan(0);
    expect(report.evaluations).toBeGreaterThanOrEqual(report.path!.reduce((s, p) => s + p.iterations, 0) + report.iterations);
    expect(artifact.hyperParameters).toMatchObject({ l2: 'auto', l2Chosen: report.l2, classWeight: 'auto', classWeightChosen: report.classWeight, optimizer: 'lbfgs', pathIterations: 30, pathPatience: 1 });
    const m = artifact.model as unknown as LinearModel;
    expect(m.weights).toHaveLength(3);
    expect(m.weights[0]).toHaveLength(DIM);
    expect(m.temperature).toBe(report.temperature);
  });

  it("classWeight 'auto' on uneven labels: 'balanced' is probed at the none path's best l2, and its own path runs only if the probe wins", () => {
    const big = clusters(3, 80, DIM, 1.2, 13, 6);
    const keep = big.y.map((l, i) => l !== 'class_c' || i % 8 === 2);
    const X = big.X.filter((_, i) => keep[i]);
    const y = big.y.filter((_, i) => keep[i]);
    const { report: r } = trainLinearWithReport(X, y, { embedder: EMBEDDER, createdAt: CREATED });
    const none = r.path!.filter((p) => p.classWeight === 'none');
    const noneBest = none.reduce((b, p) => (p.macroF1 > b.macroF1 + 1e-9 ? p : b));
    const probe = r.path![none.length]!;
    expect(probe).toMatchObject({ classWeight: 'balanced', role: 'probe', l2: noneBest.l2 });
    const balancedPath = r.path!.slice(none.length + 1);
    if (probe.macroF1 > noneBest.macroF1 + 1e-9) {
      expect(r.weighting).toBeUndefined();
      expect(balancedPath[0]).toMatchObject({ classWeight: 'balanced', role: 'path', l2: 3 });
      expect(r.classWeight).toBe('balanced');
    } else {
      expect(r.weighting).toMatch(/'balanced' probed at l2/);
      expect(balancedPath).toEqual([]);
      expect(r.classWeight).toBe('none');
    }
  });

  it('predict is softmax((W·x + b) / T) with the standardisation folded into W and b', () => {
    const clf = new LinearClassifier(artifact);
    const m = artifact.model as unknown as LinearModel;
    const x = test.X[5]!;
    const z = m.weights.map((w, c) => w.reduce((s, v, j) => s + v * x[j]!, m.bias[c]!));
    const e = z.map((v) => Math.exp(v / m.temperature));
    const s = e.reduce((a, b) => a + b, 0);
    const p = clf.predict([x])[0]!;
    clf.labels.forEach((l, c) => expect(p[l]).toBeCloseTo(e[c]! / s, 12));
  });

  it('is deterministic for a seed; the seed (validation slice) and the data change the version', () => {
    const again = trainLinear(train.X, train.y, { embedder: EMBEDDER, createdAt: '2031-01-01T00:00:00.000Z' });
    expect(again.version).toBe(artifact.version);
    expect(again.model).toEqual(artifact.model);
    expect(trainLinear(train.X.slice(1), train.y.slice(1), { embedder: EMBEDDER }).version).not.toBe(artifact.version);
    const fixed = trainLinear(train.X, train.y, { embedder: EMBEDDER, l2: 0.1, calibrate: false });
    expect((fixed.model as unknown as LinearModel).temperature).toBe(1);
    expect(fixed.hyperParameters.l2Chosen).toBe(0.1);
  });

  it("'balanced' class weights raise the recall of a rare class", () => {
    // overlapping classes, 120 rows of one and 12 of the other
    const big = clusters(2, 120, DIM, 1.6, 3, 4);
    const X = big.X.filter((_, i) => big.y[i] === 'class_a' || i % 20 === 1);
    const y = big.y.filter((l, i) => l === 'class_a' || i % 20 === 1);
    expect(y.filter((l) => l === 'class_b')).toHaveLength(12);
    const fresh = clusters(2, 200, DIM, 1.6, 3, 5);
    const recallB = (a: ClassifierArtifact) => {
      const pred = new LinearClassifier(a).predict(fresh.X).map(topLabel);
      return classificationReport(fresh.y, pred).perClass.find((c) => c.label === 'class_b')!.recall;
    };
    const opts = { embedder: EMBEDDER, l2: 1, calibrate: false } as const;
    expect(recallB(trainLinear(X, y, { ...opts, classWeight: 'balanced' }))).toBeGreaterThan(recallB(trainLinear(X, y, { ...opts, classWeight: 'none' })) + 0.1);
  });

  it('fine labels: trained per fine class, probabilities summed into their labels', () => {
    // four clusters, two fine classes under each of two labels
    const c4 = clusters(4, 25, DIM, 0.5, 21, 1);
    const coarse = c4.y.map((l) => (l === 'class_a' || l === 'class_c' ? 'even' : 'odd'));
    const a = trainLinear(c4.X, coarse, { embedder: EMBEDDER, fine: c4.y, l2: 0.1 });
    const m = a.model as unknown as LinearModel;
    expect(a.labels).toEqual(['even', 'odd']);
    expect(m.fineLabels).toEqual(['class_a', 'class_b', 'class_c', 'class_d']);
    expect(m.outputs).toEqual([0, 1, 0, 1]);
    const fresh = clusters(4, 25, DIM, 0.5, 21, 2);
    const p = new LinearClassifier(a).predict(fresh.X);
    const right = p.filter((q, i) => topLabel(q) === (fresh.y[i] === 'class_a' || fresh.y[i] === 'class_c' ? 'even' : 'odd')).length;
    expect(right / p.length).toBeGreaterThan(0.95);
    expect(sumByOutput([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], 2)).toEqual([0.1 + 0.3, 0.2 + 0.4]);
    expect(() => trainLinear(c4.X, coarse, { embedder: EMBEDDER, fine: c4.y.map(() => 'same') })).toThrow(/is under both/);
  });

  it('carries its confusion on the validation slice: one row per true label, each a probability vector, mostly on the diagonal here', () => {
    const c = artifact.confusion!;
    expect(c.source).toMatch(/validation slice/);
    expect(c.rows).toHaveLength(3);
    expect(c.rows.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    c.matrix.forEach((row, t) => {
      expect(row).toHaveLength(3);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(row[t]).toBeGreaterThan(0.8); // separable clusters
    });
    expect(new LinearClassifier(artifact).confusion).toEqual({ labels: artifact.labels, confusion: c.matrix });
  });

  it('heldOutConfusion: mean probabilities per true label, with one perfect pseudo-row (a label never held out is the identity)', () => {
    const c = heldOutConfusion(
      [
        [0.5, 0.5, 0],
        [0.7, 0.3, 0],
        [0, 0, 1],
      ],
      [0, 0, 1],
      3,
    );
    expect(c.rows).toEqual([2, 1, 0]);
    expect(c.matrix[0]).toEqual([(1 + 0.5 + 0.7) / 3, 0.8 / 3, 0].map((v) => Math.round(v * 1e6) / 1e6));
    expect(c.matrix[1]).toEqual([0, 0.5, 0.5]);
    expect(c.matrix[2]).toEqual([0, 0, 1]);
  });

  it('refuses an artifact whose confusion does not fit its labels', () => {
    const { version: _v, ...draft } = artifact;
    const bad = (confusion: ClassifierArtifact['confusion']) => () => loadClassifierArtifact(finalizeArtifact({ ...draft, confusion }), { embedderId: EMBEDDER.id, dim: DIM });
    expect(
      bad({
        source: 'x',
        rows: [1, 1],
        matrix: [
          [1, 0],
          [0, 1],
        ],
      }),
    ).toThrow(/confusion: expected 3 rows/);
    expect(
      bad({
        source: 'x',
        rows: [1, 1, 1],
        matrix: [
          [1, 0, 0],
          [0, 1],
          [0, 0, 1],
        ],
      }),
    ).toThrow(/confusion.matrix\[1\]: expected 3 values/);
    expect(
      bad({
        source: 'x',
        rows: [1, 1, 1],
        matrix: [
          [0.5, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      }),
    ).toThrow(/sums to 0.5/);
    expect(bad(undefined)).not.toThrow();
  });

  it('refuses malformed linear models and mismatched embeddings', () => {
    const m = artifact.model as unknown as LinearModel;
    expect(() => parseLinearModel({ ...m, weights: m.weights.slice(1) }, artifact.labels, DIM)).toThrow(/3 rows/);
    expect(() => parseLinearModel({ ...m, bias: [0, 0, Number.NaN] }, artifact.labels, DIM)).toThrow(/bias/);
    expect(() => parseLinearModel({ ...m, temperature: 0 }, artifact.labels, DIM)).toThrow(/temperature/);
    expect(() => parseLinearModel({ ...m, extra: 1 }, artifact.labels, DIM)).toThrow(/unknown member/);
    expect(() => parseLinearModel({ ...m, outputs: [0, 0, 0] }, artifact.labels, DIM)).toThrow(/go together/);
    const { version: _v, ...draft } = artifact;
    let err: unknown;
    try {
      loadClassifierArtifact(finalizeArtifact({ ...draft, model: { ...m, weights: [[1]] } as unknown as Record<string, unknown> }), { embedderId: EMBEDDER.id, dim: DIM });
    } catch (e) {
      err = e;
    }
    expect(isPortraitError(err, 'CLASSIFIER_INVALID')).toBe(true);
    expect(() => new LinearClassifier(artifact).predict([new Float32Array(3)])).toThrow(/expects 12-dim embeddings/);
  });
});
