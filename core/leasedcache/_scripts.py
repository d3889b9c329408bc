"""The Redis scripts of the leases (core.leasedcache._leases; Lua, run with EVAL): each is
atomic in Redis, which is what makes a renewal and a writer's check of the acknowledgements
never interleave."""

PUBLISH = """
local id = redis.call('XADD', KEYS[1], '*', 'phase', ARGV[1], 'keys', ARGV[2])
local ms = tonumber(string.match(id, '^(%d+)-'))
redis.call('XTRIM', KEYS[1], 'MINID', '~', ms - tonumber(ARGV[3]))
return id
"""

# Renew: the acknowledgement (ARGV[2], the last change applied) and the holder's membership,
# unless the marker is not the one the holder knows (ARGV[3]): then it acknowledges nothing,
# and learns the marker (created with ARGV[1] if missing).
RENEW = """
local marker = redis.call('GET', KEYS[1])
if not marker then
  marker = ARGV[1]
  redis.call('SET', KEYS[1], marker)
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
end
local acked = ARGV[2]
if marker ~= ARGV[3] then acked = '0-0' end
redis.call('SET', KEYS[2], acked, 'PX', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
return marker
"""

# How many live holders have not acknowledged change ARGV[1]; holders whose lease expired are
# forgotten (atomic with their renewal, one script too). Negative: the marker is younger than
# a lease (this Redis lost its holders): the writer waits that many ms for those it cannot see.
WAITING = """
if not redis.call('GET', KEYS[2]) then
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
end
local young = redis.call('PTTL', KEYS[3])
if young > 0 then return -young end
local want_ms, want_seq = string.match(ARGV[1], '^(%d+)-(%d+)$')
want_ms = tonumber(want_ms)
want_seq = tonumber(want_seq)
local waiting = 0
for _, holder in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local acked = redis.call('GET', ARGV[2] .. holder)
  if not acked then
    redis.call('SREM', KEYS[1], holder)
  else
    local ms, seq = string.match(acked, '^(%d+)-(%d+)$')
    ms = tonumber(ms)
    seq = tonumber(seq)
    if ms < want_ms or (ms == want_ms and seq < want_seq) then
      waiting = waiting + 1
    end
  end
end
return waiting
"""
