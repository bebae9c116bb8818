-- view: ARGV[7] pass id, ARGV[8] now, ARGV[9] claim (0|1).
-- The live pass with its position, or nil once it expired (counted here), was used or left.
-- With claim=1 (authorize), the first use of an admitted pass claims it: it then lives to
-- admitted_at + active_ttl_seconds instead of the short claim window (to the window's end if
-- that is later: a window that started when the fan was due back may end after it).
local id, now, claim = ARGV[7], tonumber(ARGV[8]), ARGV[9] == '1'
local entry = live_pass(id, now)
if entry == nil then return nil end
local policy = load_policy()
if claim and entry.status == 'ACTIVE' and not entry.claimed then
  entry.claimed = true
  entry.active_until = math.max(entry.admitted_at + policy.active_ttl_seconds, entry.active_until)
  redis.call('HSET', pass_key(id), 'claimed', '1', 'active_until', fmt(entry.active_until))
  redis.call('ZADD', K_ACTIVE, fmt(entry.active_until), id)
end
return render(entry, now, policy)
