-- join: ARGV[7] user_id, ARGV[8] new pass id, ARGV[9] now, ARGV[10] random seed (31 bits, from
-- the caller's CSPRNG: the pre-queue's shuffle, if this join is the first step after the
-- opening); KEYS[9] a pacing key that is never set and KEYS[10..] the counters, the rate
-- limiter's keys (platform/rate_limit.py; same hash tag as the room), ARGV[11..] (window ms,
-- limit) per counter. First the limits, exactly as
-- RateLimiter.check counts them (check_limits, from rate_limit.py, is prepended to this script):
-- a refused join returns the milliseconds to wait, an integer, having read nothing of the room.
-- Then the user's live pass if any (joining again keeps the place), else a new WAITING pass: in
-- line, or in the pre-queue while the sale has not opened; a waiting pass notes when its fan is
-- due back (note_due). Returns {created (0|1), PassView fields...}.
local user_id, new_id, now, seed = ARGV[7], ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10])
local wait = check_limits(KEYS[9], 10, 11)
if wait > 0 then return wait end

local policy = load_policy()
first_seq(now)  -- fixed by the room's first join (or restore): every pass it issues joins after
local existing = live_pass(redis.call('GET', user_key(user_id)), now)
if existing ~= nil then
  local view = render(existing, now, policy)
  note_due(existing, view, policy, now)
  table.insert(view, 1, 0)
  return view
end
-- The place is fixed now, as domain.place_of: the join sequence, or the opening for the pre-queue.
local place
if policy.opens_at ~= nil and now < policy.opens_at then
  redis.call('SADD', K_PREQUEUE, new_id)
  place = sequence_floor(policy.opens_at)
else
  open_prequeue(seed, now)  -- those who waited for the opening go first
  place = enqueue({ new_id }, now)
end
redis.call('HSET', pass_key(new_id), 'user_id', user_id, 'status', 'WAITING', 'joined_at', fmt(now),
  'place', fmt(place))
redis.call('SET', user_key(user_id), new_id)
local entry = load_pass(new_id)
local view = render(entry, now, policy)
note_due(entry, view, policy, now)
table.insert(view, 1, 1)
return view
