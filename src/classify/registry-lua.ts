/**
 * The model registry's Redis scripts (docs/redis-keys.md, "Model registry"). Every key they touch
 * carries the hash tag {registry}, so each script runs on one Redis Cluster slot. Kept inline: they
 * are short and only src/classify/registry.ts runs them.
 */

/**
 * activate-model-4
 * KEYS[1] active    KEYS[2] stack    KEYS[3] history    KEYS[4] artifact:<version>
 * ARGV[1] version   ARGV[2] history entry (JSON)   ARGV[3] cap of the stack and the history
 * returns -1 when the version is not registered, 0 when it is already active, 1 when activated
 */
export const ACTIVATE_MODEL = `
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[3]) - 1)
return 1
`;

/**
 * rollback-model-3: pop the top of the stack (the active version, or '' after a deactivation); the
 * entry below becomes active ('' or nothing left: no registry model is active, processors use the
 * configured classifier).
 * KEYS[1] active    KEYS[2] stack    KEYS[3] history
 * ARGV[1] time (ISO)   ARGV[2] cap of the history
 * returns {0} when there is nothing to roll back, else {1, from, to} ('' = none)
 */
export const ROLLBACK_MODEL = `
local top = redis.call('LINDEX', KEYS[2], 0)
if not top then return {0} end
redis.call('LPOP', KEYS[2])
local prev = redis.call('LINDEX', KEYS[2], 0) or ''
if prev ~= '' then redis.call('SET', KEYS[1], prev) else redis.call('DEL', KEYS[1]) end
redis.call('LPUSH', KEYS[3], cjson.encode({action = 'rollback', from = top, version = prev, at = ARGV[1]}))
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
return {1, top, prev}
`;

/**
 * deactivate-model-3: no registry model active; '' is pushed on the stack, so a rollback returns to
 * the model that was active.
 * KEYS[1] active    KEYS[2] stack    KEYS[3] history
 * ARGV[1] time (ISO)   ARGV[2] cap of the history
 * returns the version that was active, or false
 */
export const DEACTIVATE_MODEL = `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
redis.call('DEL', KEYS[1])
redis.call('LPUSH', KEYS[2], '')
redis.call('LPUSH', KEYS[3], cjson.encode({action = 'deactivate', from = cur, at = ARGV[1]}))
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
return cur
`;
