import type { Redis } from 'ioredis';

/**
 * One atomic commit: every expectation must hold (optimistic concurrency), the audit
 * head must be the one the entries were chained to, then all writes apply at once.
 * Keys travel in KEYS so the script is cluster-safe; ops refer to them by index.
 */
const COMMIT_LUA = `
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
`;

type Op = [command: 'HSET' | 'HDEL' | 'DEL' | 'LPUSH' | 'RPUSH' | 'LTRIM' | 'ZADD' | 'ZREM' | 'XADD', key: string, ...args: (string | number)[]];

/** Collects what one commit expects and writes, then runs it as one script call. */
export class CommitPlan {
  private readonly keys: string[] = [];
  private readonly expect: [number, string, string | null][] = [];
  private readonly ops: (string | number)[][] = [];
  private audit: { chain: string; head: number; log: number; index: number; prev: string; entries: string[]; next: string } | null = null;

  private index(key: string): number {
    const at = this.keys.indexOf(key);
    if (at >= 0) return at + 1;
    this.keys.push(key);
    return this.keys.length;
  }

  /** The hash field must hold `value` (null: must be absent) when the commit runs. */
  expectField(key: string, field: string, value: string | null): this {
    this.expect.push([this.index(key), field, value]);
    return this;
  }

  op(...[command, key, ...args]: Op): this {
    this.ops.push([command, this.index(key), ...args.map(String)]);
    return this;
  }

  /** Appends to one audit chain only if its head is still `prevHead`, and records the chain's name in the index. */
  appendAudit(chain: { name: string; log: string; head: string; index: string }, prevHead: string, entries: string[], nextHead: string): this {
    this.audit = { chain: chain.name, head: this.index(chain.head), log: this.index(chain.log), index: this.index(chain.index), prev: prevHead, entries, next: nextHead };
    return this;
  }

  get isEmpty(): boolean {
    return this.ops.length === 0 && this.audit === null;
  }

  /** True when applied; false when an expectation no longer held (re-read and decide again). */
  async run(redis: Redis): Promise<boolean> {
    const plan = JSON.stringify({ expect: this.expect, ops: this.ops, audit: this.audit });
    const result = await redis.eval(COMMIT_LUA, this.keys.length, ...this.keys, plan);
    return result === 'ok';
  }
}
