--[[
  Start a continuity epoch for a namespace unless one is in force (the first processor to get here
  wins; the others adopt its epoch).

  KEYS[1]  the namespace's continuity hash (<prefix>:<ns>:continuity)
  ARGV[1]  epoch id (random)
  ARGV[2]  version floor: profile versions of this epoch are above it (0, or epoch ms after a loss)
  ARGV[3]  kind: fresh | adopted | lost
  ARGV[4]  created (epoch ms)
  ARGV[5]  why (a short text for operators)
  ARGV[6..] pairs of checkpoint field, offset to start with

  Returns {epoch, floor, kind, created} in force afterwards.
]]
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'floor', 'kind', 'created')
if cur[1] then
  return cur
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'floor', ARGV[2], 'kind', ARGV[3], 'created', ARGV[4], 'why', ARGV[5])
for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return {ARGV[1], ARGV[2], ARGV[3], ARGV[4]}
