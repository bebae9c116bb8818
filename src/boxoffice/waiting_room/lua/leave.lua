-- leave: ARGV[7] pass id, ARGV[8] now, ARGV[9] only_active (0|1).
-- Ends a live pass at once: the place in line (or the pre-queue) or the active slot is freed in
-- this same step. only_active=1 is use_up, after a payment: a waiting pass is left alone.
-- Returns 1 if a pass was ended, else 0.
local id, now, only_active = ARGV[7], tonumber(ARGV[8]), ARGV[9] == '1'
local entry = live_pass(id, now)
if entry == nil or (only_active and entry.status ~= 'ACTIVE') then return 0 end
remove_pass(entry)
return 1
