-- A GCRA (generic cell rate algorithm) rate limiter, the algorithm of
-- the popular Redis rate-limit libraries (go-redis's redis_rate among
-- them), written out for bench/run.sh's scripts phase.
-- KEYS[1]: the limiter's key. ARGV: burst, rate, period (s), cost.
-- Returns {allowed, remaining, retry_after (s), reset_after (s)}.
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local interval = period / rate
local tolerance = interval * burst

local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local new_tat = tat + cost * interval
local diff = now - (new_tat - tolerance)
if diff < 0 then
  return {0, 0, tostring(-diff), tostring(tat - now)}
end
local reset = new_tat - now
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(reset * 1000))
return {1, math.floor(diff / interval), '-1', tostring(reset)}
