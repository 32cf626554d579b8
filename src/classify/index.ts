export type { Classifier, ClassifierKind } from './types.js';
export { softmax, cosine, dot, dotAt, norm, normalize, mean, argmax, toRecord } from './math.js';
export { canonicalJson, contentHash } from './canonical.js';
export { Taxonomy, TaxonomyLabel, LABEL_ID, loadTaxonomy, parseTaxonomy, labelMap } from './taxonomy.js';
export { ZeroShotClassifier, buildZeroShot, zeroShotVersion, prototypeTexts, prepareDescription, DEFAULT_TEMPERATURE, DEFAULT_TOP } from './zero-shot.js';
export {
  ClassifierArtifact,
  ClassLabel,
  ARTIFACT_FILE,
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  ARTIFACT_KINDS,
  artifactVersion,
  amendArtifact,
  finalizeArtifact,
  parseArtifact,
  readArtifact,
  saveArtifact,
  type ArtifactDraft,
  type ArtifactKind,
} from './artifact.js';
export { ForestClassifier, parseForestModel, type ForestModel, type ForestNode } from './forest.js';
export { loadClassifierArtifact, classifierFromArtifact, checkEmbedder, type ExpectedEmbedder } from './load.js';
export { LinearClassifier, type LinearModel } from './linear.js';
