-- poll: a fan's status poll in one step. KEYS[9] the fan's pacing key and KEYS[10..] the
-- counters, all the rate limiter's keys (platform/rate_limit.py; same hash tag as the room);
-- ARGV[7] pass id, ARGV[8] now, ARGV[9] pace ratio (0: no pacing), ARGV[10..] (window ms, limit)
-- per counter. First the limits, exactly as RateLimiter.check counts them (check_limits, from
-- rate_limit.py, is prepended to this script): a refused poll returns the milliseconds to wait,
-- an integer, having read nothing of the room. Then the live pass as view.lua reads it (no
-- claim): nil if it is gone, else its fields as render gives them; a WAITING pass notes when its
-- fan is due back (note_due), and its next poll is paced for poll_after_seconds x ratio.
local id, now, pace_ratio = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
-- The pace is for a waiting pass: one admitted since is not kept waiting (its pace is dropped,
-- then the counters are checked as for any poll). A refusal with the pace set came from it.
if pace_ratio > 0 and redis.call('PTTL', KEYS[9]) > 0 then
  local paced = live_pass(id, now)
  if paced ~= nil and paced.status == 'ACTIVE' then redis.call('DEL', KEYS[9]) end
end
local wait = check_limits(KEYS[9], 10, 10)
if wait > 0 then return wait end

local entry = live_pass(id, now)
if entry == nil then return nil end
local policy = load_policy()
local view = render(entry, now, policy)
local due_in = note_due(entry, view, policy, now)
if pace_ratio > 0 and due_in ~= nil then
  -- As RedisRateLimiter.pace: whole milliseconds, at least one.
  local pace_ms = math.max(1, math.ceil(due_in * pace_ratio * 1000))
  redis.call('SET', KEYS[9], 1, 'PX', pace_ms)
end
return view
