-- admit: ARGV[7] now, ARGV[8] random seed (31 bits, drawn by the caller from a CSPRNG).
-- Every instance runs this on its own schedule; as one atomic step it can never admit past
-- max_active or the token bucket however many run at once. Returns the admitted pass ids.
local now, seed = tonumber(ARGV[7]), tonumber(ARGV[8])
expire_active(now)
local policy = load_policy()
if policy.opens_at ~= nil and now < policy.opens_at then return {} end
-- After a lost store, nobody is let in until the fans still away have had time to come back
-- and take their places (restore.lua): else whoever came back first would go first.
local recovering_until = tonumber(redis.call('HGET', K_POLICY, 'recovering_until'))
if recovering_until ~= nil and now < recovering_until then return {} end

open_prequeue(seed, now)

-- Token bucket, as refill_tokens and admissible in domain.py.
local bucket = redis.call('HMGET', K_BUCKET, 'tokens', 'last_refill')
local tokens = tonumber(bucket[1]) or policy.burst
local last_refill = tonumber(bucket[2]) or now
tokens = math.min(policy.burst, tokens + math.max(0, now - last_refill) * policy.rate)
-- Instances' clocks differ a little, and a caller's `now` was read a moment before its script
-- runs: the refill mark never moves back, or a lagging caller would let the next one refill the
-- same interval twice and admit faster than the rate; and admissions are stamped with that
-- mark, so that their times follow the order the line was let in, whoever let them in.
local mark = math.max(last_refill, now)
local free_slots = policy.max_active - redis.call('ZCARD', K_ACTIVE)
local count = math.max(0, math.min(free_slots, math.floor(tokens), redis.call('ZCARD', K_LINE)))

local admitted = {}
if count > 0 then
  local popped = redis.call('ZPOPMIN', K_LINE, count)
  for i = 1, #popped, 2 do
    local id = popped[i]
    -- As domain.claim_deadline: the claim window starts now, or when the fan is due back.
    local due_at = tonumber(redis.call('HGET', pass_key(id), 'due_at'))
    local active_until = fmt(math.max(mark, due_at or mark) + policy.claim_window)
    redis.call('HSET', pass_key(id), 'status', 'ACTIVE', 'admitted_at', fmt(mark),
      'active_until', active_until)
    redis.call('ZADD', K_ACTIVE, active_until, id)
    redis.call('ZADD', K_ADMISSIONS, fmt(mark), id)
    table.insert(admitted, id)
  end
  redis.call('HINCRBY', K_TOTALS, 'admitted_total', count)
end
redis.call('HSET', K_BUCKET, 'tokens', fmt(tokens - count), 'last_refill', fmt(mark))
-- Older admissions no longer count towards admitted_last_minute; trimming keeps the set small.
redis.call('ZREMRANGEBYSCORE', K_ADMISSIONS, '-inf', fmt(now - WINDOW))
return admitted
