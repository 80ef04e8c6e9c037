-- Charges bytes relayed by one server to the fleet's buckets and quota totals (Ferry, docs/limits.md).
-- KEYS, three per subject: its upload bucket, its download bucket (each: the time it is empty
--   again, ms), its quota total for the period.
-- ARGV: subject count, then six per subject: bytes up, upload rate (B/s, 0: none), bytes down,
--   download rate, quota bytes to add, the period's end (epoch seconds; 0 without a quota).
-- A bucket lets a tenth of a second of its rate through at once, and at least 64 KiB (as each
-- server's own bucket does: SubjectState.burstBytes).
-- Returns, per subject: ms the uploads must wait, ms the downloads must wait, the quota total.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local count = tonumber(ARGV[1])
local answer = {}
local function charge(bucket, bytes, rate)
  if rate <= 0 then
    return 0
  end
  local burst = math.max(65536, math.floor(rate / 10))
  local emptyAt = math.max(tonumber(redis.call('GET', bucket) or '0'), now) + bytes * 1000 / rate
  local burstMs = burst * 1000 / rate
  redis.call('SET', bucket, tostring(emptyAt), 'PX', math.ceil(emptyAt - now + burstMs) + 1000)
  return math.max(0, math.ceil(emptyAt - now - burstMs))
end
for i = 1, count do
  local a = (i - 1) * 6 + 1
  answer[#answer + 1] = charge(KEYS[i * 3 - 2], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]))
  answer[#answer + 1] = charge(KEYS[i * 3 - 1], tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]))
  local quotaBytes, periodEnd = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  local total = 0
  if periodEnd > 0 then
    total = redis.call('INCRBY', KEYS[i * 3], quotaBytes)
    -- kept an hour past its period, for a late charge; then it goes by itself
    redis.call('EXPIREAT', KEYS[i * 3], periodEnd + 3600)
  end
  answer[#answer + 1] = total
end
return answer
