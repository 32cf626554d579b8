--[[
  Set a user's entry in a similar-users snapshot shard (src/store/similar-snapshot.ts), only when
  its profile version is newer than the stored entry's: writes from two processors (a rebalance) or
  a late write-behind arriving out of order never put an older centroid back.

  KEYS[1]  the shard hash
  ARGV[1]  the user id (the field)
  ARGV[2]  the profile version (a positive integer)
  ARGV[3]  the record: float32 LE scale, then one int8 per component (src/util/int8.ts quantize)

  The stored value is '<version>:' followed by the record. Returns 1 when written, 0 when the stored
  version is the same or newer.
]]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local v = tonumber(string.match(cur, '^(%d+):'))
  if v and v >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1
