import { Redis } from 'ioredis';

/**
 * Workers block on Redis and must never give up a command (BullMQ requires
 * maxRetriesPerRequest: null); the HTTP side fails fast so a click gets an answer.
 */
export function connectRedis(url: string, role: 'worker' | 'http'): Redis {
  return new Redis(url, role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 2, connectTimeout: 2_000 });
}

/** Checks that Redis answers, with a short limit and no reconnect loop, for a clear message at start. */
export async function probeRedis(url: string): Promise<{ ok: true; evictionPolicy: string } | { ok: false; reason: string }> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    const policy = (await probe.config('GET', 'maxmemory-policy')) as string[];
    return { ok: true, evictionPolicy: policy[1] ?? 'unknown' };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    probe.disconnect();
  }
}
