/**
 * Load a trained classifier artifact for a given embedder, refusing one that was trained on another
 * embedder's vectors (CLASSIFIER_MISMATCH) or that is malformed (CLASSIFIER_INVALID).
 */
import { PortraitError, isPortraitError } from '../util/errors.js';
import { parseArtifact, readArtifact, type ClassifierArtifact } from './artifact.js';
import { ForestClassifier } from './forest.js';
import { LinearClassifier } from './linear.js';
import type { Classifier } from './types.js';

export interface ExpectedEmbedder {
  embedderId: string;
  dim: number;
}

/**
 * `source` is a path (file, or directory holding classifier.json) or an already parsed artifact
 * object. The content version is verified, then the embedder, then the kind-specific model.
 */
export function loadClassifierArtifact(source: string | ClassifierArtifact | Record<string, unknown>, expected: ExpectedEmbedder): Classifier {
  const name = typeof source === 'string' ? source : 'object';
  const artifact = typeof source === 'string' ? readArtifact(source) : parseArtifact(source, name);
  checkEmbedder(artifact, expected, name);
  return classifierFromArtifact(artifact, name);
}

/** Throw CLASSIFIER_MISMATCH when the artifact was trained for another embedder or dimension. */
export function checkEmbedder(artifact: Pick<ClassifierArtifact, 'embedder' | 'version'>, expected: ExpectedEmbedder, name = 'artifact'): void {
  const { id, dim } = artifact.embedder;
  if (dim !== expected.dim || id !== expected.embedderId) {
    throw new PortraitError(
      'CLASSIFIER_MISMATCH',
      `classifier artifact ${name} (version ${artifact.version}) was trained on ${dim}-dim embeddings of "${id}", ` +
        `but the configured embedder is "${expected.embedderId}" with ${expected.dim} dimensions: retrain it with this embedder or configure the matching one`,
      { details: { source: name, artifact: { id, dim }, expected } },
    );
  }
}

/** The classifier of a validated artifact (no embedder check). Throws CLASSIFIER_INVALID naming `name`. */
export function classifierFromArtifact(artifact: ClassifierArtifact, name = 'artifact'): Classifier {
  try {
    switch (artifact.kind) {
      case 'rf':
        return new ForestClassifier(artifact);
      case 'linear':
        return new LinearClassifier(artifact);
    }
  } catch (err) {
    if (isPortraitError(err)) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new PortraitError('CLASSIFIER_INVALID', `classifier artifact ${name} is invalid: ${why}`, { cause: err, details: { source: name } });
  }
}
