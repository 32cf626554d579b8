import { Buffer } from 'node:buffer';
import { int8Centroid, interestTuple, roundCentroid, topTermTuple, type DecodeOptions, type ProfileEventV1, type ProfileEventV2, type ProfileViewV2, type RawRecord } from '../../../src/events/index.js';

export const NOW = Date.UTC(2025, 4, 1, 12, 0, 0);
export const OPTS: DecodeOptions = { maxRecordBytes: 1_048_576, now: NOW, maxFutureMs: 5 * 60_000, minTs: Date.UTC(2000, 0, 1) };

export function comment(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'comment',
    schemaVersion: 1,
    eventId: 'evt-1',
    userId: 'user-1',
    commentId: 'c-1',
    text: '今天的比赛太精彩了，梅西进了两个球',
    ts: '2025-05-01T10:00:00+08:00',
    ...over,
  };
}

export function rec(value: unknown, key: string | Buffer | null = null): RawRecord {
  const v = value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
  const k = key === null ? null : Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
  return { key: k, value: v };
}

/** A schemaVersion 1 profile event (the centroid as decimals). */
export function profileEvent(over: Partial<ProfileEventV1> = {}): ProfileEventV1 {
  const dim = 4;
  return {
    schemaVersion: 1,
    userId: 'u:{1}*',
    version: 3,
    updatedAt: '2025-05-01T12:00:00.000Z',
    firstSeen: '2025-04-01T12:00:00.000Z',
    lastSeen: '2025-05-01T11:00:00.000Z',
    commentCount: 7,
    interests: [
      { label: 'sports', score: 4.2, share: 0.6, confidence: 0.42 },
      { label: 'food_dining', score: 2.1, share: 0.3, confidence: 0.21 },
    ],
    centroid: roundCentroid([0.5, 0.5, 0.5, 0.5]),
    topTerms: [{ term: '梅西', score: 2.5 }],
    evidence: { sports: ['c7', 'c3'], food_dining: ['c5'] },
    embedder: { id: 'BAAI/bge-small-zh-v1.5@q8/cls', dim },
    classifier: { kind: 'zero-shot', version: 'abcdef0123456789' },
    causedBy: ['evt-7'],
    namespace: 'main',
    ...over,
  };
}

/** The same profile as schemaVersion 2 on the wire (the centroid as int8 with its scale, interests and terms as arrays). */
export function profileEventV2(over: Partial<ProfileEventV2> = {}): ProfileEventV2 {
  const { schemaVersion: _v, centroid: _c, interests, topTerms, ...rest } = profileEvent();
  return { schemaVersion: 2, ...rest, interests: interests.map(interestTuple), topTerms: topTerms.map(topTermTuple), centroid: int8Centroid([0.5, 0.5, 0.5, 0.5]), ...over };
}

/** profileEventV2() as readers see it (decodeProfileEvent, the API): interests and terms as objects. */
export function profileViewV2(over: Partial<ProfileViewV2> = {}): ProfileViewV2 {
  const { schemaVersion: _v, centroid: _c, ...rest } = profileEvent();
  return { schemaVersion: 2, ...rest, centroid: int8Centroid([0.5, 0.5, 0.5, 0.5]), ...over };
}
