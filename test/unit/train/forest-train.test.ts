import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomForestClassifier } from 'ml-random-forest';
import { afterAll, describe, expect, it } from 'vitest';
import { ForestClassifier, finalizeArtifact, loadClassifierArtifact, readArtifact, saveArtifact, type ClassifierArtifact, type ForestModel, type ForestNode } from '../../../src/classify/index.js';
import { trainForest } from '../../../src/train/index.js';
import { isPortraitError } from '../../../src/util/errors.js';
import { clusters } from '../classify/fixtures.js';

const DIM = 16;
const EMBEDDER = { id: 'fake-embedder@test', dim: DIM };
const train = clusters(3, 40, DIM, 0.35, 7, 1);
const test = clusters(3, 40, DIM, 0.35, 7, 2); // same centres, fresh points
const artifact = trainForest(train.X, train.y, { embedder: EMBEDDER, createdAt: '2025-01-01T00:00:00.000Z' });
const dir = mkdtempSync(join(tmpdir(), 'portrait-forest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function top(p: Record<string, number>): string {
  return Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];
}

/** Reference: walk one compact tree by hand. */
function walk(node: ForestNode, features: number[], e: Float32Array): number {
  let n = node;
  while (!('distribution' in n)) n = e[features[n.splitColumn]!]! < n.splitValue ? n.left : n.right;
  let best = 0;
  n.distribution.forEach((x, i) => {
    if (x > n.distribution[best]!) best = i;
  });
  return best;
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('random forest', () => {
  it('trains on separable clusters and predicts > 90% of fresh points right', () => {
    const clf = loadClassifierArtifact(artifact, { embedderId: EMBEDDER.id, dim: DIM });
    expect(clf.kind).toBe('rf');
    expect(clf.labels).toEqual(['class_a', 'class_b', 'class_c']);
    const probs = clf.predict(test.X);
    const right = probs.filter((p, i) => top(p) === test.y[i]).length;
    expect(right / test.y.length).toBeGreaterThan(0.9);
    // the held-out points are not training points
    const seen = new Set(train.X.map((x) => x.join()));
    expect(test.X.some((x) => seen.has(x.join()))).toBe(false);
  });

  it('records the artifact metadata and defaults', () => {
    expect(artifact).toMatchObject({
      format: 'portrait-classifier',
      formatVersion: 1,
      kind: 'rf',
      labels: ['class_a', 'class_b', 'class_c'],
      embedder: EMBEDDER,
      createdAt: '2025-01-01T00:00:00.000Z',
      training: { rows: 120 },
      hyperParameters: { nEstimators: 50, maxFeatures: 0.2, maxDepth: 12, seed: 42, featuresPerTree: 3, bins: 16, maxRows: 1500, rowsUsed: 120 },
    });
    expect(Object.keys(artifact.hyperParameters).sort()).toEqual(['bins', 'featuresPerTree', 'gainThreshold', 'library', 'maxDepth', 'maxFeatures', 'maxRows', 'minNumSamples', 'nEstimators', 'replacement', 'rowsUsed', 'seed', 'useSampleBagging']);
    expect(artifact.version).toMatch(/^[0-9a-f]{16}$/);
    expect((artifact.model as unknown as ForestModel).trees).toHaveLength(50);
  });

  it('probabilities are vote shares over ALL trees, tree 0 included, and sum to 1', () => {
    const clf = new ForestClassifier(artifact);
    const model = artifact.model as unknown as ForestModel;
    const sample = [...test.X.slice(0, 10), ...clusters(3, 5, DIM, 1.5, 7, 99).X];
    const votes = clf.votes(sample);
    const probs = clf.predict(sample);
    sample.forEach((e, i) => {
      const manual = [0, 0, 0];
      for (const t of model.trees) manual[walk(t.root, t.features, e)]! += 1;
      expect(votes[i]).toEqual(manual);
      expect(manual.reduce((a, b) => a + b, 0)).toBe(50);
      clf.labels.forEach((l, k) => expect(probs[i]![l]).toBe(manual[k]! / 50));
      expect(Object.values(probs[i]!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    });
  });

  it('documents the library pitfall: predictProbability does not count tree 0', () => {
    const X = [[0], [0.1], [0.2], [1], [1.1], [1.2]];
    const y = [0, 0, 0, 1, 1, 1];
    const rf = new RandomForestClassifier({ nEstimators: 4, maxFeatures: 1, seed: 3, useSampleBagging: false, noOOB: true });
    rf.train(X, y);
    // every tree says class 1 for x = 1.1, so the probability of class 1 must be 1
    expect(rf.predict([[1.1]])).toEqual([1]);
    expect(rf.predictProbability([[1.1]], 1)[0]).not.toBe(1);
  });

  it('training is deterministic: same data and settings give the same version, whatever createdAt', () => {
    const again = trainForest(train.X, train.y, { embedder: EMBEDDER, createdAt: '2030-06-01T00:00:00.000Z' });
    expect(again.version).toBe(artifact.version);
    expect(again.model).toEqual(artifact.model);
    const fromArrays = trainForest(
      train.X.map((x) => Array.from(x)),
      train.y,
      { embedder: EMBEDDER },
    );
    expect(fromArrays.version).toBe(artifact.version);
    expect(trainForest(train.X, train.y, { embedder: EMBEDDER, seed: 43 }).version).not.toBe(artifact.version);
    expect(trainForest(train.X, train.y, { embedder: { ...EMBEDDER, id: 'other' } }).version).not.toBe(artifact.version);
  });

  it('round-trips through saveArtifact / readArtifact / loadClassifierArtifact (file or directory)', () => {
    const file = saveArtifact(dir, artifact);
    expect(file).toBe(join(dir, 'classifier.json'));
    expect(readArtifact(file)).toEqual(artifact);
    expect(readArtifact(dir)).toEqual(artifact);
    const a = loadClassifierArtifact(file, { embedderId: EMBEDDER.id, dim: DIM });
    const b = new ForestClassifier(artifact);
    expect(a.version).toBe(artifact.version);
    expect(a.predict(test.X)).toEqual(b.predict(test.X));
  });

  it('refuses a dimension or embedder mismatch (CLASSIFIER_MISMATCH) with a clear message', () => {
    const e1 = caught(() => loadClassifierArtifact(artifact, { embedderId: EMBEDDER.id, dim: 512 }));
    expect(isPortraitError(e1, 'CLASSIFIER_MISMATCH')).toBe(true);
    expect(e1.message).toMatch(/trained on 16-dim embeddings of "fake-embedder@test", but the configured embedder is "fake-embedder@test" with 512 dimensions/);
    const e2 = caught(() => loadClassifierArtifact(artifact, { embedderId: 'BAAI/bge-small-zh-v1.5@q8/cls', dim: DIM }));
    expect(isPortraitError(e2, 'CLASSIFIER_MISMATCH')).toBe(true);
    const clf = new ForestClassifier(artifact);
    expect(
      isPortraitError(
        caught(() => clf.predict([new Float32Array(8)])),
        'CLASSIFIER_MISMATCH',
      ),
    ).toBe(true);
  });

  it('refuses malformed artifacts (CLASSIFIER_INVALID): not JSON, missing file, wrong shape, edited content, bad trees, unsupported kind', () => {
    const expectInvalid = (src: string | Record<string, unknown>, re: RegExp) => {
      const err = caught(() => loadClassifierArtifact(src, { embedderId: EMBEDDER.id, dim: DIM }));
      expect(isPortraitError(err, 'CLASSIFIER_INVALID'), err.message).toBe(true);
      expect(err.message).toMatch(re);
    };
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{"format":');
    expectInvalid(notJson, /not-json\.json is invalid: not JSON/);
    expectInvalid(join(dir, 'nope.json'), /nope\.json is invalid: cannot be read/);
    expectInvalid({ ...artifact, format: 'other' }, /format: format must be "portrait-classifier"/);
    expectInvalid({ ...artifact, formatVersion: 2 }, /unsupported formatVersion/);
    expectInvalid({ ...artifact, labels: ['a', 'a', 'b'] }, /labels must be unique/);
    const { embedder: _e, ...noEmbedder } = artifact;
    expectInvalid(noEmbedder, /embedder: /);
    // a hand-edited file no longer matches its version
    const edited = JSON.parse(readFileSync(saveArtifact(dir, artifact), 'utf8')) as ClassifierArtifact;
    edited.labels = ['class_a', 'class_c', 'class_b'];
    expectInvalid(edited, /content hash [0-9a-f]{16} does not match version/);
    // consistent hash but a broken model
    const rehash = (model: unknown) => finalizeArtifact({ ...withoutVersion(artifact), model: model as Record<string, unknown> });
    const m = structuredClone(artifact.model) as unknown as ForestModel;
    expectInvalid(rehash({ ...m, trees: [] }), /model\.trees/);
    const badColumn = structuredClone(m);
    badColumn.trees[3]!.root = { splitColumn: 99, splitValue: 0, left: { distribution: [1] }, right: { distribution: [0, 1] } };
    expectInvalid(rehash(badColumn), /trees\[3\]\.root\.splitColumn: expected an integer in \[0, 3\)/);
    const badFeature = structuredClone(m);
    badFeature.trees[0]!.features = [0, 1, 16];
    expectInvalid(rehash(badFeature), /features: index 16 is outside the 16-dim embedding/);
    const missingChild = structuredClone(m);
    (missingChild.trees[1] as { root: unknown }).root = { splitColumn: 0, splitValue: 0, left: { distribution: [1] } };
    expectInvalid(rehash(missingChild), /trees\[1\]\.root\.right: not an object/);
    const tooManyClasses = structuredClone(m);
    tooManyClasses.trees[2]!.root = { distribution: [0, 0, 0, 1] };
    expectInvalid(rehash(tooManyClasses), /distribution: expected 1-3 non-negative numbers/);
    expectInvalid(finalizeArtifact({ ...withoutVersion(artifact), kind: 'linear' }), /model: unknown member\(s\) library, treeOptions, trees/);
  });

  it('validates training input', () => {
    expect(() => trainForest(train.X, train.y.slice(1), { embedder: EMBEDDER })).toThrow(/rows but/);
    expect(() =>
      trainForest(
        train.X,
        train.y.map(() => 'same'),
        { embedder: EMBEDDER },
      ),
    ).toThrow(/2 distinct labels/);
    expect(() => trainForest(train.X, train.y, { embedder: { ...EMBEDDER, dim: 8 } })).toThrow(/16 dimensions; the embedder has 8/);
    expect(() =>
      trainForest(
        train.X,
        train.y.map((l, i) => (i === 0 ? '__proto__' : l)),
        { embedder: EMBEDDER },
      ),
    ).toThrow(/__proto__/);
    expect(() => trainForest(train.X, train.y, { embedder: EMBEDDER, nEstimators: 0 })).toThrow(/nEstimators/);
    expect(() => trainForest(train.X, train.y, { embedder: EMBEDDER, maxFeatures: 0.01 })).toThrow(/selects 0 of 16/);
    expect(() => trainForest(train.X, train.y, { embedder: EMBEDDER, bins: 1 })).toThrow(/bins must be 0/);
  });

  it('caps the training rows (stratified) and stays accurate with binned features, as with exact ones', () => {
    const capped = trainForest(train.X, train.y, { embedder: EMBEDDER, maxRows: 60, nEstimators: 10 });
    expect(capped.training.rows).toBe(60);
    expect(capped.hyperParameters.rowsUsed).toBe(60);
    const exact = trainForest(train.X, train.y, { embedder: EMBEDDER, bins: 0, nEstimators: 10 });
    const binned = trainForest(train.X, train.y, { embedder: EMBEDDER, bins: 8, nEstimators: 10 });
    expect(binned.version).not.toBe(exact.version);
    for (const a of [exact, binned]) {
      const probs = new ForestClassifier(a).predict(test.X);
      expect(probs.filter((p, i) => top(p) === test.y[i]).length / test.y.length).toBeGreaterThan(0.9);
    }
  });

  it('every split threshold of a binned forest is an observed quantile edge of its feature', () => {
    const a = trainForest(train.X, train.y, { embedder: EMBEDDER, bins: 8, nEstimators: 5 });
    const values = (f: number) => new Set(train.X.map((x) => x[f]!));
    for (const t of (a.model as unknown as ForestModel).trees) {
      const stack: ForestNode[] = [t.root];
      while (stack.length > 0) {
        const n = stack.pop()!;
        if ('distribution' in n) continue;
        expect(values(t.features[n.splitColumn]!).has(n.splitValue)).toBe(true);
        stack.push(n.left, n.right);
      }
    }
  });
});

function withoutVersion(a: ClassifierArtifact): Omit<ClassifierArtifact, 'version'> {
  const { version: _v, ...rest } = a;
  return rest;
}
