/**
 * Hot swap: a running processor follows the registry's active model (src/classify/registry.ts,
 * stored by src/store/model-registry.ts).
 *
 * Every `pollMs` the watcher reads the active version (one GET). When it changed, the artifact is
 * read from Redis, validated, checked against the running embedder and built; only then does
 * `current()` return the new classifier. The processor reads `current()` once per batch, so a batch
 * is classified by one model and the swap lands between batches; every profile event names the
 * classifier version that produced it. A model that cannot be used (wrong embedder or dimension,
 * corrupt JSON) is refused with one error log per version and the running model stays. No active
 * version means the configured classifier (`classifier.kind`), the fallback.
 */
import type { Config } from '../config/index.js';
import type { ModelRegistryStore } from '../store/types.js';
import type { Logger } from '../util/logger.js';
import { PortraitError, isPortraitError } from '../util/errors.js';
import { checkEmbedder, classifierFromArtifact, type ExpectedEmbedder } from './load.js';
import { ModelRegistry } from './registry.js';
import type { Classifier } from './types.js';

export interface ModelSource {
  /** The classifier in force now. */
  current(): Classifier;
  /** Stop following the registry. */
  stop(): void;
}

export interface WatcherOptions {
  registry: ModelRegistry;
  expected: ExpectedEmbedder;
  /** Used when no registry model is active. */
  fallback: Classifier;
  pollMs: number;
  log: Logger;
  /** Called after each swap (tests, metrics). */
  onSwap?: (from: Classifier, to: Classifier) => void;
}

/** A fixed classifier (the registry is not used). */
export function staticModel(c: Classifier): ModelSource {
  return { current: () => c, stop() {} };
}

export class ModelWatcher implements ModelSource {
  private model: Classifier;
  /** Registry version in force; null = the fallback. */
  private activeVersion: string | null = null;
  private readonly refused = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(private readonly o: WatcherOptions) {
    this.model = o.fallback;
  }

  current(): Classifier {
    return this.model;
  }

  /** The registry version in force (null when the fallback is). */
  get version(): string | null {
    return this.activeVersion;
  }

  /** First check (awaited, so a processor starts with the active model), then poll. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.o.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll; concurrent calls share the one in flight. Never throws. */
  check(): Promise<void> {
    this.checking ??= this.poll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private swap(to: Classifier, version: string | null): void {
    const from = this.model;
    this.model = to;
    this.activeVersion = version;
    this.o.log.info({ from: { kind: from.kind, version: from.version }, to: { kind: to.kind, version: to.version }, registryVersion: version }, 'classifier swapped');
    this.o.onSwap?.(from, to);
  }

  private async poll(): Promise<void> {
    let active: string | null;
    try {
      active = await this.o.registry.active();
      if (this.failing) this.o.log.info('model registry reachable again');
      this.failing = false;
    } catch (err) {
      if (this.stopped) return;
      if (!this.failing) this.o.log.warn({ err }, 'cannot read the active model from the registry; keeping the current classifier');
      this.failing = true;
      return;
    }
    if (this.stopped || active === this.activeVersion) return;
    if (active === null) {
      this.swap(this.o.fallback, null);
      return;
    }
    if (this.refused.has(active)) return;
    try {
      const artifact = await this.o.registry.get(active);
      if (artifact === null) throw new PortraitError('NOT_FOUND', `the registry names ${active} active but holds no artifact for it`);
      checkEmbedder(artifact, this.o.expected, `registered model ${active}`);
      this.swap(classifierFromArtifact(artifact, `registered model ${active}`), active);
    } catch (err) {
      if (!isPortraitError(err)) {
        // Redis trouble while reading the artifact: try again at the next poll
        this.o.log.warn({ err, version: active }, 'cannot read the activated model from the registry; will retry');
        return;
      }
      this.refused.add(active);
      const code = err.code;
      this.o.log.error({ err, code, refused: active, keeping: { kind: this.model.kind, version: this.model.version } }, `refused to activate model ${active}: ${err instanceof Error ? err.message : String(err)}; keeping the current classifier`);
    }
  }
}

/**
 * The processor's model source: the registry's active model when `classifier.registry` is on
 * (polled every `classifier.pollMs`), with `fallback` (the configured classifier) when none is active.
 */
export async function watchModels(cfg: Pick<Config, 'classifier'>, deps: { registry: ModelRegistryStore; embedder: { id: string; dim: number }; fallback: Classifier; log: Logger }): Promise<ModelSource> {
  if (!cfg.classifier.registry) return staticModel(deps.fallback);
  const watcher = new ModelWatcher({
    registry: new ModelRegistry(deps.registry),
    expected: { embedderId: deps.embedder.id, dim: deps.embedder.dim },
    fallback: deps.fallback,
    pollMs: cfg.classifier.pollMs,
    log: deps.log,
  });
  await watcher.start();
  return watcher;
}
