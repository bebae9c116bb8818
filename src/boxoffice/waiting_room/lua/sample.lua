-- sample: ARGV[7] now, ARGV[8] the time slot, ARGV[9] how many slots are kept. Keeps the room's
-- figures of this instant (as `stats` counts them: lapsed active passes expired first) as the
-- sample of the slot, "waiting,active,admitted_total", unless an instance kept one for it
-- already; drops the samples of slots past the kept ones. One hash, PREFIX..'samples'.
local now, slot, kept = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local key = PREFIX .. 'samples'
if redis.call('HEXISTS', key, slot) == 1 then return 0 end
expire_active(now)
local admitted = tonumber(redis.call('HGET', K_TOTALS, 'admitted_total')) or 0
local waiting = redis.call('ZCARD', K_LINE) + redis.call('SCARD', K_PREQUEUE)
redis.call('HSET', key, slot, waiting .. ',' .. redis.call('ZCARD', K_ACTIVE) .. ',' .. admitted)
for _, old in ipairs(redis.call('HKEYS', key)) do
  if tonumber(old) <= slot - kept then redis.call('HDEL', key, old) end
end
return 1
