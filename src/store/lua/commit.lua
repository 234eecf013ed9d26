-- One atomic commit: every expectation must hold (optimistic concurrency), the audit
-- head must be the one the entries were chained to, then all writes apply at once.
-- Keys travel in KEYS so the script is cluster-safe; ops refer to them by index.
local plan = cjson.decode(ARGV[1])
for _, c in ipairs(plan.expect) do
  local v = redis.call('HGET', KEYS[c[1]], c[2])
  if c[3] == cjson.null then
    if v then return 'conflict' end
  elseif v ~= c[3] then
    return 'conflict'
  end
end
if plan.audit ~= cjson.null then
  local head = redis.call('GET', KEYS[plan.audit.head]) or ''
  if head ~= plan.audit.prev then return 'conflict' end
  for _, e in ipairs(plan.audit.entries) do redis.call('RPUSH', KEYS[plan.audit.log], e) end
  redis.call('SET', KEYS[plan.audit.head], plan.audit.next)
  redis.call('SADD', KEYS[plan.audit.index], plan.audit.chain)
end
local allowed = { HSET = true, HDEL = true, DEL = true, LPUSH = true, RPUSH = true, LTRIM = true, ZADD = true, ZREM = true, XADD = true }
for _, op in ipairs(plan.ops) do
  if not allowed[op[1]] then return redis.error_reply('commit: command not allowed ' .. op[1]) end
  local args = { KEYS[op[2]] }
  for i = 3, #op do args[#args + 1] = op[i] end
  redis.call(op[1], unpack(args))
end
return 'ok'
