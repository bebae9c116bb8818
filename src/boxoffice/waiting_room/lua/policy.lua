-- policy: ARGV[7..11] a new policy (max_active, admit_per_minute, active_ttl_seconds,
-- claim_seconds, opens_at or ''), or no ARGV[7] to only read it.
-- Returns the room's policy after the change, as the same five strings. A room's policy lives in
-- Redis so that a change made through any instance applies to every instance at once.
-- A max_active lowered below the passes active keeps them (nobody is sent away): their ids go
-- to the room's 'kept' set, with the cap they were let in under ('kept_cap' in the policy hash:
-- the max_active lowered, or, if more, those still kept from an earlier lowering, up to its
-- cap), which stats.lua counts while they last (RoomStats). As the in-process store does.
local policy = load_policy()
if ARGV[7] ~= nil then
  local tokens = tonumber(redis.call('HGET', K_BUCKET, 'tokens')) or policy.burst
  local max_active = tonumber(ARGV[7])
  if max_active < policy.max_active then
    local kept = kept_key()
    local still = redis.call('ZINTERSTORE', kept, 2, kept, K_ACTIVE, 'WEIGHTS', 1, 0)
    local earlier = tonumber(redis.call('HGET', K_POLICY, 'kept_cap'))
    if earlier ~= nil then still = math.min(still, earlier) end
    local cap = math.max(policy.max_active, still)
    if max_active < redis.call('ZCARD', K_ACTIVE) then
      redis.call('ZUNIONSTORE', kept, 1, K_ACTIVE)
      redis.call('HSET', K_POLICY, 'kept_cap', cap)
    else
      redis.call('DEL', kept)
      redis.call('HDEL', K_POLICY, 'kept_cap')
    end
  end
  redis.call('HSET', K_POLICY, 'max_active', ARGV[7], 'admit_per_minute', ARGV[8],
    'active_ttl_seconds', ARGV[9], 'claim_seconds', ARGV[10], 'opens_at', ARGV[11])
  policy = load_policy()
  -- A lower rate takes effect at once: the bucket never holds more than the new burst.
  redis.call('HSET', K_BUCKET, 'tokens', fmt(math.min(tokens, policy.burst)))
end
return redis.call('HMGET', K_POLICY, 'max_active', 'admit_per_minute', 'active_ttl_seconds',
  'claim_seconds', 'opens_at')
