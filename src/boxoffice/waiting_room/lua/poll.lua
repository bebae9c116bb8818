-- poll: a fan's status poll in one step. KEYS[9] the fan's pacing key and KEYS[10..] the
-- counters, all the rate limiter's keys (platform/rate_limit.py; same hash tag as the room);
-- ARGV[7] pass id, ARGV[8] now, ARGV[9] pace ratio (0: no pacing), ARGV[10..] (window ms, limit)
-- per counter. First the limits, exactly as RateLimiter.check counts them (check_limits, from
-- rate_limit.py, is prepended to this script): a refused poll returns the milliseconds to wait,
-- an integer, having read nothing of the room. Then the live pass as view.lua reads it (no
-- claim): nil if it is gone, else its fields as render gives them, and a WAITING pass's next
-- poll is paced for poll_after_seconds x ratio.
local id, now, pace_ratio = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local MIN_MEASURED_SPAN = 10

-- The poll interval a waiting pass is advised, as domain.advise computes it (with measured_rate,
-- estimate_wait_seconds and poll_after_seconds): the same double arithmetic on the same inputs,
-- so the pace always matches the poll_after_seconds the fan is told.
local function poll_after(view, policy)
  local position, recent, oldest = view[5], view[8], tonumber(view[9])
  local wait
  if position == '' then
    wait = math.ceil(math.max(0, (policy.opens_at or now) - now))
  else
    local rate = policy.admit_per_minute / 60
    if recent > 0 and oldest ~= nil then
      local span = math.min(WINDOW, math.max(MIN_MEASURED_SPAN, now - oldest))
      rate = math.min(rate, recent / span)
    end
    wait = 0
    if rate > 0 then wait = math.ceil(position / rate) end
  end
  -- domain.POLL_WAIT_DIVISOR, and domain.longest_poll_seconds (MAX_POLL_SECONDS, at most half
  -- the claim window)
  local longest = math.max(1, math.min(30, math.floor(policy.claim_window / 2)))
  local seconds = math.max(1, math.min(longest, math.floor(wait / 3)))
  -- In the pre-queue, never advised to come back after the opening.
  if position == '' then seconds = math.max(1, math.min(seconds, wait)) end
  return seconds
end

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
if pace_ratio > 0 and entry.status == 'WAITING' then
  -- As RedisRateLimiter.pace: whole milliseconds, at least one.
  local pace_ms = math.max(1, math.ceil(poll_after(view, policy) * pace_ratio * 1000))
  redis.call('SET', KEYS[9], 1, 'PX', pace_ms)
end
return view
