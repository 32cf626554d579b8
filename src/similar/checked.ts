/**
 * Similar users with erased users left out: the index (in memory, kept current from the profiles
 * topic or the snapshot) can lag an erasure, or hold a user whose keys expired; before answering,
 * the API checks that the queried user and every candidate still have a profile (one pipelined
 * round trip: RedisProfileStore.existing), drops the missing ones from the index and asks for more
 * when too few are left. An erased user never appears in an answer, whatever the index holds.
 */
import type { SimilarHit } from './index.js';
import type { FollowerStatus, SimilarSource } from './source.js';

export interface DroppingSource extends SimilarSource {
  /** forget a user the index still holds (optional: a source that cannot, keeps it, filtered every time) */
  drop?(userId: string): void;
}

/** Candidates asked for beyond k, so that a few missing users need no second round. */
const SLACK = 5;
const MAX_ROUNDS = 4;

export class CheckedSimilar implements SimilarSource {
  constructor(
    private readonly source: DroppingSource,
    /** whether each user still has a profile (same order) */
    private readonly exists: (userIds: string[]) => Promise<boolean[]>,
  ) {}

  status(): FollowerStatus {
    return this.source.status();
  }

  async similarTo(userId: string, k: number): Promise<SimilarHit[] | undefined> {
    let want = k + SLACK;
    for (let round = 1; ; round++) {
      const hits = await this.source.similarTo(userId, want);
      if (!hits) return undefined;
      const ok = await this.exists([userId, ...hits.map((h) => h.userId)]);
      if (!ok[0]) {
        this.source.drop?.(userId);
        return undefined;
      }
      const live: SimilarHit[] = [];
      hits.forEach((h, i) => {
        if (ok[i + 1]) live.push(h);
        else this.source.drop?.(h.userId);
      });
      // enough, or the index has no more, or it keeps the missing users (cannot drop them)
      if (live.length >= k || hits.length < want || round === MAX_ROUNDS) return live.slice(0, k);
      want *= 2;
    }
  }
}
