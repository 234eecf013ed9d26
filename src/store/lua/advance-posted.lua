-- Moves the posted cursor forward only: a slow worker never winds it back.
local at = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > at then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
