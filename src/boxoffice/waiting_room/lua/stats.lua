-- stats: ARGV[7] now. Expires lapsed active passes first, so the figures are those of this instant:
-- {waiting (line + pre-queue), active, admitted_last_minute, admitted_total, expired_total,
--  abandoned_total, prequeue}.
local now = tonumber(ARGV[7])
expire_active(now)
local prequeue = redis.call('SCARD', K_PREQUEUE)
local totals = redis.call('HMGET', K_TOTALS, 'admitted_total', 'expired_total', 'abandoned_total')
return { redis.call('ZCARD', K_LINE) + prequeue, redis.call('ZCARD', K_ACTIVE),
  admitted_since(now - WINDOW), tonumber(totals[1]) or 0, tonumber(totals[2]) or 0,
  tonumber(totals[3]) or 0, prequeue }
