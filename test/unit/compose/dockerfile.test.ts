/**
 * The Dockerfile and .dockerignore cannot be built here (no Docker engine), so their contract is
 * checked as text: multi-stage on node:20-bookworm-slim, npm ci / build / model fetch / prune in the
 * build stage, non-root runtime with the portrait entrypoint, and a build context that keeps what
 * the build needs and drops what it produces itself.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Instruction {
  op: string;
  args: string;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // comment inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ') });
  }
  return out;
}

/** Split into stages at each FROM. */
function stages(ins: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of ins) {
    if (i.op === 'FROM') out.push([i]);
    else out.at(-1)?.push(i);
  }
  return out;
}

/** Is `path` excluded by these .dockerignore patterns (simple subset: no `!`, `*` within a segment)? */
function ignoredBy(patterns: string[], path: string): boolean {
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')}(/|$)`,
    );
    return re.test(path);
  });
}

const dockerfile = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
const all = instructions(dockerfile);
const [build, runtime] = stages(all);
const ignorePatterns = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage on node:20-bookworm-slim', () => {
    expect(stages(all)).toHaveLength(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(build![0]!.args).toBe('${NODE_IMAGE} AS build');
    expect(runtime![0]!.args).toBe('${NODE_IMAGE} AS runtime');
  });

  it('installs from the lockfile with .npmrc, builds, fetches the model and prunes dev deps, in that order', () => {
    const runs = build!
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join(' && ');
    const copies = build!.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies[0]).toMatch(/package\.json package-lock\.json \.npmrc/);
    const order = ['npm ci', 'npm run build', 'npm run model:fetch', 'npm prune --omit=dev'].map((s) => runs.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(runs).not.toMatch(/--omit[= ]optional/);
    expect(runs).not.toMatch(/--no-optional/);
  });

  it('runs as node with the portrait entrypoint, `run` by default', () => {
    const last = (op: string) => runtime!.filter((i) => i.op === op).at(-1)?.args;
    expect(last('USER')).toBe('node');
    expect(last('WORKDIR')).toBe('/app');
    expect(last('ENTRYPOINT')).toBe('["node", "bin/portrait.js"]');
    expect(last('CMD')).toBe('["run"]');
    expect(runtime!.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build '))).toBe(true);
    const env = runtime!
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['PORTRAIT_KAFKA_BROKERS', 'PORTRAIT_REDIS_URL', 'PORTRAIT_API_HOST=0.0.0.0', 'PORTRAIT_USE_DIST=1']) {
      expect(env).toContain(key);
    }
  });

  it('reads its own text the way the checks above assume', () => {
    const ins = instructions('FROM a AS b\n# c\nRUN x \\\n  # note\n  && y\nCMD ["z"]\n');
    expect(ins).toEqual([
      { op: 'FROM', args: 'a AS b' },
      { op: 'RUN', args: 'x && y' },
      { op: 'CMD', args: '["z"]' },
    ]);
  });
});

describe('.dockerignore', () => {
  it.each(['node_modules', 'dist', '.stack', 'models', '.git', 'artifacts', 'bench/results'])('excludes %s', (p) => {
    expect(ignoredBy(ignorePatterns, p)).toBe(true);
  });

  it.each(['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.build.json', 'bin/portrait.js', 'config/default.yaml', 'src/cli/main.ts'])('keeps %s in the build context', (p) => {
    expect(ignoredBy(ignorePatterns, p)).toBe(false);
  });

  it('matching works on nested paths', () => {
    expect(ignoredBy(['bench/results'], 'bench/results/x.json')).toBe(true);
    expect(ignoredBy(['bench/results'], 'bench/run.ts')).toBe(false);
    expect(ignoredBy(['*.log'], 'a.log')).toBe(true);
  });
});
