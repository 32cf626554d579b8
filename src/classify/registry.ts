/**
 * The model registry (docs/redis-keys.md, "Model registry"; docs/models.md): artifacts registered
 * by content hash, one active version that running processors follow (src/classify/hot-swap.ts),
 * an activation stack to roll back along, and a history. This is the registry's logic: artifacts
 * are validated before they are stored and when they are read, an activation checks the model
 * against the embedder the processors run, version prefixes resolve. The storage (Redis keys and
 * scripts) is src/store/model-registry.ts, behind ModelRegistryStore.
 */
import type { ModelRegistryStore } from '../store/types.js';
import { PortraitError } from '../util/errors.js';
import { parseArtifact, type ClassifierArtifact } from './artifact.js';
import { checkEmbedder, type ExpectedEmbedder } from './load.js';

export interface ModelSummary {
  version: string;
  kind: string;
  labels: number;
  embedder: { id: string; dim: number };
  createdAt: string;
  registeredAt: string;
  trainingRows: number;
  source?: string;
  heldOut?: { accuracy?: number; macroF1?: number; rows?: number };
}

export interface HistoryEntry {
  action: 'activate' | 'rollback' | 'deactivate';
  /** The version active after the action ('' = none). */
  version?: string;
  from?: string;
  at: string;
}

function summaryOf(a: ClassifierArtifact, registeredAt: string): ModelSummary {
  const held = (a.metrics as { heldOut?: { accuracy?: number; macroF1?: number; rows?: number } } | undefined)?.heldOut;
  return {
    version: a.version,
    kind: a.kind,
    labels: a.labels.length,
    embedder: a.embedder,
    createdAt: a.createdAt,
    registeredAt,
    trainingRows: a.training.rows,
    ...(a.training.source ? { source: a.training.source } : {}),
    ...(held ? { heldOut: { accuracy: held.accuracy, macroF1: held.macroF1, rows: held.rows } } : {}),
  } as ModelSummary;
}

const VERSION = /^[0-9a-f]{1,16}$/;

export class ModelRegistry {
  constructor(
    private readonly store: ModelRegistryStore,
    private readonly clock: () => number = Date.now,
  ) {}

  private iso(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Store an artifact (validated first). Registering the same version again changes nothing. */
  async register(artifact: ClassifierArtifact): Promise<{ version: string; created: boolean }> {
    const a = parseArtifact(artifact, `version ${artifact.version}`);
    const created = await this.store.putArtifact(a.version, JSON.stringify(a));
    if (created) await this.store.putSummary(a.version, JSON.stringify(summaryOf(a, this.iso())));
    return { version: a.version, created };
  }

  /** The full version of a unique prefix of a registered version. NOT_FOUND / USAGE otherwise. */
  async resolve(prefix: string): Promise<string> {
    const p = prefix.trim().toLowerCase();
    if (!VERSION.test(p)) throw new PortraitError('USAGE', `"${prefix}" is not a model version (1-16 hex digits)`);
    const all = await this.store.versions();
    const hits = all.filter((v) => v.startsWith(p));
    if (hits.length === 0) throw new PortraitError('NOT_FOUND', `no registered model version starts with "${p}" (portrait model list shows them)`);
    if (hits.length > 1 && !hits.includes(p)) throw new PortraitError('USAGE', `"${p}" matches ${hits.length} versions: ${hits.slice(0, 5).join(', ')}; give more digits`);
    return hits.includes(p) ? p : hits[0]!;
  }

  /** The raw artifact JSON of a version, or null. */
  getJson(version: string): Promise<string | null> {
    return this.store.artifact(version);
  }

  /** The validated artifact of a version (CLASSIFIER_INVALID when the stored JSON is bad), or null. */
  async get(version: string): Promise<ClassifierArtifact | null> {
    const json = await this.getJson(version);
    if (json === null) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (err) {
      throw new PortraitError('CLASSIFIER_INVALID', `registered model ${version} is not JSON`, { cause: err });
    }
    return parseArtifact(raw, `registered model ${version}`);
  }

  async list(): Promise<Array<ModelSummary & { active: boolean }>> {
    const [all, active] = await Promise.all([this.store.summaries(), this.active()]);
    return Object.values(all)
      .map((j) => JSON.parse(j) as ModelSummary)
      .sort((a, b) => (a.registeredAt < b.registeredAt ? 1 : a.registeredAt > b.registeredAt ? -1 : a.version < b.version ? -1 : 1))
      .map((s) => ({ ...s, active: s.version === active }));
  }

  async active(): Promise<string | null> {
    return this.store.active();
  }

  /**
   * Make `version` the active model after checking that it is registered, valid, and built for
   * `expected` (the embedder the processors run): CLASSIFIER_MISMATCH names both otherwise.
   */
  async activate(version: string, expected: ExpectedEmbedder): Promise<{ changed: boolean; previous: string | null }> {
    const artifact = await this.get(version);
    if (artifact === null) throw new PortraitError('NOT_FOUND', `model ${version} is not registered (portrait model register <dir> first)`);
    checkEmbedder(artifact, expected, `registered model ${version}`);
    const previous = await this.active();
    const entry: HistoryEntry = { action: 'activate', version, ...(previous ? { from: previous } : {}), at: this.iso() };
    const r = await this.store.activate(version, JSON.stringify(entry));
    if (r === -1) throw new PortraitError('NOT_FOUND', `model ${version} is not registered`);
    return { changed: r === 1, previous };
  }

  /** Return to the model active before the current one (or to none: the configured classifier). */
  async rollback(): Promise<{ from: string | null; to: string | null }> {
    const r = await this.store.rollback(this.iso());
    if (r === null) throw new PortraitError('NOT_FOUND', 'nothing to roll back: no model was ever activated in this registry');
    return { from: r.from || null, to: r.to || null };
  }

  /** No registry model active: processors use the configured classifier. Returns the version that was active. */
  async deactivate(): Promise<string | null> {
    return this.store.deactivate(this.iso());
  }

  async history(limit = 20): Promise<HistoryEntry[]> {
    const rows = await this.store.history(limit);
    return rows.map((r) => JSON.parse(r) as HistoryEntry);
  }
}
