-- replaced: ARGV[7] the room's first sequence as this instance last saw it ('' if never),
-- ARGV[8] now, ARGV[9] recovery seconds.
-- A room's first sequence never changes; another one (or none, once this instance saw one)
-- means the room this instance knew was lost and this one is its replacement. Admission is then
-- held for the recovery seconds, as after the first restore (restore.lua): a fan who joins the
-- new room before any fan of the lost one has come back must not be let in ahead of them.
-- Returns the room's first sequence ('' while the room has taken no place).
local known, now, recovery = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
load_policy()
local first = redis.call('HGET', K_POLICY, 'first_seq')
if known ~= '' and first ~= known then
  first = fmt(first_seq(now))
  if redis.call('HEXISTS', K_POLICY, 'recovering_until') == 0 then
    redis.call('HSET', K_POLICY, 'recovering_until', fmt(now + recovery))
  end
end
return first or ''
