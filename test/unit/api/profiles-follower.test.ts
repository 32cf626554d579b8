/** The similar-users index's reader of the profiles topic (consumers/profiles.ts), record by record: both event versions. */
import { describe, expect, it } from 'vitest';
import { ProfilesFollower } from '../../../consumers/profiles.js';
import type { KafkaClient } from '../../../src/kafka/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { fakeProfile, fakeProfileV2 } from './fakes.js';

const follower = () => new ProfilesFollower({} as KafkaClient, { topic: 'profiles', groupPrefix: 'test', log: silentLogger });
const rec = (userId: string, value: unknown) => [Buffer.from(userId), value === null ? null : Buffer.from(JSON.stringify(value))] as const;

describe('ProfilesFollower.apply', () => {
  it('indexes the centroid of schemaVersion 1 (decimals) and 2 (int8) alike', () => {
    const f = follower();
    f.apply(...rec('a', { ...fakeProfile('a'), centroid: [1, 0] }));
    f.apply(...rec('b', { ...fakeProfileV2('b'), version: 4 }));
    f.apply(...rec('c', { ...fakeProfileV2('c'), centroid: { encoding: 'int8', scale: 1 / 127, data: Buffer.from([0, 127]).toString('base64') } }));
    expect(f.status()).toMatchObject({ users: 3, profiles: 3, skipped: 0, dim: 2 });
    // b is (0.6, 0.8): nearer to c (0, 1) than to a (1, 0)
    const hits = f.similarTo('b', 2)!;
    expect(hits.map((h) => h.userId)).toEqual(['c', 'a']);
    expect(hits[0]!.score).toBeCloseTo(0.8, 2);
    expect(hits[1]!.score).toBeCloseTo(0.6, 2);
  });

  it('skips events without a usable centroid (none written, wrong length, not base64) and removes on a tombstone', () => {
    const f = follower();
    f.apply(...rec('a', fakeProfileV2('a')));
    f.apply(...rec('n', fakeProfileV2('n', 1, 'none')));
    f.apply(...rec('w', { ...fakeProfileV2('w'), centroid: { encoding: 'int8', scale: 0.01, data: Buffer.from([1, 2, 3]).toString('base64') } }));
    f.apply(...rec('x', { ...fakeProfileV2('x'), centroid: { encoding: 'int8', scale: 0.01, data: '!!' } }));
    f.apply(...rec('y', { ...fakeProfile('y'), centroid: [1, 0, 0] }));
    f.apply(Buffer.from('z'), Buffer.from('{'));
    expect(f.status()).toMatchObject({ users: 1, profiles: 1, skipped: 5 });
    f.apply(...rec('a', null));
    expect(f.status()).toMatchObject({ users: 0, tombstones: 1 });
  });
});
