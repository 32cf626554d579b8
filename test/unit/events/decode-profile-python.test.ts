/**
 * docs/examples/decode_profile.py, the Python example of docs/events.md, decodes what the
 * processor writes: schemaVersion 2 (int8 centroid, the default), 1 (decimals) and 2 without a
 * centroid, to the numbers centroidOf gives, and interests and top terms (arrays in version 2,
 * objects in 1) to the objects decodeProfileEvent gives. Needs only python3 (standard library); skipped, by
 * name, where there is none (.ci/run fails on a skipped test).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { centroidOf, decodeProfileEvent } from '../../../src/events/index.js';
import { buildProfileEvent, EVENT_CENTROIDS, serializeProfileEvent } from '../../../src/pipeline/profile-event.js';
import { mulberry32 } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';

const SCRIPT = fileURLToPath(new URL('../../../docs/examples/decode_profile.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;

function unitVector(dim: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  const v = Array.from({ length: dim }, () => rnd() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function event(userId: string, centroid: (typeof EVENT_CENTROIDS)[number]): string {
  return serializeProfileEvent(
    buildProfileEvent({
      userId,
      version: 7,
      updatedAt: Date.UTC(2026, 4, 1),
      derived: {
        count: 3,
        firstSeen: Date.UTC(2026, 3, 1),
        lastSeen: Date.UTC(2026, 3, 30),
        interests: [
          { label: 'sports', score: 2.5, share: 0.8, confidence: 0.4 },
          { label: 'travel', score: 0.6123456, share: 0.1987654, confidence: 0.0912345 },
        ],
        centroid: unitVector(512, userId.length),
        topTerms: [
          { term: '梅西', score: 2 },
          { term: 'goal', score: 1.23456789 },
        ],
        evidence: { sports: ['c-2', 'c-1'] },
      },
      embedder: { id: 'BAAI/bge-small-zh-v1.5@q8/cls', dim: 512 },
      classifier: { kind: 'zero-shot', version: 'abc' },
      causedBy: ['e-3'],
      namespace: 'main',
      centroid,
    }),
  );
}

describe('docs/examples/decode_profile.py', () => {
  it.skipIf(!hasPython)('decodes schemaVersion 2 (int8, arrays), 1 (decimals, objects) and 2 without a centroid to what centroidOf and decodeProfileEvent give', () => {
    const lines = [event('user-compact', 'compact'), event('user-decimal', 'decimal'), event('u-none', 'none')];
    const r = spawnSync('python3', [SCRIPT], { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { userId: string; version: number; schemaVersion: number; dim: number; top: string; interests: unknown[]; topTerms: unknown[]; centroid: number[] | null });
    expect(out.map((o) => [o.userId, o.schemaVersion, o.version, o.dim, o.top])).toEqual([
      ['user-compact', 2, 7, 512, 'sports'],
      ['user-decimal', 1, 7, 512, 'sports'],
      ['u-none', 2, 7, 512, 'sports'],
    ]);
    lines.forEach((line, i) => {
      const d = decodeProfileEvent(Buffer.from(line));
      if (!d.ok || !d.event) throw new Error(d.ok ? 'tombstone' : d.detail);
      expect(out[i]!.interests).toEqual(d.event.interests);
      expect(out[i]!.topTerms).toEqual(d.event.topTerms);
      expect(out[i]!.interests).toHaveLength(2);
      const want = centroidOf(d.event);
      const got = out[i]!.centroid;
      if (!want) return expect(got).toBeNull();
      expect(got).toHaveLength(512);
      got!.forEach((x, k) => expect(Math.abs(x - want[k]!), `${out[i]!.userId}[${k}]`).toBeLessThan(1e-6));
    });
    // and the same file from a path argument
    const file = join(tempDir('decode-profile'), 'events.jsonl');
    writeFileSync(file, `${lines[0]}\n`);
    const again = spawnSync('python3', [SCRIPT, file], { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).centroid).toEqual(out[0]!.centroid);
  });
});
