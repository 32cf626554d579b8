--[[
  Apply one user's new profile state, atomically and at most once.

  The caller read the state at version ARGV[1], folded the batch's new events into it (skipping
  any whose offset is at or below the applied offset it read) and asks to write version ARGV[2].
  The write happens only if the stored version is still ARGV[1] AND the stored write token is
  still ARGV[11]: a compare-and-set that makes a stale writer (a zombie consumer after a rebalance,
  or a redelivery racing a retry) a no-op, so no event is ever counted twice.

  The token is new on every write (random per processor + a counter), so it tells apart two
  states that happen to carry the same version: a user erased and rebuilt to version n by another
  instance is not the version n this writer read or cached (no ABA). A state written before tokens
  existed has none, which compares equal to ''. Applied offsets live in the user's own hash, so the check and
  the write are one atomic step on one key (Redis Cluster safe).

  KEYS[1]  the user's profile hash
  KEYS[2]  the user's history list (same hash tag)
  ARGV[1]  expected current version (0 = the key must not exist)
  ARGV[2]  new version
  ARGV[3]  state meta (JSON)
  ARGV[4]  centroid (float32 LE bytes)
  ARGV[5]  applied offsets (JSON object "topic:partition" -> next offset)
  ARGV[6]  profile (JSON of the derived profile event)
  ARGV[7]  TTL in seconds (0 = none)
  ARGV[8]  updatedAt (epoch ms)
  ARGV[9]  history entry (JSON summary of this version; '' = none)
  ARGV[10] history length kept
  ARGV[11] expected current write token ('' = none)
  ARGV[12] new write token
  ARGV[13] optional: digests of the user's recent event ids (src/pipeline/fold.ts); absent = keep
  ARGV[14] optional: the namespace's continuity epoch this state belongs to (src/store/continuity.ts);
           absent or '' = keep. A state of an older epoch is not trusted by a later one.

  Returns {1, newVersion} when written, {0, currentVersion} on a version or token conflict.
]]
local cur = redis.call('HMGET', KEYS[1], 'v', 'tok')
local current = tonumber(cur[1] or '0')
if current ~= tonumber(ARGV[1]) or (cur[2] or '') ~= ARGV[11] then
  return {0, current}
end
redis.call('HSET', KEYS[1],
  'v', ARGV[2],
  'meta', ARGV[3],
  'c', ARGV[4],
  'applied', ARGV[5],
  'profile', ARGV[6],
  'upd', ARGV[8],
  'tok', ARGV[12])
if ARGV[13] then
  redis.call('HSET', KEYS[1], 'ids', ARGV[13])
end
if ARGV[14] and ARGV[14] ~= '' then
  redis.call('HSET', KEYS[1], 'ep', ARGV[14])
end
if ARGV[9] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[9])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[10]) - 1)
end
local ttl = tonumber(ARGV[7])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  if ARGV[9] ~= '' then redis.call('EXPIRE', KEYS[2], ttl) end
end
return {1, tonumber(ARGV[2])}
