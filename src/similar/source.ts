/** What the API reads from the similar-users index (GET /v1/users/:id/similar, /readyz, metrics); kept current by the profiles consumer (consumers/profiles.ts). */
import type { SimilarHit } from './index.js';

export interface FollowerStatus {
  /** true once every partition was read up to its end offset at start-up */
  ready: boolean;
  users: number;
  profiles: number;
  tombstones: number;
  /** records that were not usable (bad JSON, centroid of another dimension) */
  skipped: number;
  dim: number | null;
  kernel: string | null;
  memoryBytes: number;
}

/** What the API needs from the similar-users index (GET /v1/users/:id/similar). */
export interface SimilarSource {
  status(): FollowerStatus;
  /** undefined when the user is not indexed */
  similarTo(userId: string, k: number): SimilarHit[] | undefined;
}
