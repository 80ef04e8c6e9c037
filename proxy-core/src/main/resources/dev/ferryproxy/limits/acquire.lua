-- Takes a tunnel lease and a connection token from every subject, all or none (Ferry, docs/limits.md).
-- KEYS, three per subject: its leases (a sorted set: lease -> expiry, ms), its rate bucket (the
--   time it is empty again, ms), its quota total for the period.
-- ARGV: lease name, lease TTL (ms), subject count, then four per subject: most tunnels (0: none),
--   connections per second (0: none), burst, quota bytes (0: none).
-- Returns {1} when admitted, else {0, subject index (1-based), reason}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease, ttl, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local rateEmptyAt = {}
for i = 1, count do
  local leases, bucket, quota = KEYS[i * 3 - 2], KEYS[i * 3 - 1], KEYS[i * 3]
  local maxTunnels = tonumber(ARGV[i * 4])
  local perSecond = tonumber(ARGV[i * 4 + 1])
  local burst = tonumber(ARGV[i * 4 + 2])
  local quotaBytes = tonumber(ARGV[i * 4 + 3])
  if quotaBytes > 0 and tonumber(redis.call('GET', quota) or '0') >= quotaBytes then
    return {0, i, 'quota'}
  end
  if maxTunnels > 0 then
    redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
    -- not this lease itself: a renewal can write it just before (the tunnel counts as open on its
    -- server while this call is on its way)
    local held = redis.call('ZCARD', leases)
    if redis.call('ZSCORE', leases, lease) then
      held = held - 1
    end
    if held >= maxTunnels then
      return {0, i, 'tunnels'}
    end
  end
  if perSecond > 0 then
    local interval = 1000 / perSecond
    local base = math.max(tonumber(redis.call('GET', bucket) or '0'), now)
    if base - now > (burst - 1) * interval then
      return {0, i, 'rate'}
    end
    rateEmptyAt[i] = base + interval
  end
end
for i = 1, count do
  local leases, bucket = KEYS[i * 3 - 2], KEYS[i * 3 - 1]
  if tonumber(ARGV[i * 4]) > 0 then
    redis.call('ZADD', leases, now + ttl, lease)
    redis.call('PEXPIRE', leases, ttl * 2)
  end
  if rateEmptyAt[i] then
    local burstMs = tonumber(ARGV[i * 4 + 2]) * 1000 / tonumber(ARGV[i * 4 + 1])
    redis.call('SET', bucket, tostring(rateEmptyAt[i]), 'PX', math.ceil(rateEmptyAt[i] - now + burstMs) + 1000)
  end
end
return {1}
