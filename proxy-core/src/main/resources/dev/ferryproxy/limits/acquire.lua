-- Admits tunnels asked for together, in order: each takes a lease and a connection token from
-- every one of its subjects, all or none (Ferry, docs/limits.md). One call for a batch, so that a
-- burst of new tunnels costs Redis one script run, not one each.
-- KEYS, three per subject of each tunnel in turn: its leases (a sorted set: lease -> expiry, ms),
--   its rate bucket (the time it is empty again, ms), its quota total for the period.
-- ARGV: lease TTL (ms), tunnel count, then per tunnel: its lease name, its subject count, then
--   four per subject: most tunnels (0: none), connections per second (0: none), burst, quota
--   bytes (0: none).
-- Returns one string per tunnel: 'ok' when admitted, else 'SUBJECT REASON' (the refusing
--   subject's 1-based index among the tunnel's, and tunnels, rate or quota).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])

-- The tunnel whose subjects' limits start at ARGV[arg] and keys at KEYS[key].
local function admit(lease, count, arg, key)
  local rateEmptyAt = {}
  for i = 1, count do
    local a, k = arg + (i - 1) * 4, key + (i - 1) * 3
    local leases, bucket, quota = KEYS[k], KEYS[k + 1], KEYS[k + 2]
    local maxTunnels, perSecond = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    local burst, quotaBytes = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    if quotaBytes > 0 and tonumber(redis.call('GET', quota) or '0') >= quotaBytes then
      return i .. ' quota'
    end
    if maxTunnels > 0 then
      redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
      -- not this lease itself: a renewal can write it just before (the tunnel counts as open on
      -- its server while this call is on its way)
      local held = redis.call('ZCARD', leases)
      if redis.call('ZSCORE', leases, lease) then
        held = held - 1
      end
      if held >= maxTunnels then
        return i .. ' tunnels'
      end
    end
    if perSecond > 0 then
      local interval = 1000 / perSecond
      local base = math.max(tonumber(redis.call('GET', bucket) or '0'), now)
      if base - now > (burst - 1) * interval then
        return i .. ' rate'
      end
      rateEmptyAt[i] = base + interval
    end
  end
  for i = 1, count do
    local a, k = arg + (i - 1) * 4, key + (i - 1) * 3
    if tonumber(ARGV[a]) > 0 then
      redis.call('ZADD', KEYS[k], now + ttl, lease)
      redis.call('PEXPIRE', KEYS[k], ttl * 2)
    end
    if rateEmptyAt[i] then
      local burstMs = tonumber(ARGV[a + 2]) * 1000 / tonumber(ARGV[a + 1])
      redis.call('SET', KEYS[k + 1], tostring(rateEmptyAt[i]), 'PX', math.ceil(rateEmptyAt[i] - now + burstMs) + 1000)
    end
  end
  return 'ok'
end

local answers = {}
local arg, key = 3, 1
for t = 1, tonumber(ARGV[2]) do
  local lease, count = ARGV[arg], tonumber(ARGV[arg + 1])
  answers[t] = admit(lease, count, arg + 2, key)
  arg = arg + 2 + count * 4
  key = key + count * 3
end
return answers
