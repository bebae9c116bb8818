-- stats: ARGV[7] now. Expires lapsed active passes first, so the figures are those of this instant:
-- {waiting (line + pre-queue), active, admitted_last_minute, admitted_total, expired_total,
--  abandoned_total, prequeue, kept_from_higher_cap}.
local now = tonumber(ARGV[7])
expire_active(now)
local prequeue = redis.call('SCARD', K_PREQUEUE)
local totals = redis.call('HMGET', K_TOTALS, 'admitted_total', 'expired_total', 'abandoned_total')
-- The passes kept when max_active was lowered (policy.lua) that are still active, no more than
-- their cap.
local kept = kept_key()
local still = 0
if redis.call('EXISTS', kept) == 1 then
  still = redis.call('ZINTERSTORE', kept, 2, kept, K_ACTIVE, 'WEIGHTS', 1, 0)
  local cap = tonumber(redis.call('HGET', K_POLICY, 'kept_cap'))
  if cap ~= nil then still = math.min(still, cap) end
end
return { redis.call('ZCARD', K_LINE) + prequeue, redis.call('ZCARD', K_ACTIVE),
  admitted_since(now - WINDOW), tonumber(totals[1]) or 0, tonumber(totals[2]) or 0,
  tonumber(totals[3]) or 0, prequeue, still }
