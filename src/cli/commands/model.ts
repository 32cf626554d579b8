/**
 * `portrait model list | show | register | activate | rollback | deactivate | history`: the model
 * registry in Redis (src/classify/registry.ts on src/store/model-registry.ts, docs/models.md). Running processors follow the
 * active model within `classifier.pollMs` (default 2 s), without a restart.
 */
import type { Command } from 'commander';
import { createEmbedder, Parts } from '../../app/parts.js';
import { readArtifact } from '../../classify/artifact.js';
import type { ExpectedEmbedder } from '../../classify/load.js';
import { ModelRegistry, type ModelSummary } from '../../classify/registry.js';
import { loadConfig, type Config } from '../../config/index.js';
import { PortraitError, isPortraitError } from '../../util/errors.js';
import { createLogger } from '../../util/logger.js';
import { intOption } from '../options.js';
import { printJson } from '../output.js';

/** Run `fn` with a registry on the configured Redis; Redis failures become REDIS_UNAVAILABLE. */
export async function withRegistry<T>(cfg: Readonly<Config>, fn: (reg: ModelRegistry) => Promise<T>): Promise<T> {
  // connection errors are reported through the failed command instead
  const parts = new Parts(cfg, createLogger(cfg.log.level), { redis: { maxRetriesPerRequest: 1, retryStrategy: (n: number) => (n > 2 ? null : 200), enableAutoPipelining: false }, quietRedis: true });
  try {
    return await fn(new ModelRegistry(parts.modelRegistry()));
  } catch (err) {
    if (isPortraitError(err)) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new PortraitError('REDIS_UNAVAILABLE', `model registry on ${cfg.redis.clusterNodes.length > 0 ? cfg.redis.clusterNodes.join(',') : cfg.redis.url}: ${msg}`, { cause: err });
  } finally {
    parts.redis.disconnect();
    await parts.close();
  }
}

/** Id and dimension of the configured embedder (the model is loaded once to learn the dimension). */
export async function configuredEmbedder(cfg: Readonly<Config>): Promise<ExpectedEmbedder> {
  const e = createEmbedder(cfg);
  try {
    await e.ready();
    return { embedderId: e.id, dim: e.dim };
  } finally {
    await e.close();
  }
}

const f3 = (x: number | undefined) => (typeof x === 'number' ? x.toFixed(3) : '-');

function printList(models: Array<ModelSummary & { active: boolean }>): void {
  if (models.length === 0) {
    process.stdout.write('no models registered (portrait train --register, or portrait model register <dir>)\n');
    return;
  }
  process.stdout.write(`  ${'version'.padEnd(16)}  ${'kind'.padEnd(6)}  labels  rows   macro-F1  registered                embedder\n`);
  for (const m of models) {
    process.stdout.write(
      `${m.active ? '*' : ' '} ${m.version}  ${m.kind.padEnd(6)}  ${String(m.labels).padStart(6)}  ${String(m.trainingRows).padStart(5)}  ${f3(m.heldOut?.macroF1).padStart(8)}  ${m.registeredAt}  ${m.embedder.id} (${m.embedder.dim})\n`,
    );
  }
  if (!models.some((m) => m.active)) process.stdout.write('no registry model is active: processors use the configured classifier\n');
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('the model registry in Redis: list, register, activate (hot swap), roll back');

  model
    .command('list')
    .description('registered models, newest first; * marks the active one')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const [models, active] = await withRegistry(cfg, async (r) => [await r.list(), await r.active()] as const);
      if (opts.json) printJson({ active, models });
      else printList(models);
    });

  model
    .command('show <version>')
    .description('one registered model: metadata, metrics, selection (not the weights)')
    .option('--json', 'print JSON')
    .action(async (version: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const a = await withRegistry(cfg, async (r) => r.get(await r.resolve(version)));
      if (!a) throw new PortraitError('NOT_FOUND', `model ${version} is not registered`);
      const { model: _model, ...meta } = a;
      if (opts.json) printJson(meta);
      else process.stdout.write(`${JSON.stringify(meta, null, 2)}\n`);
    });

  model
    .command('register <dir>')
    .description('store an artifact (<dir>/classifier.json or the file) in the registry')
    .option('--activate', 'also make it the active model')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { activate?: boolean; json?: boolean }) => {
      const cfg = loadConfig();
      const artifact = readArtifact(dir);
      const expected = opts.activate ? await configuredEmbedder(cfg) : undefined;
      const out = await withRegistry(cfg, async (r) => {
        const reg = await r.register(artifact);
        const act = expected ? await r.activate(artifact.version, expected) : undefined;
        return { version: artifact.version, kind: artifact.kind, created: reg.created, ...(act ? { activated: true, previous: act.previous } : {}) };
      });
      if (opts.json) printJson(out);
      else process.stdout.write(`${out.created ? 'registered' : 'already registered'} ${out.kind} model ${out.version}${out.activated ? ` and activated it (was ${out.previous ?? 'none'})` : ''}\n`);
    });

  model
    .command('activate <version>')
    .description('make a registered model (version or a unique prefix) active; refused when it was trained for another embedder')
    .option('--json', 'print JSON')
    .action(async (version: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const expected = await configuredEmbedder(cfg);
      const out = await withRegistry(cfg, async (r) => {
        const v = await r.resolve(version);
        return { version: v, ...(await r.activate(v, expected)) };
      });
      if (opts.json) printJson(out);
      else process.stdout.write(out.changed ? `activated ${out.version} (was ${out.previous ?? 'none'}); processors switch within ${cfg.classifier.pollMs / 1000} s\n` : `${out.version} is already active\n`);
    });

  model
    .command('rollback')
    .description('return to the model active before the current one (or to the configured classifier)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const out = await withRegistry(cfg, (r) => r.rollback());
      if (opts.json) printJson(out);
      else process.stdout.write(`rolled back from ${out.from ?? 'none'} to ${out.to ?? 'none (the configured classifier)'}\n`);
    });

  model
    .command('deactivate')
    .description('no registry model active: processors use the configured classifier (rollback undoes this)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const was = await withRegistry(cfg, (r) => r.deactivate());
      if (opts.json) printJson({ deactivated: was });
      else process.stdout.write(was ? `deactivated ${was}: processors use the configured classifier\n` : 'no registry model was active\n');
    });

  model
    .command('history')
    .description('activations and rollbacks, newest first')
    .option('--limit <n>', 'entries', intOption('--limit', 1), 20)
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; json?: boolean }) => {
      const cfg = loadConfig();
      const h = await withRegistry(cfg, (r) => r.history(opts.limit));
      if (opts.json) printJson(h);
      else for (const e of h) process.stdout.write(`${e.at}  ${e.action.padEnd(10)}  ${e.from || 'none'} → ${e.version || 'none'}\n`);
    });
}
