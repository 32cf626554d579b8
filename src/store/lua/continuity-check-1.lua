--[[
  Read (and advance) a namespace's continuity record: which epoch of its state is in force and how
  far each topic-partition has been folded into it (src/store/continuity.ts).

  KEYS[1]  the namespace's continuity hash (<prefix>:<ns>:continuity)
  ARGV[1]  the checkpoint field of one topic-partition ("<topic>@<topicId>:<partition>")
  ARGV[2]  advance that checkpoint to at least this offset ('' = read only); done only when ...
  ARGV[3]  ... the stored epoch is this one (the caller's writes belong to it)

  Returns {epoch or false, floor, kind, checkpoint or false}.
]]
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'floor', 'kind')
if not cur[1] then
  return {false, '0', '', false}
end
if ARGV[2] ~= '' and cur[1] == ARGV[3] then
  local at = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
  if tonumber(ARGV[2]) > at then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  end
end
return {cur[1], cur[2] or '0', cur[3] or '', redis.call('HGET', KEYS[1], ARGV[1]) or false}
