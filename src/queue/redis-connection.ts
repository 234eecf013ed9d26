import { Redis } from 'ioredis';
import { judgeRedis, readRedisFacts, within, type RedisVerdict } from './redis-health.js';

/**
 * Workers block on Redis and must never give up a command (BullMQ requires
 * maxRetriesPerRequest: null); the HTTP side fails fast so a click gets an answer.
 */
export function connectRedis(url: string, role: 'worker' | 'http'): Redis {
  return new Redis(url, role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 2, connectTimeout: 2_000 });
}

/** Long enough for a Redis across a network, short enough that a frozen one does not hang the start. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Checks that Redis answers, with a bounded wait and no reconnect loop, for a clear message
 * at start; and what an operator should know about it (eviction policy, persistence).
 */
export async function probeRedis(url: string): Promise<{ ok: true; verdict: RedisVerdict } | { ok: false; reason: string }> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    const facts = await within(PROBE_TIMEOUT_MS, probe.connect().then(() => readRedisFacts(probe)));
    return { ok: true, verdict: judgeRedis(facts) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    probe.disconnect();
  }
}
