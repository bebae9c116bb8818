-- stats: ARGV[7] now. Expires lapsed active passes first, so the figures are those of this instant:
-- {waiting (line + pre-queue), active, admitted_last_minute, admitted_total, expired_total,
--  abandoned_total, prequeue, kept_from_higher_cap}.
local now = tonumber(ARGV[7])
expire_active(now)
local prequeue = redis.call('SCARD', K_PREQUEUE)
local totals = redis.call('HMGET', K_TOTALS, 'admitted_total', 'expired_total', 'abandoned_total')
-- The passes kept when max_active was lowered (policy.lua) that are still active.
local kept = kept_key()
for _, id in ipairs(redis.call('ZRANGE', kept, 0, -1)) do
  if not redis.call('ZSCORE', K_ACTIVE, id) then redis.call('ZREM', kept, id) end
end
return { redis.call('ZCARD', K_LINE) + prequeue, redis.call('ZCARD', K_ACTIVE),
  admitted_since(now - WINDOW), tonumber(totals[1]) or 0, tonumber(totals[2]) or 0,
  tonumber(totals[3]) or 0, prequeue, redis.call('ZCARD', kept) }
