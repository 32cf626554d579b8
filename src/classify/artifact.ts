/**
 * Trained classifier artifacts: one zod-validated JSON file, `<dir>/classifier.json`.
 *
 *   { format: 'portrait-classifier', formatVersion: 1, kind, version, labels, embedder: {id, dim},
 *     hyperParameters, createdAt, training: {rows, fingerprint, labelCounts?, source?}, metrics?,
 *     selection?, confusion?, model }
 *
 * `version` is a content hash: the first 16 hex digits of the sha256 of the canonical JSON of every
 * member but `version`, `createdAt` and `run`, so retraining the same data with the same settings gives the
 * same version, and any edit of the file is detected on load. `model` is kind-specific and validated
 * by the kind's loader (src/classify/forest.ts for 'rf', src/classify/linear.ts for 'linear'). Format: docs/classifiers.md.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PortraitError } from '../util/errors.js';
import { contentHash } from './canonical.js';

export const ARTIFACT_FORMAT = 'portrait-classifier';
export const ARTIFACT_FORMAT_VERSION = 1;
export const ARTIFACT_FILE = 'classifier.json';

/** Kinds that are stored as artifacts (zero-shot is rebuilt from the taxonomy instead). */
export const ARTIFACT_KINDS = ['rf', 'linear'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** A class label of a trained classifier: any non-empty string up to 128 chars but "__proto__". */
export const ClassLabel = z
  .string()
  .min(1, { error: 'labels must not be empty' })
  .max(128, { error: 'labels must be at most 128 characters' })
  .refine((s) => s !== '__proto__', { error: 'label "__proto__" is not allowed' });

const JsonRecord = z.record(z.string(), z.json());

export const ClassifierArtifact = z.strictObject({
  format: z.literal(ARTIFACT_FORMAT, { error: `format must be "${ARTIFACT_FORMAT}"` }),
  formatVersion: z.literal(ARTIFACT_FORMAT_VERSION, { error: `unsupported formatVersion (this build reads ${ARTIFACT_FORMAT_VERSION})` }),
  kind: z.enum(ARTIFACT_KINDS),
  version: z.string().regex(/^[0-9a-f]{16}$/, { error: 'version must be 16 lowercase hex digits' }),
  labels: z
    .array(ClassLabel)
    .min(2, { error: 'needs at least 2 labels' })
    .refine((l) => new Set(l).size === l.length, { error: 'labels must be unique' }),
  embedder: z.strictObject({ id: z.string().min(1), dim: z.int().min(1) }),
  hyperParameters: JsonRecord,
  createdAt: z.iso.datetime(),
  training: z.strictObject({
    rows: z.int().min(1),
    fingerprint: z.string().min(1),
    /** Rows per label. */
    labelCounts: z.record(z.string(), z.int().min(0)).optional(),
    /** Where the rows came from (file name, split, caps), in words. */
    source: z.string().max(2000).optional(),
  }),
  metrics: JsonRecord.optional(),
  /** How the kind was chosen ('auto'): cross-validated scores of each candidate and why the winner won. */
  selection: JsonRecord.optional(),
  /**
   * The classifier's confusion on held-out labelled rows, in label order: matrix[t][p] is the mean
   * probability of label p over rows of true label t (each row sums to 1). Profiles use it to turn
   * the mean of a user's per-comment probabilities into shares of the user's comments per label
   * (src/profile/unmix.ts). Part of the version: it changes profiles.
   */
  confusion: z
    .strictObject({
      /** How it was measured, in words (e.g. "validation slice, 1,200 rows"). */
      source: z.string().max(500),
      /** Held-out rows per true label. */
      rows: z.array(z.int().min(0)),
      matrix: z.array(z.array(z.number().min(0).max(1))),
    })
    .optional(),
  /** Facts about the training run that do not change predictions (seconds taken, prediction cost): not part of the version. */
  run: JsonRecord.optional(),
  /** Kind-specific; validated by the kind's loader. */
  model: z.custom<unknown>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { error: 'model must be an object' }),
});

export type ClassifierArtifact = z.infer<typeof ClassifierArtifact>;
export type ArtifactDraft = Omit<ClassifierArtifact, 'version'>;

/** The content version of an artifact (everything but `version`, `createdAt` and `run`). */
export function artifactVersion(a: ArtifactDraft | ClassifierArtifact): string {
  const { createdAt: _createdAt, run: _run, ...rest } = a;
  const content: Record<string, unknown> = { ...rest };
  delete content.version;
  return contentHash(content);
}

/** Stamp a draft with its content version. */
export function finalizeArtifact(draft: ArtifactDraft): ClassifierArtifact {
  return { ...draft, version: artifactVersion(draft) };
}

/** A copy with some members replaced (metrics, selection, training source, run, ...) and a fresh version. */
export function amendArtifact(a: ClassifierArtifact, changes: Partial<Omit<ArtifactDraft, 'format' | 'formatVersion'>>): ClassifierArtifact {
  const { version: _version, ...draft } = a;
  return finalizeArtifact({ ...draft, ...changes });
}

function invalid(source: string, problem: string, cause?: unknown): PortraitError {
  return new PortraitError('CLASSIFIER_INVALID', `classifier artifact ${source} is invalid: ${problem}`, { cause, details: { source } });
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 6)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Validate a parsed artifact (shape and content version). Throws CLASSIFIER_INVALID naming `source`. */
export function parseArtifact(raw: unknown, source = 'artifact'): ClassifierArtifact {
  const r = ClassifierArtifact.safeParse(raw);
  if (!r.success) throw invalid(source, formatIssues(r.error.issues), r.error);
  let expected: string;
  try {
    expected = artifactVersion(r.data);
  } catch (err) {
    throw invalid(source, `content is not plain JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (expected !== r.data.version) {
    throw invalid(source, `content hash ${expected} does not match version ${r.data.version}: the file was edited or corrupted`);
  }
  return r.data;
}

/** Write `<dir>/classifier.json` (atomically: temp file + rename); returns the file path. */
export function saveArtifact(dir: string, artifact: ClassifierArtifact): string {
  const checked = parseArtifact(artifact, 'to be saved');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, ARTIFACT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(checked)}\n`);
  renameSync(tmp, file);
  return file;
}

/** Read an artifact file, or `<path>/classifier.json` when `path` is a directory. Throws CLASSIFIER_INVALID. */
export function readArtifact(path: string): ClassifierArtifact {
  let file = path;
  let text: string;
  try {
    if (statSync(path).isDirectory()) file = join(path, ARTIFACT_FILE);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw invalid(file, `cannot be read (${why})`, err);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(file, `not JSON (${err instanceof Error ? err.message.slice(0, 120) : String(err)})`, err);
  }
  return parseArtifact(raw, file);
}

/** The artifact's held-out confusion as classifiers expose it (Classifier.confusion); throws on a malformed matrix. */
export function artifactConfusion(a: ClassifierArtifact): { labels: readonly string[]; confusion: number[][] } | undefined {
  const c = a.confusion;
  if (!c) return undefined;
  const k = a.labels.length;
  if (c.rows.length !== k || c.matrix.length !== k) throw new Error(`confusion: expected ${k} rows (one per label), got ${c.matrix.length}`);
  c.matrix.forEach((row, t) => {
    if (row.length !== k) throw new Error(`confusion.matrix[${t}]: expected ${k} values, got ${row.length}`);
    const sum = row.reduce((x, y) => x + y, 0);
    if (Math.abs(sum - 1) > 1e-3) throw new Error(`confusion.matrix[${t}] sums to ${sum}, not 1`);
  });
  return { labels: a.labels, confusion: c.matrix };
}
