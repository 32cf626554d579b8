/**
 * After publishing, each user's last record on the profiles topic must be the stored state: where
 * another writer moved the store on (or erased the user) after this processor's write, the stored
 * profile (or a tombstone) is published again, and that is confirmed in turn.
 */
import { describe, expect, it } from 'vitest';
import { confirmer, confirmPublished, correction } from '../../../src/pipeline/confirm.js';
import type { PublishedHead } from '../../../src/pipeline/stage.js';
import type { StoredHead } from '../../../src/store/index.js';

describe('correction', () => {
  const v5: PublishedHead = { version: 5, token: 'a.1' };
  it('nothing when the stored version and token are the ones published', () => {
    expect(correction(v5, { version: 5, token: 'a.1' })).toBeUndefined();
    expect(correction(null, null)).toBeUndefined();
  });
  it('the stored profile when another writer wrote after (a higher version, or the same version with another token)', () => {
    expect(correction(v5, { version: 6, token: 'b.1' })).toBe('stored');
    expect(correction(v5, { version: 5, token: 'b.7' })).toBe('stored'); // erased and rebuilt to 5 elsewhere
    expect(correction(null, { version: 1, token: 'b.2' })).toBe('stored'); // a comment after the erasure
  });
  it('a tombstone when the profile is gone (erased after this write)', () => {
    expect(correction(v5, null)).toBe('tombstone');
  });
});

/** A store whose heads move between calls, as another instance's writes would move them. */
function movingStore(states: Map<string, StoredHead | null>[]) {
  let call = 0;
  const reads: { users: string[]; withProfile: boolean }[] = [];
  return {
    reads,
    heads: async (userIds: readonly string[], withProfile: boolean) => {
      const now = states[Math.min(call++, states.length - 1)]!;
      reads.push({ users: [...userIds], withProfile });
      return new Map(userIds.map((u) => [u, now.get(u) ?? null] as const));
    },
  };
}

const head = (version: number, token: string, profile = `{"v":${version}}`): StoredHead => ({ version, token, profile });

describe('confirmPublished', () => {
  it('one read of versions and tokens when nothing moved', async () => {
    const store = movingStore([new Map([['carol', head(5, 'a.1')]])]);
    expect(await confirmPublished(store, new Map([['carol', { version: 5, token: 'a.1' }]]))).toBeUndefined();
    expect(store.reads).toEqual([{ users: ['carol'], withProfile: false }]);
  });

  it('publishes the stored profile of a user written after, a tombstone for one erased after, and names what they publish', async () => {
    const now = new Map<string, StoredHead | null>([
      ['carol', head(6, 'b.1')],
      ['dave', null],
      ['erin', head(2, 'a.3')],
    ]);
    const store = movingStore([now]);
    const c = await confirmPublished(
      store,
      new Map<string, PublishedHead>([
        ['carol', { version: 5, token: 'a.1' }],
        ['dave', { version: 3, token: 'a.2' }],
        ['erin', { version: 2, token: 'a.3' }],
      ]),
    );
    expect(c?.profiles).toEqual([
      { key: 'dave', value: null },
      { key: 'carol', value: '{"v":6}' },
    ]);
    expect([...c!.heads]).toEqual([
      ['dave', null],
      ['carol', { version: 6, token: 'b.1' }],
    ]);
    expect(store.reads[1]).toEqual({ users: ['carol'], withProfile: true });
  });

  it('confirmer checks what it published again, until the store holds still', async () => {
    const store = movingStore([
      new Map([['carol', head(6, 'b.1')]]), // round 1: versions
      new Map([['carol', head(6, 'b.1')]]), // round 1: the profile to publish again
      new Map([['carol', head(7, 'b.2')]]), // round 2: moved again meanwhile
      new Map([['carol', head(7, 'b.2')]]),
      new Map([['carol', head(7, 'b.2')]]), // round 3: still
    ]);
    const published: string[] = [];
    let next = confirmer(store, new Map([['carol', { version: 5, token: 'a.1' }]]));
    while (next) {
      const again = await next();
      if (!again) break;
      published.push(...again.profiles.map((r) => String(r.value)));
      next = again.confirm;
    }
    expect(published).toEqual(['{"v":6}', '{"v":7}']);
    expect(confirmer(store, new Map())).toBeUndefined();
  });
});
