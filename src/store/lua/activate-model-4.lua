--[[
  Make a registered model version the active one (the model registry, src/store/model-registry.ts).
  Every key carries the hash tag {registry}: one Redis Cluster slot.

  KEYS[1]  active             (<prefix>:models:{registry}:active)
  KEYS[2]  stack              (<prefix>:models:{registry}:stack)
  KEYS[3]  history            (<prefix>:models:{registry}:history)
  KEYS[4]  artifact:<version> (<prefix>:models:{registry}:artifact:<version>)
  ARGV[1]  version
  ARGV[2]  history entry (JSON)
  ARGV[3]  cap of the stack and the history

  Returns -1 when the version is not registered, 0 when it is already active, 1 when activated.
]]
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[3]) - 1)
return 1
