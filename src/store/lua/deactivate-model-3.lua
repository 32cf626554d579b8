--[[
  No registry model active (src/store/model-registry.ts): processors use the configured classifier.
  '' is pushed on the stack, so a rollback returns to the model that was active.

  KEYS[1]  active   (<prefix>:models:{registry}:active)
  KEYS[2]  stack    (<prefix>:models:{registry}:stack)
  KEYS[3]  history  (<prefix>:models:{registry}:history)
  ARGV[1]  time (ISO)
  ARGV[2]  cap of the history

  Returns the version that was active, or false (none was).
]]
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
redis.call('DEL', KEYS[1])
redis.call('LPUSH', KEYS[2], '')
redis.call('LPUSH', KEYS[3], cjson.encode({action = 'deactivate', from = cur, at = ARGV[1]}))
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
return cur
