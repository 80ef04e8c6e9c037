-- Admits tunnels asked for together, in order: each takes a lease and a connection token from
-- every one of its subjects, all or none (Ferry, docs/limits.md). One call for a batch, so that a
-- burst of new tunnels costs Redis one script run, not one each.
-- KEYS, three per subject of each tunnel in turn: its leases (a sorted set: lease -> expiry, ms),
--   its rate bucket (the time it is empty again, ms), its quota total for the period.
-- ARGV: lease TTL (ms), tunnel count, then per tunnel: its lease name, its subject count (negative
--   for a top-up: spares for no tunnel, its own lease and token taken only with them), then
--   five per subject: most tunnels (0: none), connections per second (0: none), burst, quota
--   bytes (0: none), spares wanted (0: none).
-- Returns one string per tunnel: 'ok' when admitted, followed by the spares granted per subject
--   when any was wanted ('ok 16 0'); else 'SUBJECT REASON' (the refusing subject's 1-based index
--   among the tunnel's, and tunnels, rate or quota).
-- Spares: an admitted tunnel's server may ask for more slots and tokens of a subject at once (a
--   lease each, named LEASE.1, LEASE.2, ..., and a token each), to admit its next tunnels without
--   a call. Granted only while the fleet stays at or below half of the subject's tunnels, keeps
--   at least half its burst of tokens and has reserved at most half its quota, so that near a
--   limit every tunnel is checked here again.
-- Each key is read once per run and its expiry and bucket written once at the end: the tunnels
-- of a batch mostly share their subjects, and each call into Redis is most of a script's cost.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])

local held = {}        -- leases key -> live leases, counted once (after dropping the expired)
local emptyAt = {}     -- rate bucket key -> when it is empty again, as this run leaves it
local burstMsOf = {}   -- rate bucket key -> its burst in ms, for its expiry
local quotaUsed = {}   -- quota key -> bytes reserved in the period
local leaseKeys = {}   -- leases keys that took a lease, to expire at the end

local function liveLeases(key)
  if held[key] == nil then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    held[key] = redis.call('ZCARD', key)
  end
  return held[key]
end

local function rateBase(key)
  if emptyAt[key] == nil then
    emptyAt[key] = math.max(tonumber(redis.call('GET', key) or '0'), now)
  end
  return emptyAt[key]
end

local function quotaOf(key)
  if quotaUsed[key] == nil then
    quotaUsed[key] = tonumber(redis.call('GET', key) or '0')
  end
  return quotaUsed[key]
end

-- The tunnel whose subjects' limits start at ARGV[arg] and keys at KEYS[key].
local function admit(lease, count, sparesOnly, arg, key)
  local nextEmptyAt = {}
  for i = 1, count do
    local a, k = arg + (i - 1) * 5, key + (i - 1) * 3
    local maxTunnels, perSecond = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    local burst, quotaBytes = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    if quotaBytes > 0 and quotaOf(KEYS[k + 2]) >= quotaBytes then
      return i .. ' quota'
    end
    if maxTunnels > 0 then
      local others = liveLeases(KEYS[k])
      -- not this lease itself: a renewal can write it just before (the tunnel counts as open on
      -- its server while this call is on its way)
      if redis.call('ZSCORE', KEYS[k], lease) then
        others = others - 1
      end
      if others >= maxTunnels then
        return i .. ' tunnels'
      end
    end
    if perSecond > 0 then
      local interval = 1000 / perSecond
      local base = rateBase(KEYS[k + 1])
      if base - now > (burst - 1) * interval then
        return i .. ' rate'
      end
      nextEmptyAt[i] = base + interval
    end
  end
  -- the spares each subject grants, before anything is written
  local granted, anyWanted, allGrant = {}, false, true
  for i = 1, count do
    local a, k = arg + (i - 1) * 5, key + (i - 1) * 3
    local maxTunnels, perSecond = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    local spares = tonumber(ARGV[a + 4])
    anyWanted = anyWanted or spares > 0
    local quotaBytes = tonumber(ARGV[a + 3])
    if quotaBytes > 0 and quotaOf(KEYS[k + 2]) > quotaBytes / 2 then
      -- past half the quota: tunnels are checked one by one again, so that a spent quota refuses them
      spares = 0
    end
    if maxTunnels > 0 then
      spares = math.min(spares, math.floor(maxTunnels / 2) - (held[KEYS[k]] + 1))
    end
    if nextEmptyAt[i] then
      local interval = 1000 / perSecond
      local burst = tonumber(ARGV[a + 2])
      spares = math.min(spares, math.floor((burst / 2 * interval - (nextEmptyAt[i] - now)) / interval))
    end
    granted[i] = math.max(spares, 0)
    allGrant = allGrant and granted[i] > 0
  end
  if sparesOnly and not allGrant then
    -- a top-up for no tunnel takes nothing unless every subject grants spares
    for i = 1, count do
      granted[i] = 0
    end
    return 'ok ' .. table.concat(granted, ' ')
  end
  for i = 1, count do
    local a, k = arg + (i - 1) * 5, key + (i - 1) * 3
    local maxTunnels, perSecond = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    local spares = granted[i]
    if maxTunnels > 0 then
      local members = {now + ttl, lease}
      for j = 1, spares do
        members[2 * j + 1] = now + ttl
        members[2 * j + 2] = lease .. '.' .. j
      end
      held[KEYS[k]] = held[KEYS[k]] + redis.call('ZADD', KEYS[k], unpack(members))
      leaseKeys[KEYS[k]] = true
    end
    if nextEmptyAt[i] then
      emptyAt[KEYS[k + 1]] = nextEmptyAt[i] + spares * 1000 / perSecond
      burstMsOf[KEYS[k + 1]] = tonumber(ARGV[a + 2]) * 1000 / perSecond
    end
  end
  if anyWanted then
    return 'ok ' .. table.concat(granted, ' ')
  end
  return 'ok'
end

local answers = {}
local arg, key = 3, 1
for t = 1, tonumber(ARGV[2]) do
  local lease, count = ARGV[arg], tonumber(ARGV[arg + 1])
  local sparesOnly = count < 0
  count = math.abs(count)
  answers[t] = admit(lease, count, sparesOnly, arg + 2, key)
  arg = arg + 2 + count * 5
  key = key + count * 3
end
for leases in pairs(leaseKeys) do
  redis.call('PEXPIRE', leases, ttl * 2)
end
for bucket, burstMs in pairs(burstMsOf) do
  redis.call('SET', bucket, tostring(emptyAt[bucket]), 'PX', math.ceil(emptyAt[bucket] - now + burstMs) + 1000)
end
return answers
