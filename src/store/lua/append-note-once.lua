-- Appends once per key: a second delivery of the same alert note returns the first
-- position. It also moves the promotion's rev on: a promotion commit in flight read the
-- list's length to number its own notes, and must now fail and read it again.
local known = redis.call('GET', KEYS[2])
if known then return tonumber(known) end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], n)
if redis.call('HEXISTS', KEYS[3], 'rev') == 1 then redis.call('HINCRBY', KEYS[3], 'rev', 1) end
return n
