--[[
  Roll the model registry back (src/store/model-registry.ts): pop the top of the stack (the active
  version, or '' after a deactivation); the entry below becomes active ('' or nothing left: no
  registry model is active, processors use the configured classifier).

  KEYS[1]  active   (<prefix>:models:{registry}:active)
  KEYS[2]  stack    (<prefix>:models:{registry}:stack)
  KEYS[3]  history  (<prefix>:models:{registry}:history)
  ARGV[1]  time (ISO)
  ARGV[2]  cap of the history

  Returns {0} when there is nothing to roll back, else {1, from, to} ('' = none).
]]
local top = redis.call('LINDEX', KEYS[2], 0)
if not top then return {0} end
redis.call('LPOP', KEYS[2])
local prev = redis.call('LINDEX', KEYS[2], 0) or ''
if prev ~= '' then redis.call('SET', KEYS[1], prev) else redis.call('DEL', KEYS[1]) end
redis.call('LPUSH', KEYS[3], cjson.encode({action = 'rollback', from = top, version = prev, at = ARGV[1]}))
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
return {1, top, prev}
