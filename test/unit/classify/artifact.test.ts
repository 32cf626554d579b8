import { describe, expect, it } from 'vitest';
import { artifactVersion, canonicalJson, contentHash, finalizeArtifact, parseArtifact, type ArtifactDraft } from '../../../src/classify/index.js';
import { isPortraitError } from '../../../src/util/errors.js';

const draft: ArtifactDraft = {
  format: 'portrait-classifier',
  formatVersion: 1,
  kind: 'rf',
  labels: ['a', 'b'],
  embedder: { id: 'e', dim: 2 },
  hyperParameters: { nEstimators: 1 },
  createdAt: '2025-01-01T00:00:00.000Z',
  training: { rows: 2, fingerprint: 'abc' },
  model: { x: 1 },
};

describe('canonical JSON and content versions', () => {
  it('is independent of key order and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: undefined, b: null }] })).toBe('{"a":[1,{"b":null,"d":2}],"b":1}');
    expect(contentHash({ x: 1, y: 2 })).toBe(contentHash({ y: 2, x: 1 }));
    expect(canonicalJson(new Float32Array([0.5, 1]))).toBe('[0.5,1]');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(RangeError);
  });

  it('the artifact version ignores createdAt and covers everything else', () => {
    const v = artifactVersion(draft);
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(artifactVersion({ ...draft, createdAt: '2030-01-01T00:00:00.000Z' })).toBe(v);
    expect(artifactVersion({ ...draft, metrics: { accuracy: 0.9 } })).not.toBe(v);
    expect(artifactVersion({ ...draft, model: { x: 2 } })).not.toBe(v);
    expect(artifactVersion({ ...draft, hyperParameters: { nEstimators: 2 } })).not.toBe(v);
    const a = finalizeArtifact(draft);
    expect(a.version).toBe(v);
    expect(artifactVersion(a)).toBe(v);
    expect(parseArtifact(JSON.parse(JSON.stringify(a)))).toEqual(a);
  });

  it('parseArtifact names the problem', () => {
    try {
      parseArtifact({ ...finalizeArtifact(draft), createdAt: 'yesterday', extra: 1 }, 'x.json');
      expect.unreachable();
    } catch (err) {
      expect(isPortraitError(err, 'CLASSIFIER_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/^classifier artifact x\.json is invalid: .*createdAt: /);
      expect((err as Error).message).toMatch(/Unrecognized key: "extra"/);
    }
  });
});
