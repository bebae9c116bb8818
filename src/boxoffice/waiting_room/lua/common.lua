-- Shared prelude of every waiting-room script (prepended to each one when it is registered).
-- Every script gets the same KEYS, all under the room's hash tag so they share one Cluster slot:
--   1 policy (hash)   2 line (zset pass_id -> join seq)   3 seq (counter)
--   4 active (zset pass_id -> active_until)   5 prequeue (set)   6 bucket (hash tokens, last_refill)
--   7 admissions (zset pass_id -> admitted_at)   8 totals (hash admitted, expired, abandoned)
-- Per pass, a hash PREFIX..'pass:'..id (user_id, status, joined_at, admitted_at, active_until,
-- claimed, place, and due_at: when a waiting pass's fan was told to come back); per user,
-- PREFIX..'user:'..user_id holding their live pass id. The line's score is the join sequence;
-- whether a waiting pass is in the line or the pre-queue is where its id is.
-- The policy hash also keeps the room's first sequence ('first_seq': passes joined before it
-- came from a room that was lost), the passes restored from such a room ('restored' key below)
-- and, once one was, until when admission waits for the rest to come back ('recovering_until').
-- poll.lua alone gets more KEYS after these: the rate limiter's (its own namespace, same tag).
-- ARGV[1] is the room's key prefix (for the per-pass and per-user keys, same hash tag);
-- ARGV[2..6] the default policy, written only if the room has none yet; ARGV[7..] the command's.
-- Times are Unix seconds; they are stored with %.17g so that a float survives the round trip.
local K_POLICY, K_LINE, K_SEQ, K_ACTIVE = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_PREQUEUE, K_BUCKET, K_ADMISSIONS, K_TOTALS = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local PREFIX = ARGV[1]
local WINDOW = 60
local PASS_FIELDS = { 'user_id', 'status', 'joined_at', 'admitted_at', 'active_until', 'claimed',
  'place' }

local function fmt(x)
  if x == nil then return '' end
  return string.format('%.17g', x)
end

local function pass_key(id) return PREFIX .. 'pass:' .. id end
local function user_key(user_id) return PREFIX .. 'user:' .. user_id end
-- The passes active when max_active was last lowered below them (zset, as K_ACTIVE).
local function kept_key() return PREFIX .. 'kept' end

local function load_policy()
  if redis.call('EXISTS', K_POLICY) == 0 then
    redis.call('HSET', K_POLICY, 'max_active', ARGV[2], 'admit_per_minute', ARGV[3],
      'active_ttl_seconds', ARGV[4], 'claim_seconds', ARGV[5], 'opens_at', ARGV[6])
  end
  local f = redis.call('HMGET', K_POLICY, 'max_active', 'admit_per_minute', 'active_ttl_seconds',
    'claim_seconds', 'opens_at')
  local policy = { max_active = tonumber(f[1]), admit_per_minute = tonumber(f[2]),
    active_ttl_seconds = tonumber(f[3]), claim_seconds = tonumber(f[4]), opens_at = tonumber(f[5]) }
  -- Same arithmetic as QueuePolicy.burst and QueuePolicy.rate_per_second in domain.py.
  policy.burst = math.max(1, math.floor(policy.admit_per_minute / 12))
  policy.rate = policy.admit_per_minute / 60
  -- As QueuePolicy.claim_window_seconds: how long an admitted pass lives unused (admit.lua).
  policy.claim_window = math.min(policy.claim_seconds, policy.active_ttl_seconds)
  return policy
end

local function load_pass(id)
  local f = redis.call('HMGET', pass_key(id), unpack(PASS_FIELDS))
  if not f[1] then return nil end
  return { id = id, user_id = f[1], status = f[2], joined_at = tonumber(f[3]),
    admitted_at = tonumber(f[4]), active_until = tonumber(f[5]), claimed = f[6] == '1',
    place = f[7] or '0' }
end

local function remove_pass(entry)
  redis.call('DEL', pass_key(entry.id))
  if redis.call('GET', user_key(entry.user_id)) == entry.id then
    redis.call('DEL', user_key(entry.user_id))
  end
  redis.call('ZREM', K_ACTIVE, entry.id)
  redis.call('ZREM', K_LINE, entry.id)
  redis.call('SREM', K_PREQUEUE, entry.id)
end

-- A pass past its active_until is gone: count it (abandoned if never claimed) and drop it now,
-- in the same step that noticed it, exactly as the in-process store does.
local function live_pass(id, now)
  if not id then return nil end
  local entry = load_pass(id)
  if entry == nil then return nil end
  if entry.active_until ~= nil and entry.active_until <= now then
    redis.call('HINCRBY', K_TOTALS, 'expired_total', 1)
    if not entry.claimed then redis.call('HINCRBY', K_TOTALS, 'abandoned_total', 1) end
    remove_pass(entry)
    return nil
  end
  return entry
end

local function expire_active(now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', fmt(now))) do
    live_pass(id, now)
  end
end

local function admitted_since(since)
  return redis.call('ZCOUNT', K_ADMISSIONS, '(' .. fmt(since), '+inf')
end

-- The time of the oldest admission inside the window ('' if none): the estimate measures the
-- admission rate over the span since then.
local function oldest_admission_since(since)
  local oldest = redis.call('ZRANGEBYSCORE', K_ADMISSIONS, '(' .. fmt(since), '+inf',
    'WITHSCORES', 'LIMIT', 0, 1)
  if #oldest == 0 then return '' end
  return oldest[2]
end

-- The pass as PassView fields: id, user_id, status, joined_at, position, active_until, opens_at,
-- recent_admissions, oldest_admission_at, admit_per_minute, place; '' stands for None. A waiting
-- pass not in line is in the pre-queue.
local function render(entry, now, policy)
  local position, opens_at = '', ''
  if entry.status == 'WAITING' then
    local rank = redis.call('ZRANK', K_LINE, entry.id)
    if rank then position = rank + 1 else opens_at = fmt(policy.opens_at) end
  end
  return { entry.id, entry.user_id, entry.status, fmt(entry.joined_at), position,
    fmt(entry.active_until), opens_at, admitted_since(now - WINDOW),
    oldest_admission_since(now - WINDOW), policy.admit_per_minute, entry.place }
end

local MIN_MEASURED_SPAN = 10

-- The poll interval a rendered waiting pass is advised, as domain.advise computes it (with
-- measured_rate, estimate_wait_seconds and poll_after_seconds): the same double arithmetic on
-- the same inputs, so that what the store notes and paces is what the fan is told.
local function poll_after(view, policy, now)
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
  -- domain.POLL_WAIT_DIVISOR and domain.MAX_POLL_SECONDS
  local seconds = math.max(1, math.min(60, math.floor(wait / 3)))
  -- In the pre-queue, never advised to come back after the opening.
  if position == '' then seconds = math.max(1, math.min(seconds, wait)) end
  return seconds
end

-- A waiting pass's fan is told (by a join, a poll or a restore) to come back after poll_after:
-- the pass notes when, for admit.lua to start its claim window no sooner (domain.claim_deadline).
-- Returns that interval, or nil for an active pass.
local function note_due(entry, view, policy, now)
  if entry.status ~= 'WAITING' then return nil end
  local seconds = poll_after(view, policy, now)
  redis.call('HSET', pass_key(entry.id), 'due_at', fmt(now + seconds))
  return seconds
end

-- As domain.sequence_floor: the time in microseconds, the lowest sequence a place taken now gets.
local function sequence_floor(now) return math.floor(now * 1000000) end

-- The room's first sequence, fixed by the first step that numbers a place or restores one. A room
-- that numbered places before rooms had one (a room kept across an upgrade) restores nothing.
local function first_seq(now)
  local first = redis.call('HGET', K_POLICY, 'first_seq')
  if first then return tonumber(first) end
  first = 0
  if redis.call('EXISTS', K_SEQ) == 0 then
    first = sequence_floor(now)
    redis.call('SET', K_SEQ, fmt(first))
  end
  redis.call('HSET', K_POLICY, 'first_seq', fmt(first))
  return first
end

-- New places at the back of the line, in the order given, numbered from the last sequence + 1 or
-- the time in microseconds, whichever is higher; a position is ZRANK + 1. Added a thousand at a
-- time, as the opening may bring very many. Returns the first sequence given.
local function enqueue(ids, now)
  first_seq(now)
  local first = math.max(tonumber(redis.call('GET', K_SEQ)) + 1, sequence_floor(now))
  redis.call('SET', K_SEQ, fmt(first + #ids - 1))
  for start = 1, #ids, 1000 do
    local scored = {}
    for i = start, math.min(start + 999, #ids) do
      scored[#scored + 1] = fmt(first + i - 1)
      scored[#scored + 1] = ids[i]
    end
    redis.call('ZADD', K_LINE, unpack(scored))
  end
  return first
end

-- The pre-queue put in line, shuffled, exactly once: by the first admit or join after the opening,
-- so that no one who joins after it goes ahead of those who waited for it. Fisher-Yates over a
-- PRNG seeded by the caller's CSPRNG draw (Redis 7 replicates effects, so randomness is allowed).
local function open_prequeue(seed, now)
  local prequeue = redis.call('SMEMBERS', K_PREQUEUE)
  if #prequeue == 0 then return end
  math.randomseed(seed)
  for i = #prequeue, 2, -1 do
    local j = math.random(i)
    prequeue[i], prequeue[j] = prequeue[j], prequeue[i]
  end
  enqueue(prequeue, now)
  redis.call('DEL', K_PREQUEUE)
end
