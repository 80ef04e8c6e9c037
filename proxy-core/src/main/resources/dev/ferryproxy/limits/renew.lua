-- Extends (or takes again, after the store lost them) the leases of tunnels still open (Ferry).
-- KEYS[1]: a subject's leases. ARGV: TTL (ms), then the lease names.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return #ARGV - 1
