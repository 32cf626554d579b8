export type { ForgetReceipt, LoadedUser, ProfileStore, ProfileWrite, StoredProfile, Suppression, WriteResult } from './types.js';
export { RedisProfileStore, type RedisProfileStoreOptions } from './redis-store.js';
export { createRedis, type RedisClient } from './redis-client.js';
export { Keys, escapeUserId, unescapeUserId } from './keys.js';
