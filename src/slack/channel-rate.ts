import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.js';

/**
 * Slack: "chat.postMessage generally allows posting one message per second per
 * channel, while also maintaining a workspace-wide limit", and for posting messages
 * "1 per second, short bursts >1 allowed"
 * (https://docs.slack.dev/apis/web-api/rate-limits). chat.update edits messages in the
 * same channels, so it shares the budget: every write to a channel takes one slot.
 *
 * The rule: a burst of BURST writes, then one per INTERVAL_MS. In any window of
 * w seconds a channel sees at most BURST + w writes.
 */
export const CHANNEL_RATE: ChannelRateLimit = { intervalMs: 1_000, burst: 3 };

export interface ChannelRateLimit {
  /** Time per write once a burst is spent. */
  intervalMs: number;
  /** Writes allowed at once after a quiet spell. */
  burst: number;
}

/**
 * GCRA (a token bucket kept as one timestamp): KEYS[1] holds the theoretical arrival
 * time `tat`. A write is allowed when tat - now <= (burst - 1) * interval, and moves tat
 * on by one interval; otherwise the answer is how long until it would be allowed.
 * ARGV[3] > 0 records a 429 instead: nothing is allowed for that many ms. Redis TIME
 * is the clock, so every worker process shares it.
 */
const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local pause = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local slack = (burst - 1) * interval
if pause > 0 then
  local blocked = now + pause + slack
  if blocked > tat then redis.call('SET', KEYS[1], blocked, 'PX', blocked - now + 1000) end
  return 0
end
if tat - now > slack then return tat - now - slack end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now + 1000)
return 0
`;

/** The write budget of each Slack channel, shared by every worker through Redis. */
export class ChannelRate {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly rate: ChannelRateLimit = CHANNEL_RATE,
  ) {}

  /** Takes one write slot for CHANNEL: 0 when taken, else the ms until one is free. */
  async take(channel: string): Promise<number> {
    const wait = await this.redis.eval(TAKE_LUA, 1, this.keys.channelRate(channel), this.rate.intervalMs, this.rate.burst, 0);
    return Number(wait);
  }

  /** Slack answered 429 for CHANNEL: no writes there for `ms`. */
  async pause(channel: string, ms: number): Promise<void> {
    await this.redis.eval(TAKE_LUA, 1, this.keys.channelRate(channel), this.rate.intervalMs, this.rate.burst, Math.max(1, Math.round(ms)));
  }
}
