import { existsSync, readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PortraitError } from '../util/errors.js';
import { ConfigSchema, type Config } from './schema.js';

/** The project root: the nearest folder above this file holding config/default.yaml (src/ and dist/src/ alike). */
export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'config', 'default.yaml')) && existsSync(resolve(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

export const DEFAULT_CONFIG_FILE = resolve(PROJECT_ROOT, 'config', 'default.yaml');
const ENV_PREFIX = 'PORTRAIT_';

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** kafka.maxBatchSize -> PORTRAIT_KAFKA_MAX_BATCH_SIZE */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function readYaml(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PortraitError('CONFIG_UNREADABLE', `cannot read config file ${file}: ${(cause as Error).message}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    // Only the parser's first line (the problem and where): the rest quotes the file's lines, which
    // may hold credentials (kafka.sasl.password, a redis:// URL with a password).
    const problem = String((cause as Error).message)
      .split('\n')[0]!
      .replace(/:\s*$/, '');
    throw new PortraitError('CONFIG_UNREADABLE', `config file ${file} is not valid YAML: ${problem}`, { cause });
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new PortraitError('CONFIG_INVALID', `config file ${file} must hold a mapping at the top level`);
  return doc;
}

function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Parse an environment value into the type of the default value at the same path. */
function coerceEnv(raw: string, like: unknown, name: string): unknown {
  if (Array.isArray(like)) return raw.trim() === '' ? [] : raw.split(',').map((s) => s.trim());
  if (typeof like === 'number') {
    const n = Number(raw);
    return raw.trim() === '' || Number.isNaN(n) ? raw : n; // the schema then names the bad value
  }
  if (typeof like === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return raw;
  }
  if (like === null || isPlainObject(like)) {
    if (raw.trim() === '' || raw.trim() === 'null') return null;
    try {
      return JSON.parse(raw) as unknown;
    } catch (cause) {
      throw new PortraitError('CONFIG_INVALID', `${name} must be JSON: ${(cause as Error).message}`, { cause });
    }
  }
  return raw;
}

/**
 * `PORTRAIT_*` variables that are not config keys: read by the process (the config file to layer,
 * cross-validation threads, the linear head's objective threads, the inference thread's nice value, the compiled build), by the tests,
 * or by docker compose (host ports). Any other `PORTRAIT_*` variable is a mistake (README,
 * "Configuration").
 */
export const PROCESS_VARIABLES = [
  'PORTRAIT_CONFIG',
  'PORTRAIT_CV_THREADS',
  'PORTRAIT_TRAIN_THREADS',
  'PORTRAIT_EMBED_NICE',
  'PORTRAIT_USE_DIST',
  'PORTRAIT_CHROMIUM',
  'PORTRAIT_TEST_NO_DOCKER',
  'PORTRAIT_HOST_KAFKA_PORT',
  'PORTRAIT_HOST_REDIS_PORT',
  'PORTRAIT_HOST_API_PORT',
  'PORTRAIT_HOST_REPLICATED_API_PORT',
] as const;

/** Every variable name a leaf of the defaults can be set by. */
function envNames(defaults: Plain, path: string[] = []): string[] {
  return Object.entries(defaults).flatMap(([k, v]) => (isPlainObject(v) ? envNames(v, [...path, k]) : [envName([...path, k])]));
}

/** Edit distance (insertions, deletions, substitutions), for naming the variable that was meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** Throws CONFIG_INVALID naming each `PORTRAIT_*` variable that sets nothing, and the known one closest to it. */
function checkEnvNames(defaults: Plain, env: NodeJS.ProcessEnv): void {
  const known = [...envNames(defaults), ...PROCESS_VARIABLES];
  const knownSet = new Set(known);
  const unknown = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && env[n] !== undefined && !knownSet.has(n))
    .sort();
  if (unknown.length === 0) return;
  const lines = unknown.map((n) => {
    const closest = known.reduce((best, k) => (distance(n, k) < distance(n, best) ? k : best), known[0]!);
    return `  ${n}: not a Portrait setting; did you mean ${closest}?`;
  });
  throw new PortraitError('CONFIG_INVALID', `unknown environment variable${unknown.length > 1 ? 's' : ''} (it would be ignored):\n${lines.join('\n')}`, { details: { unknown } });
}

/** Apply PORTRAIT_* variables for every leaf of the defaults; records which key came from where. */
function applyEnv(defaults: Plain, target: Plain, env: NodeJS.ProcessEnv, path: string[], origin: Map<string, string>): void {
  for (const [k, like] of Object.entries(defaults)) {
    const p = [...path, k];
    if (isPlainObject(like)) {
      const sub = isPlainObject(target[k]) ? (target[k] as Plain) : (target[k] = {});
      applyEnv(like, sub as Plain, env, p, origin);
      continue;
    }
    const name = envName(p);
    const raw = env[name];
    if (raw !== undefined) {
      target[k] = coerceEnv(raw, like, name);
      origin.set(p.join('.'), name);
    }
  }
}

function formatIssues(issues: readonly z.core.$ZodIssue[], origin: Map<string, string>): string {
  return issues
    .map((i) => {
      const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')) : [i.path.join('.')];
      const where = keys.map((k) => (origin.has(k) ? `${k} (from ${origin.get(k)})` : k)).join(', ');
      const msg = i.code === 'unrecognized_keys' ? 'unknown key' : i.message;
      return `  ${where || '(root)'}: ${msg}`;
    })
    .join('\n');
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export interface LoadOptions {
  /** Extra YAML files layered over the defaults, in order (PORTRAIT_CONFIG adds one). */
  files?: string[];
  env?: NodeJS.ProcessEnv;
  /** In-code overrides applied last (tests, CLI flags). */
  overrides?: Plain;
}

/**
 * The config keys that hold a file or folder. A relative path resolves against where it was set: the
 * defaults against the project (the installed package), a layered file against that file's folder,
 * a PORTRAIT_* variable or an in-code override (a CLI flag) against the working directory.
 */
export const PATH_KEYS = [
  ['embedder', 'modelDir'],
  ['classifier', 'taxonomy'],
  ['classifier', 'artifact'],
  ['stack', 'dir'],
] as const;

function getPath(o: unknown, path: readonly string[]): unknown {
  let cur = o;
  for (const k of path) cur = isPlainObject(cur) ? cur[k] : undefined;
  return cur;
}

/** Load config/default.yaml, layered files, PORTRAIT_* env vars and overrides; validate; resolve paths; freeze. */
export function loadConfig(opts: LoadOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const defaults = readYaml(DEFAULT_CONFIG_FILE);
  checkEnvNames(defaults, env);
  let merged = defaults;
  // where each path key was set last: the folder its relative value resolves against
  const base = new Map<string, string>(PATH_KEYS.map((k) => [k.join('.'), PROJECT_ROOT]));
  const files = [...(opts.files ?? [])];
  if (env.PORTRAIT_CONFIG) files.push(env.PORTRAIT_CONFIG);
  for (const f of files) {
    const file = resolve(f);
    const layer = readYaml(file);
    for (const k of PATH_KEYS) if (getPath(layer, k) !== undefined) base.set(k.join('.'), dirname(file));
    merged = deepMerge(merged, layer);
  }
  const origin = new Map<string, string>();
  applyEnv(defaults, merged, env, [], origin);
  for (const k of PATH_KEYS) if (origin.has(k.join('.'))) base.set(k.join('.'), process.cwd());
  if (opts.overrides) {
    for (const k of PATH_KEYS) if (getPath(opts.overrides, k) !== undefined) base.set(k.join('.'), process.cwd());
    merged = deepMerge(merged, opts.overrides);
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new PortraitError('CONFIG_INVALID', `invalid configuration:\n${formatIssues(parsed.error.issues, origin)}`, {
      details: { issues: parsed.error.issues },
    });
  }
  const cfg = parsed.data as unknown as Plain;
  for (const [section, key] of PATH_KEYS) {
    const holder = cfg[section] as Plain;
    const v = holder[key];
    if (typeof v === 'string' && v !== '') holder[key] = resolve(base.get(`${section}.${key}`)!, v);
  }
  return deepFreeze(parsed.data);
}

/** Resolve a path relative to the project root (the config's own paths are absolute already: loadConfig resolves them). */
export function projectPath(p: string): string {
  return resolve(PROJECT_ROOT, p);
}

export function deadLetterTopic(cfg: Pick<Config, 'kafka'>): string {
  return cfg.kafka.topics.deadLetter || `${cfg.kafka.topics.comments}.dlq`;
}

/** The feature log's topic (kafka.topics.features, default "<comments>.features"). */
export function featuresTopic(cfg: Pick<Config, 'kafka'>): string {
  return cfg.kafka.topics.features || `${cfg.kafka.topics.comments}.features`;
}
