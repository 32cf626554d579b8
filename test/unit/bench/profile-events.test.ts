/** The bench's profile-event figures (bench/lib/profile-events.ts): sizes of what a run published, and the encode micro-benchmark over its profiles. */
import { describe, expect, it } from 'vitest';
import { encodeCost, sizes } from '../../../bench/lib/profile-events.js';
import { buildProfileEvent, type EventCentroid, serializeProfileEvent } from '../../../src/pipeline/profile-event.js';
import { mulberry32 } from '../../../src/util/random.js';

function value(userId: string, version: number, centroid: EventCentroid): Buffer {
  const rnd = mulberry32(userId.length * 31 + version);
  const v = Array.from({ length: 512 }, () => rnd() - 0.5);
  const n = Math.hypot(...v);
  return Buffer.from(
    serializeProfileEvent(
      buildProfileEvent({
        userId,
        version,
        updatedAt: Date.UTC(2026, 11, 3),
        derived: {
          count: version,
          firstSeen: Date.UTC(2026, 11, 1),
          lastSeen: Date.UTC(2026, 11, 2),
          interests: [{ label: 'sports', score: 1.5, share: 0.6, confidence: 0.3 }],
          centroid: v.map((x) => x / n),
          topTerms: [{ term: 'ball', score: 1 }],
          evidence: { sports: ['c-1'] },
        },
        embedder: { id: 'm', dim: 512 },
        classifier: { kind: 'zero-shot', version: 'x' },
        causedBy: [`e-${version}`],
        namespace: 'main',
        centroid,
      }),
    ),
  );
}

describe('bench profile-event figures', () => {
  it('sizes: value bytes and the schemaVersions seen', () => {
    const values = [value('a', 1, 'compact'), value('a', 2, 'compact'), value('bb', 1, 'decimal')];
    const s = sizes(values);
    expect(s.events).toBe(3);
    expect(s.schemaVersions).toEqual({ '1': 1, '2': 2 });
    expect(s.valueBytes.max).toBe(Math.max(...values.map((v) => v.length)));
    expect(s.valueBytes.max).toBeGreaterThan(4000); // the decimal one
  });

  it('encodeCost: times every encoding over the latest profile of each user, with the bytes each gives', () => {
    const e = encodeCost([value('a', 1, 'compact'), value('a', 2, 'compact'), value('bb', 1, 'decimal'), value('ccc', 1, 'none')], 2);
    expect(e.profiles).toBe(2); // ccc has no centroid to rebuild the profile from
    for (const m of ['decimal', 'compact', 'none'] as const) {
      expect(e.byEncoding[m].usPerEvent).toBeGreaterThan(0);
      expect(e.byEncoding[m].parseUs).toBeGreaterThan(0);
    }
    expect(e.byEncoding.compact.bytes.max).toBeLessThan(e.byEncoding.decimal.bytes.p50 / 2);
    expect(e.byEncoding.none.bytes.max).toBeLessThan(e.byEncoding.compact.bytes.p50);
  });
});
