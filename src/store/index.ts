/**
 * The store's types and its Redis implementations. The Redis client itself (createRedis,
 * RedisClient) is not re-exported: only the assembly places import src/store/redis-client.ts
 * (.dependency-cruiser.cjs, redis-client-only-in-assembly), the rest holds a store.
 */
export type {
  EmbeddingCacheStore,
  ForgetReceipt,
  LoadedUser,
  ModelRegistryStore,
  ProcessorStatsFields,
  ProcessorStatsStore,
  ProfileStore,
  ProfileWrite,
  StoredHead,
  StoredProfile,
  SimilarEntry,
  Suppression,
  WriteResult,
} from './types.js';
export { RedisProfileStore, type RedisProfileStoreOptions } from './redis-store.js';
export { RedisModelRegistry } from './model-registry.js';
export { RedisEmbeddingCache, type RedisEmbeddingCacheOptions } from './embedding-cache.js';
export { RedisProcessorStats } from './processor-stats.js';
export { RedisHistory, type RedisHistoryOptions } from './history.js';
export { Keys, escapeUserId, similarShardOf, unescapeUserId } from './keys.js';
export { RedisSimilarSnapshot, decodeSimilarEntry, encodeSimilarEntry, type SimilarSnapshotOptions, type SnapshotRow } from './similar-snapshot.js';
export { WriteBehind } from './write-behind.js';
