-- Reserves bytes of a subject's quota for one server before it relays them (Ferry, docs/limits.md).
-- KEYS[1]: the quota total for the period. ARGV: the bytes wanted, the quota, the period's end
--   (epoch seconds).
-- Returns {bytes granted (0 when the quota is spent), the total reserved fleet-wide}.
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local quota = tonumber(ARGV[2])
if used >= quota then
  return {0, used}
end
local grant = math.min(tonumber(ARGV[1]), quota - used)
local total = redis.call('INCRBY', KEYS[1], grant)
-- kept an hour past its period; then it goes by itself
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[3]) + 3600)
return {grant, total}
