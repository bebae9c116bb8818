-- restore: ARGV[7] pass id, ARGV[8] user id, ARGV[9] joined_at, ARGV[10] place, ARGV[11] now,
-- ARGV[12] recovery seconds, ARGV[13] commit (0|1).
-- A pass the room does not know, presented with what it carries (signed; the caller checked the
-- signature). The outcome, as domain.RestoreOutcome: LIVE (known after all), ENDED (it joined
-- this room, or was restored here before, and has ended), SUPERSEDED (its fan holds another live
-- pass here), RESTORABLE (it joined before the room's first sequence: the room it joined is
-- gone) and, with commit=1, RESTORED: waiting again at its place. The first restore of a room
-- holds admission back for `recovery` seconds, so that the other fans of the lost room come back
-- before anyone is let in. Returns {outcome, PassView fields...} (the fields for LIVE, RESTORED;
-- a waiting pass answered notes when its fan is due back, note_due).
local id, user_id, joined_at, place = ARGV[7], ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10])
local now, recovery, commit = tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[13] == '1'
local K_RESTORED = PREFIX .. 'restored'
local policy = load_policy()

local function answer(outcome, entry)
  if entry == nil then return { outcome } end
  local view = render(entry, now, policy)
  note_due(entry, view, policy, now)
  table.insert(view, 1, outcome)
  return view
end

local entry = live_pass(id, now)
if entry ~= nil then return answer('LIVE', entry) end
if sequence_floor(joined_at) >= first_seq(now) or redis.call('SISMEMBER', K_RESTORED, id) == 1 then
  return answer('ENDED')
end
if live_pass(redis.call('GET', user_key(user_id)), now) ~= nil then return answer('SUPERSEDED') end
if not commit then return answer('RESTORABLE') end

redis.call('SADD', K_RESTORED, id)
redis.call('HSET', pass_key(id), 'user_id', user_id, 'status', 'WAITING', 'joined_at',
  fmt(joined_at), 'place', fmt(place))
redis.call('SET', user_key(user_id), id)
if policy.opens_at ~= nil and now < policy.opens_at then
  redis.call('SADD', K_PREQUEUE, id)
else
  redis.call('ZADD', K_LINE, fmt(place), id)
end
if redis.call('HEXISTS', K_POLICY, 'recovering_until') == 0 then
  redis.call('HSET', K_POLICY, 'recovering_until', fmt(now + recovery))
end
return answer('RESTORED', load_pass(id))
