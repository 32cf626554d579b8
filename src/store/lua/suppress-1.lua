--[[
  Record (merge) an erasure suppression: events at or before ts, or below the given offsets, of
  this user are dropped from now on. Merging keeps the largest ts and offsets, so applying the same
  forget event twice, or two forgets in any order, gives the same result.

  KEYS[1]  the user's suppression hash (<prefix>:forgotten:<sha256 of the user id>)
  ARGV[1]  ts (epoch ms)
  ARGV[2]  offsets (JSON object "topic:partition" -> first offset NOT suppressed)

  Returns the merged ts.
]]
local ts = tonumber(ARGV[1])
local old_ts = tonumber(redis.call('HGET', KEYS[1], 'ts') or '-1')
if old_ts > ts then ts = old_ts end
local offsets = cjson.decode(ARGV[2])
local old = redis.call('HGET', KEYS[1], 'offsets')
if old then
  for tp, off in pairs(cjson.decode(old)) do
    if offsets[tp] == nil or offsets[tp] < off then offsets[tp] = off end
  end
end
redis.call('HSET', KEYS[1], 'ts', string.format('%d', ts), 'offsets', cjson.encode(offsets))
return ts
