-- Charges bytes relayed by one server to the fleet's bandwidth buckets (Ferry, docs/limits.md).
-- KEYS, two per subject: its upload bucket, its download bucket (each: the time it is empty
--   again, ms).
-- ARGV: subject count, then four per subject: bytes up, upload rate (B/s, 0: none), bytes down,
--   download rate.
-- A bucket lets a tenth of a second of its rate through at once, and at least 64 KiB (as each
-- server's own bucket does: SubjectState.burstBytes).
-- Returns, per subject: ms the uploads must wait, ms the downloads must wait.
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
  local a = (i - 1) * 4 + 1
  answer[#answer + 1] = charge(KEYS[i * 2 - 1], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]))
  answer[#answer + 1] = charge(KEYS[i * 2], tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]))
end
return answer
